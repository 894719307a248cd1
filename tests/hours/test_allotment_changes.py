"""A change of a contract's yearly SA hours, or of its tier, changes the current contract year's allotment at once."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from contracts import services as contract_services
from contracts.periods import contract_year
from hours import selectors, services
from hours.models import HoursBalance, LedgerEntry, UsageNotice
from portal import outbox
from tests.clock import NOW, TERM_END, TERM_START, TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

YEAR = contract_year(TERM_START, TERM_END, TODAY)


def usage_of(contract):
    return selectors.year_usage(contract, YEAR)


def change_rows(contract):
    return list(
        LedgerEntry.objects.filter(contract=contract, kind="allotment_change")
        .order_by("pk")
        .values_list("minutes", "reason", "actor__email")
    )


def log_long(log, ticket, minutes):
    """Logs `minutes` in entries of at most a working day."""
    while minutes > 0:
        log(ticket=ticket, minutes=min(minutes, 960))
        minutes -= 960


def test_raising_the_hours_from_40_to_45_shows_45_at_once_with_a_ledger_row(
    globex_contract, globex_ticket, log, account_manager, api, gina
):
    log(ticket=globex_ticket, minutes=60)
    contract_services.contract_update_fields(
        actor=account_manager, contract=globex_contract, sa_hours_per_year=Decimal("45")
    )
    assert change_rows(globex_contract) == [
        (300, "Yearly Solution Architect hours changed from 40 to 45.", "am@vendor.test")
    ]
    assert (usage_of(globex_contract).allotted, usage_of(globex_contract).used) == (45 * 60, 60)
    balance = HoursBalance.objects.get(contract=globex_contract, engagement__isnull=True)
    assert (balance.allotment_minutes, balance.granted_minutes) == (45 * 60, 45 * 60)
    # The customer's API and statement read 45 hours.
    response = api(gina).get(f"/api/v1/contracts/{globex_contract.pk}/hours/")
    assert response.json()["allotted_minutes"] == 45 * 60
    assert response.json()["remaining_minutes"] == 44 * 60


def test_a_year_with_no_ledger_yet_opens_with_the_old_allotment_and_records_the_change(
    globex_contract, account_manager
):
    assert not LedgerEntry.objects.exists()
    contract_services.contract_update_fields(
        actor=account_manager, contract=globex_contract, sa_hours_per_year=Decimal("45")
    )
    rows = list(LedgerEntry.objects.order_by("pk").values_list("kind", "minutes", "actor__email"))
    assert rows == [("grant", 40 * 60, None), ("allotment_change", 300, "am@vendor.test")]
    assert usage_of(globex_contract).allotted == 45 * 60


def test_the_api_patch_and_the_page_write_the_change_too(globex_contract, account_manager, api, client):
    response = api(account_manager).patch(
        f"/api/v1/contracts/{globex_contract.pk}/", {"sa_hours_per_year": "45.00"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert usage_of(globex_contract).allotted == 45 * 60
    client.force_login(account_manager)
    page = client.get(reverse("contracts:contract_edit", args=[globex_contract.pk]))
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data.update(sa_hours_per_year="42", add_ons=[], connectors=[c.pk for c in globex_contract.connectors.all()])
    data = {k: v for k, v in data.items() if v is not None and v is not False}
    response = client.post(reverse("contracts:contract_edit", args=[globex_contract.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    assert [m for m, _, _ in change_rows(globex_contract)] == [300, -180]
    assert usage_of(globex_contract).allotted == 42 * 60


def test_the_statement_and_the_history_show_the_change(globex_contract, account_manager, client, gina):
    contract_services.contract_update_fields(
        actor=account_manager, contract=globex_contract, sa_hours_per_year=Decimal("45")
    )
    client.force_login(gina)
    statement = client.get(reverse("hours:statement")).content.decode()
    assert 'data-testid="allotted">45 h<' in statement
    assert "Yearly Solution Architect hours changed from 40 to 45." in statement
    client.force_login(account_manager)
    page = client.get(reverse("contracts:contract_detail", args=[globex_contract.pk])).content.decode()
    assert "Hours ledger allotment changed" in page
    assert "+5 h this contract year: Yearly Solution Architect hours changed from 40 to 45." in page


def test_lowering_the_hours_sends_the_notices_the_year_now_reaches(
    globex_contract, globex_ticket, log, account_manager, django_capture_on_commit_callbacks
):
    log_long(log, globex_ticket, 32 * 60)  # 80% of 40 h
    services.usage_notices_check(contract=globex_contract, period_start=TERM_START, now=NOW)
    outbox.flush()
    mail.outbox.clear()
    assert list(UsageNotice.objects.values_list("threshold", flat=True)) == [75]
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.contract_update_fields(
            actor=account_manager, contract=globex_contract, sa_hours_per_year=Decimal("34")
        )  # 32 of 34 h: 94%
    assert list(UsageNotice.objects.values_list("threshold", flat=True)) == [75, 90]
    assert [m.subject for m in mail.outbox] == ["Globex Retail has used 90% of its Solution Architect hours"]
    assert "32 of 34 hours used, 2 hours left" in mail.outbox[0].body


def test_raising_the_hours_lets_a_passed_threshold_be_told_again_later(
    globex_contract, globex_ticket, log, account_manager, django_capture_on_commit_callbacks
):
    log_long(log, globex_ticket, 30 * 60)  # 75% of 40 h
    services.usage_notices_check(contract=globex_contract, period_start=TERM_START, now=NOW)
    outbox.flush()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        contract_services.contract_update_fields(
            actor=account_manager, contract=globex_contract, sa_hours_per_year=Decimal("60")
        )  # 30 of 60 h: 50%, the 75% notice is armed again
    assert not UsageNotice.objects.exists()
    assert mail.outbox == []
    log_long(log, globex_ticket, 15 * 60)  # 45 of 60 h: 75%
    assert services.usage_notices_check(contract=globex_contract, period_start=TERM_START, now=NOW) == 1
    outbox.flush()
    assert [m.subject for m in mail.outbox] == ["Globex Retail has used 75% of its Solution Architect hours"]


def test_a_tier_change_that_removes_the_allotment(globex_contract, globex_ticket, log, account_manager):
    log(ticket=globex_ticket, minutes=120)
    contract_services.contract_update_fields(
        actor=account_manager, contract=globex_contract, plan="growth", sa_hours_per_year=Decimal("0")
    )
    assert change_rows(globex_contract) == [
        (
            -40 * 60,
            "Enterprise support ended: the contract has no Solution Architect hours from now on.",
            "am@vendor.test",
        )
    ]
    usage = usage_of(globex_contract)
    assert (usage.allotted, usage.used) == (0, 120)


def test_a_tier_change_that_adds_the_allotment(acme, make_contract, account_manager, api, alice):
    contract = make_contract(acme)  # Growth, Standard support: no SA hours
    contract_services.contract_update_fields(
        actor=account_manager, contract=contract, add_ons=["enterprise_support"], sa_hours_per_year=Decimal("20")
    )
    rows = list(LedgerEntry.objects.filter(contract=contract).order_by("pk").values_list("kind", "minutes", "reason"))
    assert rows == [
        ("grant", 0, "Allotment of the contract year 2026-08-19 to 2027-08-18."),
        ("allotment_change", 20 * 60, "Enterprise support added with 20 Solution Architect hours a year."),
    ]
    assert api(alice).get(f"/api/v1/contracts/{contract.pk}/hours/").json()["allotted_minutes"] == 20 * 60


def test_a_short_year_changes_by_the_prorated_difference(globex, make_contract, account_manager):
    from datetime import date

    # The term ends half-way through its second year... and today is in the first: build one whose only year is short.
    contract = make_contract(
        globex, plan="enterprise", sa_hours=Decimal("40"), term_start=TERM_START, term_end=date(2027, 2, 17)
    )
    contract_services.contract_update_fields(actor=account_manager, contract=contract, sa_hours_per_year=Decimal("52"))
    ((minutes, reason, _),) = change_rows(contract)
    # 183 of 365 days: 40 h -> 1203 minutes, 52 h -> 1564 minutes
    assert minutes == 52 * 60 * 183 // 365 - 40 * 60 * 183 // 365
    assert reason.endswith("This contract year is shorter than a full year: its allotment is prorated.")


def test_saving_without_a_change_of_hours_writes_nothing(globex_contract, account_manager):
    contract_services.contract_update_fields(actor=account_manager, contract=globex_contract, notes="Renewal call")
    services.overage_set(actor=account_manager, contract=globex_contract, approved=True)
    assert not LedgerEntry.objects.filter(contract=globex_contract).exists()


def test_a_new_contract_is_granted_on_first_use_not_on_save(globex_contract):
    assert not LedgerEntry.objects.filter(contract=globex_contract).exists()
