import datetime
import threading
import time
from decimal import Decimal
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from contracts import services as contract_services
from contracts.entitlements import entitlements_for
from contracts.models import Connector
from contracts.periods import contract_year, contract_years
from hours import selectors, services
from hours.models import HoursBalance, LedgerEntry, TimeEntry, UsageNotice
from portal import outbox
from portal.refusals import Refusal
from tests.clock import NOW, TERM_START, TODAY, pt
from tickets.models import Kind, Ticket
from tickets.services import ticket_open

YEAR_MINUTES = 40 * 60  # Globex's 40 hours a year


def connector(slug: str) -> Connector:
    return Connector.objects.get(slug=slug)


pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="Row locks (SELECT ... FOR UPDATE) need PostgreSQL; CI runs the suite on PostgreSQL.",
)


def ledger_sum(contract, period_start=TERM_START) -> int:
    return sum(
        LedgerEntry.objects.filter(contract=contract, period_start=period_start, engagement__isnull=True).values_list(
            "minutes", flat=True
        )
    )


def assert_balance_matches_ledger(contract, period_start=TERM_START):
    balance = HoursBalance.objects.get(contract=contract, period_start=period_start, engagement__isnull=True)
    granted, adjusted, used, _ = selectors.ledger_totals(contract_id=contract.pk, period_start=period_start)
    assert (balance.granted_minutes, balance.adjusted_minutes, balance.used_minutes) == (granted, adjusted, used)
    assert balance.balance_minutes == ledger_sum(contract, period_start)


# Rounding and the grant ---------------------------------------------------------------------------


@pytest.mark.parametrize(("entered", "debited"), [(1, 15), (15, 15), (16, 30), (50, 60), (60, 60), (960, 960)])
def test_minutes_are_rounded_up_to_the_contracts_increment(log, globex_ticket, entered, debited):
    entry = log(ticket=globex_ticket, minutes=entered)
    assert (entry.minutes, entry.minutes_debited) == (entered, debited)
    debit = LedgerEntry.objects.get(entry=entry)
    assert (debit.kind, debit.minutes) == ("debit", -debited)
    assert ledger_sum(globex_ticket.organization.contracts.get()) == YEAR_MINUTES - debited


def test_rounding_follows_a_custom_increment(globex, make_contract, make_ticket, log):
    make_contract(globex, plan="enterprise", sa_hours=Decimal("10"), rounding_increment_minutes=30)
    entry = log(ticket=make_ticket(globex), minutes=31)
    assert entry.minutes_debited == 60


def test_the_grant_is_written_once_with_the_first_debit(log, globex_ticket, globex_contract):
    assert not LedgerEntry.objects.exists()
    log(ticket=globex_ticket, minutes=30)
    log(ticket=globex_ticket, minutes=30)
    grants = LedgerEntry.objects.filter(kind="grant")
    assert [(g.minutes, g.period_start) for g in grants] == [(YEAR_MINUTES, TERM_START)]
    assert_balance_matches_ledger(globex_contract)


# Refusals -----------------------------------------------------------------------------------------


def refusal(call) -> Refusal:
    count = TimeEntry.objects.count()
    with pytest.raises(Refusal) as caught:
        call()
    assert TimeEntry.objects.count() == count
    return caught.value


def test_no_allotment_and_no_engagement_is_refused(acme_contract, make_ticket, log):
    error = refusal(lambda: log(ticket=make_ticket(acme_contract.organization)))
    assert error.code == "no_allotment"
    assert error.message == (
        "Acme Outfitters's contract (Standard support) includes no Solution Architect hours and no Configuration "
        "Support engagement: configuration work needs a quote first."
    )


def test_an_organization_without_any_contract_is_refused(acme, make_ticket, log):
    error = refusal(lambda: log(ticket=make_ticket(acme)))
    assert error.code == "no_allotment"
    assert error.message == "Acme Outfitters has no contract: there are no Solution Architect hours to debit."


def test_configuration_work_under_premium_alone_is_refused(premium_only_contract, make_ticket, log):
    error = refusal(lambda: log(ticket=make_ticket(premium_only_contract.organization)))
    assert error.code == "no_allotment"
    assert "only add-on is Premium support, which does not include configuration assistance" in error.message


def test_integration_support_for_a_connector_outside_the_contract_offers_a_quote(log, globex_ticket):
    error = refusal(lambda: log(ticket=globex_ticket, category="integration_support", connector=connector("amazon")))
    assert error.code == "connector_not_in_contract"
    assert error.message.startswith("The Amazon connector is not in Globex Retail's contract")
    assert "request a quote instead" in error.message
    offer = error.extra["quote_request"]
    assert offer["url"] == "/api/v1/time-entries/quote-request/"
    assert offer["body"] == {
        "organization": globex_ticket.organization_id,
        "connector": "amazon",
        "ticket": globex_ticket.pk,
    }


def test_integration_support_for_a_contract_connector_is_debited(log, globex_ticket):
    entry = log(ticket=globex_ticket, category="integration_support", connector=connector("shopify"), minutes=45)
    assert entry.connector.slug == "shopify"


