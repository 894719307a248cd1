"""The deadline of every tier × priority × Premium combination at several receipt times (hand-computed)."""

import pytest
from django.core.management import call_command

from contracts.entitlements import entitlements_for
from tests.clock import pt
from tickets import sla
from tickets.services import ticket_open

pytestmark = pytest.mark.django_db

RECEIPTS = {
    "tuesday_morning": pt(2026, 12, 1, 8, 0),
    "friday_evening": pt(2026, 12, 4, 17, 0),
    "saturday": pt(2026, 12, 5, 10, 0),
    "thanksgiving_eve": pt(2026, 11, 25, 16, 0),
}

# (combination, receipt, priority) -> (winning policy, deadline in Pacific time)
EXPECTED = {
    ("standard", "tuesday_morning", "urgent"): ("standard", pt(2026, 12, 1, 14, 0)),
    ("standard", "tuesday_morning", "high"): ("standard", pt(2026, 12, 1, 18, 0)),
    ("standard", "tuesday_morning", "normal"): ("standard", pt(2026, 12, 2, 12, 0)),
    ("standard", "tuesday_morning", "low"): ("standard", pt(2026, 12, 3, 8, 0)),
    ("enterprise", "tuesday_morning", "urgent"): ("enterprise", pt(2026, 12, 1, 12, 0)),
    ("enterprise", "tuesday_morning", "high"): ("enterprise", pt(2026, 12, 1, 16, 0)),
    ("enterprise", "tuesday_morning", "normal"): ("enterprise", pt(2026, 12, 2, 8, 0)),
    ("enterprise", "tuesday_morning", "low"): ("enterprise", pt(2026, 12, 3, 8, 0)),
    ("enterprise_premium", "tuesday_morning", "urgent"): ("premium", pt(2026, 12, 1, 8, 30)),
    ("enterprise_premium", "tuesday_morning", "high"): ("enterprise", pt(2026, 12, 1, 16, 0)),
    ("enterprise_premium", "tuesday_morning", "normal"): ("enterprise", pt(2026, 12, 2, 8, 0)),
    ("enterprise_premium", "tuesday_morning", "low"): ("enterprise", pt(2026, 12, 3, 8, 0)),
    ("standard_premium", "tuesday_morning", "urgent"): ("premium", pt(2026, 12, 1, 8, 30)),
    ("standard_premium", "tuesday_morning", "high"): ("standard", pt(2026, 12, 1, 18, 0)),
    ("standard_premium", "tuesday_morning", "normal"): ("standard", pt(2026, 12, 2, 12, 0)),
    ("standard_premium", "tuesday_morning", "low"): ("standard", pt(2026, 12, 3, 8, 0)),
    ("standard", "friday_evening", "urgent"): ("standard", pt(2026, 12, 7, 11, 0)),
    ("standard", "friday_evening", "high"): ("standard", pt(2026, 12, 7, 15, 0)),
    ("standard", "friday_evening", "normal"): ("standard", pt(2026, 12, 8, 9, 0)),
    ("standard", "friday_evening", "low"): ("standard", pt(2026, 12, 8, 17, 0)),
    ("enterprise", "friday_evening", "urgent"): ("enterprise", pt(2026, 12, 7, 9, 0)),
    ("enterprise", "friday_evening", "high"): ("enterprise", pt(2026, 12, 7, 13, 0)),
    ("enterprise", "friday_evening", "normal"): ("enterprise", pt(2026, 12, 7, 17, 0)),
    ("enterprise", "friday_evening", "low"): ("enterprise", pt(2026, 12, 8, 17, 0)),
    ("enterprise_premium", "friday_evening", "urgent"): ("premium", pt(2026, 12, 4, 17, 30)),
    ("enterprise_premium", "friday_evening", "high"): ("premium", pt(2026, 12, 5, 5, 0)),
    ("enterprise_premium", "friday_evening", "normal"): ("enterprise", pt(2026, 12, 7, 17, 0)),  # a tie
    ("enterprise_premium", "friday_evening", "low"): ("premium", pt(2026, 12, 7, 17, 0)),
    ("standard_premium", "friday_evening", "urgent"): ("premium", pt(2026, 12, 4, 17, 30)),
    ("standard_premium", "friday_evening", "high"): ("premium", pt(2026, 12, 5, 5, 0)),
    ("standard_premium", "friday_evening", "normal"): ("premium", pt(2026, 12, 7, 17, 0)),
    ("standard_premium", "friday_evening", "low"): ("premium", pt(2026, 12, 7, 17, 0)),
    ("standard", "saturday", "urgent"): ("standard", pt(2026, 12, 7, 12, 0)),
    ("standard", "saturday", "high"): ("standard", pt(2026, 12, 7, 16, 0)),
    ("standard", "saturday", "normal"): ("standard", pt(2026, 12, 8, 10, 0)),
    ("standard", "saturday", "low"): ("standard", pt(2026, 12, 8, 18, 0)),
    ("enterprise", "saturday", "urgent"): ("enterprise", pt(2026, 12, 7, 10, 0)),
    ("enterprise", "saturday", "high"): ("enterprise", pt(2026, 12, 7, 14, 0)),
    ("enterprise", "saturday", "normal"): ("enterprise", pt(2026, 12, 7, 18, 0)),
    ("enterprise", "saturday", "low"): ("enterprise", pt(2026, 12, 8, 18, 0)),
    ("enterprise_premium", "saturday", "urgent"): ("premium", pt(2026, 12, 5, 10, 30)),
    ("enterprise_premium", "saturday", "high"): ("premium", pt(2026, 12, 5, 22, 0)),
    ("enterprise_premium", "saturday", "normal"): ("enterprise", pt(2026, 12, 7, 18, 0)),
    ("enterprise_premium", "saturday", "low"): ("premium", pt(2026, 12, 8, 10, 0)),
    ("standard_premium", "saturday", "urgent"): ("premium", pt(2026, 12, 5, 10, 30)),
    ("standard_premium", "saturday", "high"): ("premium", pt(2026, 12, 5, 22, 0)),
    ("standard_premium", "saturday", "normal"): ("standard", pt(2026, 12, 8, 10, 0)),  # a tie
    ("standard_premium", "saturday", "low"): ("premium", pt(2026, 12, 8, 10, 0)),
    ("standard", "thanksgiving_eve", "urgent"): ("standard", pt(2026, 11, 27, 10, 0)),
    ("standard", "thanksgiving_eve", "high"): ("standard", pt(2026, 11, 27, 14, 0)),
    ("standard", "thanksgiving_eve", "normal"): ("standard", pt(2026, 11, 30, 8, 0)),
    ("standard", "thanksgiving_eve", "low"): ("standard", pt(2026, 11, 30, 16, 0)),
    ("enterprise", "thanksgiving_eve", "urgent"): ("enterprise", pt(2026, 11, 27, 8, 0)),
    ("enterprise", "thanksgiving_eve", "high"): ("enterprise", pt(2026, 11, 27, 12, 0)),
    ("enterprise", "thanksgiving_eve", "normal"): ("enterprise", pt(2026, 11, 27, 16, 0)),
    ("enterprise", "thanksgiving_eve", "low"): ("enterprise", pt(2026, 11, 30, 16, 0)),
    ("enterprise_premium", "thanksgiving_eve", "urgent"): ("premium", pt(2026, 11, 25, 16, 30)),
    ("enterprise_premium", "thanksgiving_eve", "high"): ("premium", pt(2026, 11, 26, 4, 0)),
    ("enterprise_premium", "thanksgiving_eve", "normal"): ("enterprise", pt(2026, 11, 27, 16, 0)),
    ("enterprise_premium", "thanksgiving_eve", "low"): ("premium", pt(2026, 11, 28, 16, 0)),
    ("standard_premium", "thanksgiving_eve", "urgent"): ("premium", pt(2026, 11, 25, 16, 30)),
    ("standard_premium", "thanksgiving_eve", "high"): ("premium", pt(2026, 11, 26, 4, 0)),
    ("standard_premium", "thanksgiving_eve", "normal"): ("premium", pt(2026, 11, 28, 16, 0)),
    ("standard_premium", "thanksgiving_eve", "low"): ("premium", pt(2026, 11, 28, 16, 0)),
}


