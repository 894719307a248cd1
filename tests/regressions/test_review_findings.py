"""Defects a review found, each pinned by the reproduction that showed it."""

import datetime as dt
import zoneinfo
from decimal import Decimal

import pytest

from contracts.models import Contract
from tests.tickets.conftest import pt
from tickets import services
from tickets.models import SlaAlert

pytestmark = pytest.mark.django_db
PT = zoneinfo.ZoneInfo("America/Los_Angeles")


def test_a_closure_day_after_a_kept_raise_does_not_pull_the_deadline_in(enterprise, support_engineer, admin_user):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="normal",
        now=pt(2026, 12, 1, 8, 0),
    )
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="high", reason="worse", now=pt(2026, 12, 1, 16, 0)
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 12, 2, 8, 0)
    services.closure_day_save(
        actor=admin_user, date=dt.date(2026, 12, 3), action="close", reason="Offsite", now=pt(2026, 12, 1, 17, 0)
    )
    ticket.refresh_from_db()
    assert ticket.first_response_due_at == pt(2026, 12, 2, 8, 0)
    assert ticket.sla_state(now=pt(2026, 12, 1, 17, 0)) == "at_risk"  # 75% of Normal's 12 h, not breached


def test_priority_change_after_the_contract_ended_keeps_working(enterprise, support_engineer):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="high",
        now=pt(2026, 12, 1, 8, 0),
    )
    Contract.objects.filter(organization=organization).update(status=Contract.Status.ENDED)
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="low", reason="minor", now=pt(2026, 12, 1, 9, 0)
    )
    ticket.refresh_from_db()
    assert ticket.priority == "low"
    assert ticket.first_response_due_at == pt(2026, 12, 3, 8, 0)  # the ticket keeps its Enterprise policy


def test_lowering_takes_the_at_risk_mark_off_and_warns_again_later(enterprise, support_engineer):
    organization, customer = enterprise
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="s",
        description="d",
        kind="incident",
        priority="urgent",
        now=pt(2026, 12, 1, 8, 0),
    )
    assert services.sla_sweep(now=pt(2026, 12, 1, 11, 5))["at_risk"] == 1
    services.ticket_change_priority(
        ticket=ticket, actor=support_engineer, priority="low", reason="workaround", now=pt(2026, 12, 1, 11, 10)
    )
    ticket.refresh_from_db()
    assert ticket.sla_state(now=pt(2026, 12, 1, 11, 10)) == "running"
    assert not SlaAlert.objects.filter(ticket=ticket, kind="at_risk").exists()
    # 75% of 24 business hours from Tue 08:00 is Wed 14:00: the warning comes again, once.
    assert services.sla_sweep(now=pt(2026, 12, 2, 14, 0))["at_risk"] == 1
    assert services.sla_sweep(now=pt(2026, 12, 2, 14, 1))["at_risk"] == 0


def test_late_entries_in_a_closed_year_correct_the_rollover(globex, make_contract, solution_architect):
    from contracts.periods import contract_years
    from hours import selectors
    from hours import services as hours_services
    from tickets.services import ticket_open

    contract = make_contract(
        globex,
        plan="enterprise",
        sa_hours=Decimal("10"),
        term_start=dt.date(2026, 8, 19),
        term_end=dt.date(2028, 8, 18),
        rollover=True,
    )
    ticket = ticket_open(
        organization=globex,
        requester=solution_architect,
        subject="s",
        description="d",
        kind="configuration_request",
        now=dt.datetime(2026, 9, 1, 12, tzinfo=PT),
    )
    hours_services.usage_notices_sweep(now=dt.datetime(2027, 8, 19, 3, 0, tzinfo=PT))  # opens year 2
    entry = hours_services.time_entry_log(
        architect=solution_architect,
        category="system_setup",
        minutes=480,
        work_date=dt.date(2027, 8, 18),
        ticket=ticket,
        now=dt.datetime(2027, 8, 20, 9, 0, tzinfo=PT),
    )
    first, second = contract_years(contract.term_start, contract.term_end)[:2]
    assert selectors.year_usage(contract, first).remaining == 120
    assert selectors.year_usage(contract, second).allotted == 600 + 120
    hours_services.time_entry_void(
        actor=solution_architect, entry=entry, reason="wrong customer", now=dt.datetime(2027, 8, 21, 9, 0, tzinfo=PT)
    )
    assert selectors.year_usage(contract, second).allotted == 600 + 600


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("alice", "/tickets/?q=%C2%B2"),
        ("solution_architect", "/hours/log/?ticket=%C2%B2"),
        ("solution_architect", "/hours/week/?week=0001-W01"),
        ("account_manager", "/hours/statement/?organization=%C2%B2"),
    ],
)
def test_odd_digits_and_ancient_weeks_are_not_a_server_error(request, client, who, url):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code < 500