def test_the_quote_request_is_one_step_and_not_duplicated(solution_architect, globex_ticket, gina):
    quote = services.connector_quote_request(
        architect=solution_architect,
        organization=globex_ticket.organization,
        connector=connector("amazon"),
        ticket=globex_ticket,
        now=NOW,
    )
    # The SA opened the configuration ticket here, so the request goes to the organization's admin.
    assert (quote.kind, quote.connector.slug, quote.requester, quote.raised_by, quote.channel) == (
        "connector_quote",
        "amazon",
        gina,
        solution_architect,
        "portal",
    )
    assert quote.subject == "Quote request: Amazon connector"
    again = services.connector_quote_request(
        architect=solution_architect, organization=globex_ticket.organization, connector=connector("amazon"), now=NOW
    )
    assert again.pk == quote.pk
    assert Ticket.objects.filter(kind=Kind.CONNECTOR_QUOTE).count() == 1


def test_a_quote_request_names_the_customer_who_asked_and_the_sa_who_raised_it(
    solution_architect, globex_contract, gina, make_user, django_capture_on_commit_callbacks
):
    from tickets.services import ticket_open

    george = make_user("george@globex.test", organization=globex_contract.organization, full_name="George Globex")
    asked = ticket_open(
        organization=globex_contract.organization,
        requester=george,
        subject="Sync Amazon listings",
        description="d",
        kind=Kind.CONFIGURATION_REQUEST,
        now=NOW,
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quote = services.connector_quote_request(
            architect=solution_architect,
            organization=globex_contract.organization,
            connector=connector("amazon"),
            ticket=asked,
            now=NOW,
        )
    assert (quote.requester, quote.raised_by) == (george, solution_architect)
    receipts = [m for m in mail.outbox if "We received your request" in m.body]
    assert [m.to for m in receipts] == [["george@globex.test"]]
    created = quote.events.get(kind="created")
    assert "raised by Sasha Architect for George Globex" in created.message
    assert created.actor == solution_architect


def test_incident_work_against_an_engagement_is_refused(engagement, make_ticket, log):
    incident = make_ticket(engagement.contract.organization, kind=Kind.INCIDENT, engagement=engagement)
    error = refusal(lambda: log(ticket=incident, engagement=engagement, category="engagement_work"))
    assert error.code == "not_configuration_work"
    assert "bug fixing and incidents are not part of Configuration Support" in error.message


def test_incident_work_against_the_allotment_is_refused(globex_contract, make_ticket, log):
    incident = make_ticket(globex_contract.organization, kind=Kind.INCIDENT)
    error = refusal(lambda: log(ticket=incident))
    assert error.code == "not_configuration_work"


def test_engagement_work_debits_the_quoted_hours(engagement, log):
    entry = log(engagement=engagement, category="engagement_work", work_mode="offline_work", minutes=100)
    assert entry.minutes_debited == 105
    usage = selectors.engagement_usage(engagement)
    assert (usage.allotted, usage.used, usage.remaining) == (3600, 105, 3495)
    assert not HoursBalance.objects.filter(engagement__isnull=True).exists()


def test_a_work_date_outside_the_contract_is_refused(globex_ticket, log, account_manager):
    before = TERM_START - datetime.timedelta(days=1)
    error = refusal(lambda: log(ticket=globex_ticket, work_date=before, now=NOW.replace(month=8, day=25)))
    assert error.code == "outside_contract"
    assert error.message == (
        "The work date 2026-08-18 is outside Globex Retail's contract (2026-08-19 to 2027-08-18): "
        "time is logged only on days the contract covers."
    )


def test_an_entry_older_than_the_lock_window_is_refused(globex_ticket, log):
    old = TODAY - datetime.timedelta(days=31)
    error = refusal(lambda: log(ticket=globex_ticket, work_date=old))
    assert error.code == "locked"
    assert error.message == (
        "Work dated 2026-10-27 is past the 30-day lock window (before 2026-10-28): "
        "only an account manager may log or change it."
    )
    assert log(ticket=globex_ticket, work_date=TODAY - datetime.timedelta(days=30)).pk


def test_the_lock_window_is_configurable(globex_ticket, log, settings):
    settings.HOURS_LOCK_DAYS = 7
    assert refusal(lambda: log(ticket=globex_ticket, work_date=TODAY - datetime.timedelta(days=8))).code == "locked"


def test_only_an_account_manager_changes_a_locked_entry(globex_ticket, log, solution_architect, account_manager):
    logged_then = NOW - datetime.timedelta(days=40)
    entry = log(ticket=globex_ticket, work_date=logged_then.date(), now=logged_then, minutes=60)
    assert (
        refusal(lambda: services.time_entry_edit(actor=solution_architect, entry=entry, minutes=90, now=NOW)).code
        == "locked"
    )
    with pytest.raises(Refusal):
        services.time_entry_void(actor=solution_architect, entry=entry, now=NOW)
    edited = services.time_entry_edit(actor=account_manager, entry=entry, minutes=90, now=NOW)
    assert edited.minutes_debited == 90


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "Minutes must be at least 1."),
        (-15, "Minutes must be at least 1."),
        ("1.5", "Enter the minutes as a whole number, such as 45 (got '1.5')."),
        (1.5, "Enter the minutes as a whole number, such as 45 (got '1.5')."),
        ("abc", "Enter the minutes as a whole number, such as 45 (got 'abc')."),
        (100000, "One entry holds at most 960 minutes (16 hours); split longer work by day."),
        (961, "One entry holds at most 960 minutes (16 hours); split longer work by day."),
    ],
)
def test_bad_minutes_are_refused_and_nothing_is_stored(globex_ticket, log, minutes, message):
    with pytest.raises(ValidationError) as caught:
        log(ticket=globex_ticket, minutes=minutes)
    assert caught.value.message_dict == {"minutes": [message]}
    assert not TimeEntry.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_a_future_work_date_is_refused(globex_ticket, log):
    with pytest.raises(ValidationError) as caught:
        log(ticket=globex_ticket, work_date=TODAY + datetime.timedelta(days=1))
    assert caught.value.message_dict == {"work_date": ["The work date 2026-11-28 is in the future."]}
    assert not TimeEntry.objects.exists()