@pytest.mark.parametrize(("combination", "receipt", "priority"), sorted(EXPECTED))
def test_deadline_matrix(request, combination, receipt, priority):
    organization, customer = request.getfixturevalue(combination)
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        subject="Orders",
        description="x",
        kind="incident",
        priority=priority,
        now=RECEIPTS[receipt],
    )
    policy, due = EXPECTED[(combination, receipt, priority)]
    assert (ticket.sla_policy, ticket.first_response_due_at) == (policy, due)
    premium = "premium" in combination
    assert len(ticket.sla_candidates) == (2 if premium else 1)


def test_at_risk_is_75_percent_of_the_target_in_its_own_calendar(enterprise):
    organization, customer = enterprise
    # Friday 17:00 + 8 business hours: due Monday 13:00; 6 business hours in: Monday 11:00.
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="high",
        now=RECEIPTS["friday_evening"],
    )
    assert ticket.at_risk_due_at == pt(2026, 12, 7, 11, 0)


def test_premium_at_risk_counts_the_wall_clock(enterprise_premium):
    organization, customer = enterprise_premium
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="urgent",
        now=RECEIPTS["saturday"],
    )
    assert ticket.at_risk_due_at == pt(2026, 12, 5, 10, 22, 30)


@pytest.mark.parametrize(
    ("combination", "kind", "channel", "reason"),
    [
        ("standard", "feature_request", "portal", "Feature requests on Standard support"),
        ("standard", "configuration_request", "portal", "Custom configuration work on Standard"),
        ("enterprise", "incident", "slack", "through Slack"),
        ("enterprise", "connector_quote", "portal", "quoted"),
    ],
)
def test_kinds_and_channels_without_target(request, combination, kind, channel, reason):
    organization, _ = request.getfixturevalue(combination)
    deadline = sla.resolve_deadline(
        entitlements_for(organization, at=RECEIPTS["tuesday_morning"]),
        kind=kind,
        channel=channel,
        priority="urgent",
        received_at=RECEIPTS["tuesday_morning"],
    )
    assert deadline.due_at is None
    assert reason in deadline.note


