"""Premium covers problems and questions, not configuration assistance or custom development (SPEC, Channels)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from contracts.entitlements import entitlements_for
from tests.clock import pt
from tickets import sla
from tickets.models import SlaAlert
from tickets.services import ticket_escalate, ticket_open

pytestmark = pytest.mark.django_db

SUNDAY_NIGHT = pt(2026, 11, 22, 3, 0)  # Premium would answer by 03:30; Enterprise counts from Monday 06:00


@pytest.fixture
def initech(org_with):
    return org_with("Initech Supply", add_ons=["enterprise_support", "premium_support"])


def test_sla_due_gives_an_urgent_configuration_request_the_enterprise_deadline(initech, capsys):
    call_command(
        "sla_due",
        "--org",
        "Initech Supply",
        "--priority",
        "urgent",
        "--kind",
        "configuration_request",
        "--at",
        "2026-11-22T03:00:00-08:00",
    )
    out = capsys.readouterr().out
    assert "Deadline: Mon 23 Nov 2026, 10:00 PST, set by Enterprise (4 business hours)" in out
    assert "Premium" not in out.split("\n", 1)[1]  # only the first line names the add-on the contract has


@pytest.mark.parametrize("kind", ["configuration_request", "feature_request"])
def test_configuration_and_feature_requests_never_take_the_premium_target_or_page(
    initech, kind, django_capture_on_commit_callbacks
):
    organization, customer = initech
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_open(
            organization=organization,
            requester=customer,
            subject="Map a new field",
            description="d",
            kind=kind,
            priority="urgent",
            now=SUNDAY_NIGHT,
        )
    assert (ticket.sla_policy, ticket.first_response_due_at) == ("enterprise", pt(2026, 11, 23, 10, 0))
    assert [c["policy"] for c in ticket.sla_candidates] == ["enterprise"]
    assert not SlaAlert.objects.filter(ticket=ticket, kind="paged").exists()
    assert not [m for m in mail.outbox if "oncall@demo.test" in m.to]
    # Nor can the customer escalate it to the on-call team afterwards.
    with pytest.raises(ValidationError, match="not part of Premium support"):
        ticket_escalate(ticket=ticket, actor=customer, now=SUNDAY_NIGHT)
    assert not SlaAlert.objects.filter(ticket=ticket).exists()


def test_an_urgent_incident_still_takes_premium_and_pages(initech, django_capture_on_commit_callbacks):
    organization, customer = initech
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_open(
            organization=organization,
            requester=customer,
            subject="Orders stopped",
            description="d",
            kind="incident",
            priority="urgent",
            now=SUNDAY_NIGHT,
        )
    assert (ticket.sla_policy, ticket.first_response_due_at) == ("premium", pt(2026, 11, 22, 3, 30))
    assert SlaAlert.objects.filter(ticket=ticket, kind="paged").exists()
    assert len([m for m in mail.outbox if m.to == ["oncall@demo.test"]]) == 1


def test_standard_with_premium_gives_a_feature_request_no_target(org_with):
    organization, _ = org_with("Standard Premium Co", add_ons=["premium_support"])
    ent = entitlements_for(organization, at=SUNDAY_NIGHT)
    deadline = sla.resolve_deadline(
        ent, kind="feature_request", channel="portal", priority="urgent", received_at=SUNDAY_NIGHT
    )
    assert deadline.due_at is None
    assert not sla.pages_on_receipt(ent, kind="feature_request", priority="urgent")
    assert sla.pages_on_receipt(ent, kind="question", priority="urgent")


def test_a_priority_change_keeps_premium_out_of_a_configuration_request(initech, support_engineer):
    from tickets.services import ticket_change_priority

    organization, customer = initech
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        subject="Map a new field",
        description="d",
        kind="configuration_request",
        priority="low",
        now=SUNDAY_NIGHT,
    )
    ticket = ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="urgent", reason="Go-live tomorrow", now=SUNDAY_NIGHT
    )
    assert ticket.sla_policy == "enterprise"
    assert ticket.first_response_due_at == pt(2026, 11, 23, 10, 0)