def test_only_solution_architects_log_time(globex_ticket, log, support_engineer, gina):
    for user in (support_engineer, gina):
        with pytest.raises(PermissionDenied):
            log(ticket=globex_ticket, architect=user)


# Overdraw and overage -----------------------------------------------------------------------------


@pytest.fixture
def small_contract(globex, make_contract):
    """One hour a year: easy to overdraw."""
    return make_contract(globex, plan="enterprise", sa_hours=Decimal("1"))


def test_an_overdraw_without_approval_is_refused(small_contract, make_ticket, log):
    ticket = make_ticket(small_contract.organization)
    log(ticket=ticket, minutes=45)
    error = refusal(lambda: log(ticket=ticket, minutes=20))
    assert error.code == "allotment_exhausted"
    assert error.message == (
        "Only 0.25 h (15 minutes) are left in Globex Retail's contract year 2026-08-19 to 2027-08-18; this entry "
        "needs 30 minutes. An account manager can approve overage or add hours."
    )
    assert log(ticket=ticket, minutes=15).minutes_debited == 15
    assert ledger_sum(small_contract) == 0


def test_with_approval_the_excess_is_recorded_as_overage(small_contract, make_ticket, log, account_manager):
    ticket = make_ticket(small_contract.organization)
    log(ticket=ticket, minutes=45)
    services.overage_set(actor=account_manager, contract=small_contract, approved=True)
    entry = log(ticket=ticket, minutes=40)
    rows = list(LedgerEntry.objects.filter(entry=entry).values_list("kind", "minutes"))
    assert rows == [("debit", -15), ("overage", -30)]
    usage = selectors.year_usage(small_contract, contract_year(TERM_START, small_contract.term_end, TODAY))
    assert (usage.allotted, usage.used, usage.remaining, usage.overage) == (60, 90, 0, 30)
    assert ledger_sum(small_contract) == -30
    # Further work past the balance is all overage.
    later = log(ticket=ticket, minutes=15)
    assert list(LedgerEntry.objects.filter(entry=later).values_list("kind", "minutes")) == [("overage", -15)]
    assert_balance_matches_ledger(small_contract)
    assert small_contract.history.first().history_user == account_manager


# Reversals ----------------------------------------------------------------------------------------


def test_an_edit_reverses_the_old_debit_and_writes_a_new_one(log, globex_ticket, globex_contract, solution_architect):
    entry = log(ticket=globex_ticket, minutes=60)
    services.time_entry_edit(actor=solution_architect, entry=entry, minutes=80, note="longer", now=NOW)
    rows = list(LedgerEntry.objects.filter(entry=entry).order_by("pk").values_list("kind", "minutes"))
    assert rows == [("debit", -60), ("reversal", 60), ("debit", -90)]
    entry.refresh_from_db()
    assert (entry.minutes, entry.minutes_debited, entry.note) == (80, 90, "longer")
    assert ledger_sum(globex_contract) == YEAR_MINUTES - 90
    assert_balance_matches_ledger(globex_contract)


def test_an_edit_of_the_note_alone_writes_nothing_to_the_ledger(log, globex_ticket, solution_architect):
    entry = log(ticket=globex_ticket, minutes=60)
    services.time_entry_edit(actor=solution_architect, entry=entry, note="just the note", now=NOW)
    assert LedgerEntry.objects.filter(entry=entry).count() == 1


def test_an_edit_can_use_the_minutes_it_gives_back(small_contract, make_ticket, log, solution_architect):
    entry = log(ticket=make_ticket(small_contract.organization), minutes=60)
    edited = services.time_entry_edit(actor=solution_architect, entry=entry, minutes=55, now=NOW)
    assert edited.minutes_debited == 60
    assert ledger_sum(small_contract) == 0


def test_a_refused_edit_changes_nothing(small_contract, make_ticket, log, solution_architect):
    entry = log(ticket=make_ticket(small_contract.organization), minutes=30)
    with pytest.raises(Refusal):
        services.time_entry_edit(actor=solution_architect, entry=entry, minutes=120, now=NOW)
    entry.refresh_from_db()
    assert entry.minutes == 30
    assert LedgerEntry.objects.filter(entry=entry).count() == 1
    assert ledger_sum(small_contract) == 30