def test_enterprise_feature_request_and_configuration_request_have_targets(enterprise):
    organization, _ = enterprise
    ent = entitlements_for(organization, at=RECEIPTS["tuesday_morning"])
    for kind in ("feature_request", "configuration_request"):
        deadline = sla.resolve_deadline(
            ent, kind=kind, channel="portal", priority="high", received_at=RECEIPTS["tuesday_morning"]
        )
        assert deadline.due_at == pt(2026, 12, 1, 16, 0)


def test_configuration_support_work_has_no_target(standard, account_manager):
    from decimal import Decimal

    from contracts import services as contract_services

    organization, customer = standard
    contract_services.engagement_save(
        actor=account_manager,
        contract=organization.contracts.get(),
        name="ERP",
        scope="Move",
        quoted_hours=Decimal("60"),
        status="active",
    )
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="configuration_request",
        priority="high",
        now=RECEIPTS["tuesday_morning"],
    )
    assert ticket.first_response_due_at is None
    assert "Configuration Support work" in ticket.sla_note
    assert ticket.engagement.name == "ERP"


def test_email_tickets_get_normal_priority(enterprise):
    organization, customer = enterprise
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="urgent",
        channel="email",
        now=RECEIPTS["tuesday_morning"],
    )
    assert ticket.priority == "normal"
    assert ticket.first_response_due_at == pt(2026, 12, 2, 8, 0)


def test_a_ticket_keeps_its_target_when_the_table_changes(enterprise):
    from contracts.models import ResponseTarget

    organization, customer = enterprise
    ticket = ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="high",
        now=RECEIPTS["tuesday_morning"],
    )
    ResponseTarget.objects.filter(source="enterprise", priority="high").update(target_minutes=60)
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 12, 1, 16, 0)
    assert ticket.sla_target_minutes == 480
    later = ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="high",
        now=RECEIPTS["tuesday_morning"],
    )
    assert later.first_response_due_at == pt(2026, 12, 1, 9, 0)


def test_sla_due_command_explains(enterprise_premium, capsys):
    organization, _ = enterprise_premium
    call_command("sla_due", "--org", organization.name, "--priority", "urgent", "--at", "2026-11-25T16:00:00-08:00")
    out = capsys.readouterr().out
    assert "Enterprise: 4 business hours → due Fri 27 Nov 2026, 08:00 PST (later)" in out
    assert "closed all day: Thu 26 Nov 2026 (holiday)" in out
    assert "Premium: 30 minutes → due Wed 25 Nov 2026, 16:30 PST (wins)" in out
    assert "Deadline: Wed 25 Nov 2026, 16:30 PST, set by Premium (30 minutes)" in out


def test_sla_due_command_errors(enterprise):
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="No organization named 'Nobody'"):
        call_command("sla_due", "--org", "Nobody", "--priority", "high")
    with pytest.raises(CommandError, match="needs a UTC offset"):
        call_command("sla_due", "--org", "Enterprise Co", "--priority", "high", "--at", "2026-11-25T16:00:00")