def test_a_void_reverses_the_debit_and_keeps_the_entry(log, globex_ticket, globex_contract, solution_architect):
    entry = log(ticket=globex_ticket, minutes=60)
    services.time_entry_void(actor=solution_architect, entry=entry, reason="wrong customer", now=NOW)
    services.time_entry_void(actor=solution_architect, entry=entry, now=NOW)  # a second void does nothing
    entry.refresh_from_db()
    assert entry.is_voided and entry.void_reason == "wrong customer"
    rows = list(LedgerEntry.objects.filter(entry=entry).order_by("pk").values_list("kind", "minutes"))
    assert rows == [("debit", -60), ("reversal", 60)]
    assert ledger_sum(globex_contract) == YEAR_MINUTES
    assert selectors.allotment_used_minutes(entitlements_for(globex_contract.organization, at=NOW).allotment) == 0
    with pytest.raises(ValidationError):
        services.time_entry_edit(actor=solution_architect, entry=entry, minutes=30, now=NOW)


def test_a_void_of_overage_reverses_both_rows(small_contract, make_ticket, log, account_manager, solution_architect):
    services.overage_set(actor=account_manager, contract=small_contract, approved=True)
    entry = log(ticket=make_ticket(small_contract.organization), minutes=90)
    services.time_entry_void(actor=solution_architect, entry=entry, now=NOW)
    assert ledger_sum(small_contract) == 60
    assert_balance_matches_ledger(small_contract)


def test_after_a_void_a_debit_records_only_the_overage_the_year_really_has(
    small_contract, make_ticket, log, account_manager, solution_architect
):
    """Regression: the overage rows of a year add up to how far its use passes the allotment, after a void too."""
    services.overage_set(actor=account_manager, contract=small_contract, approved=True)
    ticket = make_ticket(small_contract.organization)
    first = log(ticket=ticket, minutes=45)
    second = log(ticket=ticket, minutes=30)  # 15 within the hour, 15 past it
    assert list(LedgerEntry.objects.filter(entry=second).values_list("kind", "minutes")) == [
        ("debit", -15),
        ("overage", -15),
    ]
    services.time_entry_void(actor=solution_architect, entry=first, now=NOW)  # use falls to 30 of 60 minutes
    third = log(ticket=ticket, minutes=45)  # use is now 75 of 60: 15 over, which the second entry's row holds
    assert list(LedgerEntry.objects.filter(entry=third).values_list("kind", "minutes")) == [("debit", -45)]
    open_overage = LedgerEntry.objects.filter(contract=small_contract, kind="overage", reversed_by__isnull=True)
    assert sum(open_overage.values_list("minutes", flat=True)) == -15
    usage = selectors.year_usage(small_contract, contract_year(TERM_START, small_contract.term_end, TODAY))
    assert (usage.used, usage.overage) == (75, 15)
    # Past that, new minutes are overage again, and only the new ones.
    fourth = log(ticket=ticket, minutes=15)
    assert list(LedgerEntry.objects.filter(entry=fourth).values_list("kind", "minutes")) == [("overage", -15)]
    assert_balance_matches_ledger(small_contract)


def test_a_debit_within_the_allotment_after_a_void_records_no_overage(
    small_contract, make_ticket, log, account_manager, solution_architect
):
    services.overage_set(actor=account_manager, contract=small_contract, approved=True)
    ticket = make_ticket(small_contract.organization)
    first = log(ticket=ticket, minutes=60)
    log(ticket=ticket, minutes=30)  # all overage
    services.time_entry_void(actor=solution_architect, entry=first, now=NOW)  # 30 of 60 used
    later = log(ticket=ticket, minutes=15)
    assert list(LedgerEntry.objects.filter(entry=later).values_list("kind", "minutes")) == [("debit", -15)]


@pytest.mark.parametrize(
    ("debit", "available", "recorded", "split"),
    [
        (30, 60, 0, (30, 0)),
        (40, 15, 0, (15, 25)),
        (15, -30, 30, (0, 15)),
        (45, 30, 15, (45, 0)),  # the void case: the old overage row already holds the 15 minutes over
        (45, 30, 30, (45, 0)),
        (60, -10, 0, (0, 60)),  # lowered allotment: use already past it without an overage row
    ],
)
def test_debit_split(debit, available, recorded, split):
    from hours.rules import debit_split

    assert debit_split(debit, available, recorded) == split


def test_another_architect_cannot_change_an_entry(log, globex_ticket, make_user):
    from portal import roles

    other = make_user("sa2@vendor.test", group=roles.SOLUTION_ARCHITECT)
    entry = log(ticket=globex_ticket)
    with pytest.raises(PermissionDenied):
        services.time_entry_void(actor=other, entry=entry, now=NOW)


def test_the_ledger_is_append_only(log, globex_ticket):
    entry = log(ticket=globex_ticket)
    row = LedgerEntry.objects.get(entry=entry)
    with pytest.raises(TypeError):
        row.save()
    with pytest.raises(TypeError):
        row.delete()
    with pytest.raises(TypeError):
        LedgerEntry.objects.filter(pk=row.pk).update(minutes=0)
    with pytest.raises(TypeError):
        LedgerEntry.objects.all().delete()


@on_postgres
def test_the_database_refuses_to_change_a_ledger_row(log, globex_ticket):
    from django.db import DatabaseError

    entry = log(ticket=globex_ticket)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE hours_ledgerentry SET minutes = 0 WHERE entry_id = %s", [entry.pk])


# Contract years -----------------------------------------------------------------------------------


@pytest.fixture
def two_year_contract(globex, make_contract):
    """The anniversary (2026-11-20) falls inside the lock window of TODAY."""
    return make_contract(
        globex,
        plan="enterprise",
        sa_hours=Decimal("40"),
        term_start=datetime.date(2025, 11, 20),
        term_end=datetime.date(2027, 11, 19),
    )


def test_entries_the_day_before_and_the_day_of_an_anniversary_debit_different_years(
    two_year_contract, make_ticket, log
):
    ticket = make_ticket(two_year_contract.organization)
    before = log(ticket=ticket, work_date=datetime.date(2026, 11, 19), minutes=60)
    on = log(ticket=ticket, work_date=datetime.date(2026, 11, 20), minutes=120)
    assert before.period_start == datetime.date(2025, 11, 20)
    assert on.period_start == datetime.date(2026, 11, 20)
    assert ledger_sum(two_year_contract, datetime.date(2025, 11, 20)) == YEAR_MINUTES - 60
    assert ledger_sum(two_year_contract, datetime.date(2026, 11, 20)) == YEAR_MINUTES - 120
    balances = HoursBalance.objects.order_by("period_start").values_list("period_start", "period_end")
    assert list(balances) == [
        (datetime.date(2025, 11, 20), datetime.date(2026, 11, 19)),
        (datetime.date(2026, 11, 20), datetime.date(2027, 11, 19)),
    ]


def test_moving_an_entry_across_the_anniversary_moves_its_debit(
    two_year_contract, make_ticket, log, solution_architect
):
    ticket = make_ticket(two_year_contract.organization)
    entry = log(ticket=ticket, work_date=datetime.date(2026, 11, 19), minutes=60)
    services.time_entry_edit(actor=solution_architect, entry=entry, work_date=datetime.date(2026, 11, 20), now=NOW)
    assert ledger_sum(two_year_contract, datetime.date(2025, 11, 20)) == YEAR_MINUTES
    assert ledger_sum(two_year_contract, datetime.date(2026, 11, 20)) == YEAR_MINUTES - 60
    assert_balance_matches_ledger(two_year_contract, datetime.date(2025, 11, 20))
    assert_balance_matches_ledger(two_year_contract, datetime.date(2026, 11, 20))


def test_unused_hours_roll_over_only_when_the_contract_says_so(globex, make_contract, make_ticket, log):
    contract = make_contract(
        globex,
        plan="enterprise",
        sa_hours=Decimal("40"),
        term_start=datetime.date(2025, 11, 20),
        term_end=datetime.date(2027, 11, 19),
        rollover=True,
    )
    ticket = make_ticket(globex)
    log(ticket=ticket, work_date=datetime.date(2026, 11, 19), minutes=600)
    log(ticket=ticket, work_date=datetime.date(2026, 11, 20), minutes=60)
    rows = LedgerEntry.objects.filter(period_start=datetime.date(2026, 11, 20), kind__in=["grant", "rollover"])
    assert sorted(rows.values_list("kind", "minutes")) == [("grant", YEAR_MINUTES), ("rollover", YEAR_MINUTES - 600)]
    assert ledger_sum(contract, datetime.date(2026, 11, 20)) == 2 * YEAR_MINUTES - 600 - 60


def test_without_rollover_a_new_year_starts_from_its_allotment(two_year_contract, make_ticket, log):
    ticket = make_ticket(two_year_contract.organization)
    log(ticket=ticket, work_date=datetime.date(2026, 11, 19), minutes=600)
    log(ticket=ticket, work_date=datetime.date(2026, 11, 20), minutes=60)
    assert not LedgerEntry.objects.filter(kind="rollover").exists()


def test_a_change_of_the_contracts_hours_is_recorded_in_the_ledger(
    globex_contract, globex_ticket, log, account_manager
):
    log(ticket=globex_ticket, minutes=60)
    contract_services.contract_update_fields(actor=account_manager, contract=globex_contract, sa_hours_per_year=60)
    log(ticket=globex_ticket, minutes=60)
    change = LedgerEntry.objects.get(kind="allotment_change")  # written by the save, not by the next debit
    assert (change.minutes, change.actor) == (20 * 60, account_manager)
    assert change.reason == "Yearly Solution Architect hours changed from 40 to 60."
    assert ledger_sum(globex_contract) == 60 * 60 - 120


# Adjustments --------------------------------------------------------------------------------------


def test_an_account_manager_adjusts_with_a_reason(globex_contract, account_manager, solution_architect):
    row = services.hours_adjust(
        actor=account_manager, contract=globex_contract, minutes=120, reason="Goodwill for the outage", now=NOW
    )
    assert (row.kind, row.minutes, row.actor, row.reason) == (
        "adjustment",
        120,
        account_manager,
        "Goodwill for the outage",
    )
    services.hours_adjust(actor=account_manager, contract=globex_contract, minutes=-30, reason="Workshop prep", now=NOW)
    assert ledger_sum(globex_contract) == YEAR_MINUTES + 90
    usage = selectors.year_usage(globex_contract, contract_year(TERM_START, globex_contract.term_end, TODAY))
    assert (usage.allotted, usage.adjusted, usage.used) == (YEAR_MINUTES + 90, 90, 0)
    with pytest.raises(ValidationError):
        services.hours_adjust(actor=account_manager, contract=globex_contract, minutes=60, reason=" ", now=NOW)
    with pytest.raises(PermissionDenied):
        services.hours_adjust(actor=solution_architect, contract=globex_contract, minutes=60, reason="x", now=NOW)
    with pytest.raises(ValidationError):
        services.hours_adjust(actor=account_manager, contract=globex_contract, minutes=-99999, reason="x", now=NOW)


def test_an_adjustment_cannot_overdraw(small_contract, account_manager):
    with pytest.raises(Refusal) as caught:
        services.hours_adjust(actor=account_manager, contract=small_contract, minutes=-90, reason="x", now=NOW)
    assert caught.value.code == "allotment_exhausted"


# Notices ------------------------------------------------------------------------------------------


@pytest.fixture
def ten_hours(globex, make_contract, gina):
    return make_contract(globex, plan="enterprise", sa_hours=Decimal("10"))


def notices_now(contract):
    """Checks the thresholds, then lets the outbox send what they wrote (it sends after the commit)."""
    made = services.usage_notices_check(contract=contract, period_start=TERM_START, now=NOW)
    outbox.flush()
    return made


def test_each_notice_is_sent_once_at_75_90_and_100_percent(ten_hours, make_ticket, log):
    ticket = make_ticket(ten_hours.organization)
    outbox.flush()  # the ticket's own receipts go first
    mail.outbox.clear()
    log(ticket=ticket, minutes=420)  # 70%
    assert notices_now(ten_hours) == 0
    log(ticket=ticket, minutes=30)  # 75%
    assert notices_now(ten_hours) == 1
    assert notices_now(ten_hours) == 0
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Globex Retail has used 75% of its Solution Architect hours"
    assert sorted(message.to) == ["am@vendor.test", "gina@globex.test"]
    assert "7.5 of 10 hours used, 2.5 hours left" in message.body
    log(ticket=ticket, minutes=90)  # 90%
    assert notices_now(ten_hours) == 1
    log(ticket=ticket, minutes=60)  # 100%
    assert notices_now(ten_hours) == 1
    assert notices_now(ten_hours) == 0
    assert [m.subject for m in mail.outbox][1:] == [
        "Globex Retail has used 90% of its Solution Architect hours",
        "Globex Retail has used all of its Solution Architect hours for this contract year",
    ]
    assert list(UsageNotice.objects.values_list("threshold", flat=True)) == [75, 90, 100]
    assert services.usage_notices_sweep(now=NOW) == 0


def test_a_jump_past_several_thresholds_sends_one_message(ten_hours, make_ticket, log):
    log(ticket=make_ticket(ten_hours.organization), minutes=600)
    outbox.flush()  # the ticket's own receipts go first
    mail.outbox.clear()
    assert services.usage_notices_sweep(now=NOW) == 3
    assert services.usage_notices_sweep(now=NOW) == 0
    outbox.flush()
    assert len(mail.outbox) == 1
    assert UsageNotice.objects.filter(sent_at__isnull=False).count() == 3


def test_a_notice_is_not_sent_again_after_a_void_and_a_new_debit(ten_hours, make_ticket, log, solution_architect):
    ticket = make_ticket(ten_hours.organization)
    entry = log(ticket=ticket, minutes=450)
    assert notices_now(ten_hours) == 1
    services.time_entry_void(actor=solution_architect, entry=entry, now=NOW)
    log(ticket=ticket, minutes=450)
    assert notices_now(ten_hours) == 0


def test_a_debit_enqueues_the_usage_check_after_commit(globex_ticket, log, django_capture_on_commit_callbacks):
    with (
        mock.patch("hours.tasks.usage_notices_check.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        log(ticket=globex_ticket)
    delay.assert_called_once_with(globex_ticket.organization.contracts.get().pk, "2026-08-19")


def test_the_usage_task_is_idempotent(ten_hours, make_ticket, log):
    from hours import tasks

    log(ticket=make_ticket(ten_hours.organization), minutes=480)
    outbox.flush()  # the ticket's own receipts go first
    mail.outbox.clear()
    with mock.patch("hours.services.notices.timezone.now", return_value=NOW):
        assert tasks.usage_notices_check.run(ten_hours.pk, "2026-08-19") == 1
        assert tasks.usage_notices_check.run(ten_hours.pk, "2026-08-19") == 0
    outbox.flush()
    assert len(mail.outbox) == 1


def test_the_sweep_writes_the_grant_of_a_year_that_has_begun(globex_contract):
    services.usage_notices_sweep(now=NOW)
    services.usage_notices_sweep(now=NOW)
    assert list(LedgerEntry.objects.values_list("kind", "minutes")) == [("grant", YEAR_MINUTES)]


# Selectors ----------------------------------------------------------------------------------------


def test_hours_summary_and_the_forecast(globex_contract, globex_ticket, log):
    log(ticket=globex_ticket, minutes=600, work_date=TODAY - datetime.timedelta(days=10))
    summary = selectors.hours_summary(globex_contract.organization, today=TODAY)
    days_elapsed = (TODAY - TERM_START).days + 1  # 101
    expected_run_out = TODAY + datetime.timedelta(days=-(-1800 * days_elapsed // 600))
    assert summary == {
        "organization": globex_contract.organization,
        "contract_id": globex_contract.pk,
        "allotted": 2400,
        "used": 600,
        "remaining": 1800,
        "overage": 0,
        "percent": 25,
        "bar_percent": 25,
        "period_start": TERM_START,
        "period_end": globex_contract.term_end,
        "forecast_run_out": expected_run_out,
    }
    assert selectors.hours_summary(globex_contract.organization, today=TODAY)["forecast_run_out"] == datetime.date(
        2027, 9, 26
    )


def test_the_forecast_counts_in_whole_minutes_and_days():
    # 1 minute used in 49 days, 1 left: it lasts exactly 49 more days. Through a float pace (1/49 a day) the
    # division gives 49.00000000000001, and the forecast came a day late.
    start, end = datetime.date(2027, 1, 1), datetime.date(2027, 12, 31)
    today = start + datetime.timedelta(days=48)
    usage = selectors.Usage(allotted=2, used=1, period_start=start, period_end=end)
    assert selectors.forecast_run_out(usage, today=today) == today + datetime.timedelta(days=49)
    # A part of a day counts as a day: 3 minutes at 3 in 10 days last 10 days, 4 minutes 13⅓, so 14.
    today = start + datetime.timedelta(days=9)
    for left, days in ((3, 10), (4, 14)):
        usage = selectors.Usage(allotted=3 + left, used=3, period_start=start, period_end=end)
        assert selectors.forecast_run_out(usage, today=today) == today + datetime.timedelta(days=days)


def test_a_pace_that_never_runs_out_is_no_crash():
    # One minute used in a year, with 9,000 left: the pace's day is past any calendar (it raised OverflowError).
    start, end = datetime.date(2027, 1, 1), datetime.date(2027, 12, 31)
    usage = selectors.Usage(allotted=9001, used=1, period_start=start, period_end=end)
    assert selectors.forecast_run_out(usage, today=end) == datetime.date.max


def test_the_progress_bar_gives_a_run_out_day_only_within_the_contract_year():
    from django.template.loader import render_to_string

    start, end = datetime.date(2027, 1, 1), datetime.date(2027, 12, 31)
    summary = {"used": 60, "allotted": 600, "remaining": 540, "overage": 0, "percent": 10, "bar_percent": 10}
    summary |= {"period_start": start, "period_end": end}
    within = render_to_string("hours/_progress.html", {"summary": summary | {"forecast_run_out": end}})
    assert "at this pace the hours run out around" in within
    for later in (end + datetime.timedelta(days=1), datetime.date.max):
        after = render_to_string("hours/_progress.html", {"summary": summary | {"forecast_run_out": later}})
        assert "at this pace the hours last the contract year" in after and "run out around" not in after


def test_hours_summary_is_none_without_an_allotment(acme_contract):
    assert selectors.hours_summary(acme_contract.organization, today=TODAY) is None


def test_allotment_used_minutes_reads_the_ledger(globex_contract, globex_ticket, log):
    log(ticket=globex_ticket, minutes=50)
    allotment = entitlements_for(globex_contract.organization, at=NOW).allotment
    assert selectors.allotment_used_minutes(allotment) == 60
    # The batch form that lists use: every allotment's year, none for a missing allotment.
    assert selectors.used_minutes_of([allotment, None]) == {allotment.contract_id: 60}
    assert selectors.used_minutes_of([None]) == {}


# Concurrency (PostgreSQL) -------------------------------------------------------------------------


def _slow_debit(delay: float):
    """Widens the window between reading the balance and writing the debit, so a missing lock would show."""
    from hours.services import ledger

    original = ledger.debit

    def slow(balance, *args, **kwargs):
        time.sleep(delay)
        return original(balance, *args, **kwargs)

    return mock.patch("hours.services.ledger.debit", side_effect=slow)


def _run_threads(count: int, work) -> list:
    results: list = []
    barrier = threading.Barrier(count)

    def run(index: int):
        try:
            barrier.wait()
            results.append(work(index))
        except Refusal as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@on_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_debits_never_overdraw(small_contract, make_ticket, make_user):
    from portal import roles

    ticket = make_ticket(small_contract.organization)
    architects = [make_user(f"sa{i}@vendor.test", group=roles.SOLUTION_ARCHITECT) for i in range(8)]

    def work(index):
        services.time_entry_log(
            architect=architects[index], ticket=ticket, category="system_setup", minutes=15, work_date=TODAY, now=NOW
        )
        return "ok"

    with _slow_debit(0.05):
        results = _run_threads(8, work)
    assert sorted(results) == ["allotment_exhausted"] * 4 + ["ok"] * 4
    assert TimeEntry.objects.count() == 4
    assert ledger_sum(small_contract) == 0
    assert_balance_matches_ledger(small_contract)
    assert LedgerEntry.objects.filter(kind="grant").count() == 1


MINUTES = [15, 30, 45, 60] * 2 + [15, 30]  # ten entries per architect, 1,380 minutes in all


@on_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_debits_lose_no_entry(globex_contract, make_ticket, make_user):
    from portal import roles

    ticket = make_ticket(globex_contract.organization)
    architects = [make_user(f"sa{i}@vendor.test", group=roles.SOLUTION_ARCHITECT) for i in range(4)]

    def work(index):
        for minutes in MINUTES:
            services.time_entry_log(
                architect=architects[index],
                ticket=ticket,
                category="system_setup",
                minutes=minutes,
                work_date=TODAY,
                now=NOW,
            )
        return "ok"

    results = _run_threads(4, work)
    assert results == ["ok"] * 4
    assert TimeEntry.objects.count() == 40
    used = 4 * sum(MINUTES)
    assert ledger_sum(globex_contract) == YEAR_MINUTES - used
    assert_balance_matches_ledger(globex_contract)


def test_late_entries_in_a_closed_year_correct_the_rollover(globex, make_contract, solution_architect):
    contract = make_contract(
        globex,
        plan="enterprise",
        sa_hours=Decimal("10"),
        term_start=datetime.date(2026, 8, 19),
        term_end=datetime.date(2028, 8, 18),
        rollover=True,
    )
    ticket = ticket_open(
        organization=globex,
        requester=solution_architect,
        subject="s",
        description="d",
        kind="configuration_request",
        now=pt(2026, 9, 1, 12),
    )
    services.usage_notices_sweep(now=pt(2027, 8, 19, 3, 0))  # opens year 2
    entry = services.time_entry_log(
        architect=solution_architect,
        category="system_setup",
        minutes=480,
        work_date=datetime.date(2027, 8, 18),
        ticket=ticket,
        now=pt(2027, 8, 20, 9, 0),
    )
    first, second = contract_years(contract.term_start, contract.term_end)[:2]
    assert selectors.year_usage(contract, first).remaining == 120
    assert selectors.year_usage(contract, second).allotted == 600 + 120
    services.time_entry_void(actor=solution_architect, entry=entry, reason="wrong customer", now=pt(2027, 8, 21, 9, 0))
    assert selectors.year_usage(contract, second).allotted == 600 + 600


@on_postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_storm_of_mixed_log_edit_and_void_from_separate_connections(globex_contract, make_ticket, make_user):
    """Twenty connections at once on one contract: a third log, a third edit, a third void; no deadlock, and the
    balance is the grant less exactly what the entries still standing debit."""
    from django.db import DatabaseError

    from hours.models import TimeEntry
    from portal import roles

    ticket = make_ticket(globex_contract.organization)
    architects = [make_user(f"storm{i}@vendor.test", group=roles.SOLUTION_ARCHITECT) for i in range(20)]
    standing = {
        i: services.time_entry_log(
            architect=architects[i], ticket=ticket, category="system_setup", minutes=30, work_date=TODAY, now=NOW
        )
        for i in range(20)
        if i % 3
    }
    errors: list[str] = []

    def work(index):
        architect = architects[index]
        try:
            for round_ in range(3):
                if index % 3 == 0:
                    services.time_entry_log(
                        architect=architect,
                        ticket=ticket,
                        category="system_setup",
                        minutes=15,
                        work_date=TODAY,
                        now=NOW,
                    )
                elif index % 3 == 1:
                    entry = TimeEntry.objects.get(pk=standing[index].pk)
                    services.time_entry_edit(actor=architect, entry=entry, minutes=45 + 15 * round_, now=NOW)
                elif round_ == 0:
                    entry = TimeEntry.objects.get(pk=standing[index].pk)
                    services.time_entry_void(actor=architect, entry=entry, reason="storm", now=NOW)
        except DatabaseError as error:  # a deadlock would land here (and be a 500 behind a page)
            errors.append(f"{type(error).__name__}: {error}")
            raise
        return "ok"

    results = _run_threads(20, work)
    assert errors == []
    assert results == ["ok"] * 20
    live = TimeEntry.objects.filter(voided_at__isnull=True)
    assert live.count() == 7 * 3 + 7  # three logs by each of 7 loggers, the 7 edited entries
    assert sorted(set(live.filter(architect__in=architects[1::3]).values_list("minutes", flat=True))) == [75]
    assert ledger_sum(globex_contract) == YEAR_MINUTES - sum(live.values_list("minutes_debited", flat=True))
    assert_balance_matches_ledger(globex_contract)
