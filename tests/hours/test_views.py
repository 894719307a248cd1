import csv
import datetime
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from hours import selectors
from hours.models import LedgerEntry, TimeEntry
from tests.clock import NOW, TODAY
from tickets.models import Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]


def login(client, user):
    client.force_login(user)
    return client


def form(ticket, **extra):
    data = {
        "organization": ticket.organization_id,
        "ticket": ticket.pk,
        "category": "system_setup",
        "work_date": TODAY.isoformat(),
        "minutes": "50",
        "note": "",
    }
    data.update(extra)
    return data


# Log time -----------------------------------------------------------------------------------------


def test_the_log_page_is_for_solution_architects(client, solution_architect, gina, support_engineer):
    assert login(client, solution_architect).get(reverse("hours:log")).status_code == 200
    assert login(client, gina).get(reverse("hours:log")).status_code == 403
    assert login(client, support_engineer).get(reverse("hours:log")).status_code == 403


def test_logging_remembers_the_last_customer_and_category(client, solution_architect, globex_ticket):
    login(client, solution_architect)
    response = client.post(reverse("hours:log"), form(globex_ticket, category="workflow_optimization"))
    assert response.status_code == 302
    entry = TimeEntry.objects.get()
    assert (entry.minutes, entry.minutes_debited, entry.category) == (50, 60, "workflow_optimization")
    page = client.get(reverse("hours:log"))
    assert page.context["form"].initial["organization"] == globex_ticket.organization_id
    assert page.context["form"].initial["category"] == "workflow_optimization"
    assert "Logged 50 minutes for Globex Retail (60 debited). 39 h left this contract year." in page.content.decode()


def test_the_log_page_prefills_from_a_ticket(client, solution_architect, globex_ticket):
    login(client, solution_architect)
    page = client.get(reverse("hours:log") + f"?ticket={globex_ticket.pk}")
    assert page.context["form"].initial["ticket"] == globex_ticket.pk
    assert page.context["form"].initial["organization"] == globex_ticket.organization_id
    assert f"For ticket #{globex_ticket.pk}" in page.content.decode()


def test_the_ticket_link_partial(rf, globex_ticket, solution_architect):
    request = rf.get("/tickets/1/")
    html = render_to_string("hours/_log_link.html", {"ticket": globex_ticket, "request": request})
    assert f"/hours/log/?ticket={globex_ticket.pk}&amp;next=/tickets/1/" in html


@pytest.mark.parametrize("minutes", ["0", "-5", "1.5", "abc", "100000", ""])
def test_bad_minutes_on_the_page_answer_400_and_store_nothing(client, solution_architect, globex_ticket, minutes):
    response = login(client, solution_architect).post(reverse("hours:log"), form(globex_ticket, minutes=minutes))
    assert response.status_code == 400
    assert response.context["form"].errors["minutes"]
    assert not TimeEntry.objects.exists()


def test_a_future_date_on_the_page_is_refused(client, solution_architect, globex_ticket):
    response = login(client, solution_architect).post(reverse("hours:log"), form(globex_ticket, work_date="2026-11-28"))
    assert response.status_code == 400
    assert response.context["form"].errors["work_date"] == ["The work date 2026-11-28 is in the future."]


def test_a_refusal_is_shown_with_its_reason_and_a_quote_button(client, solution_architect, globex_ticket, gina):
    from contracts.models import Connector

    login(client, solution_architect)
    amazon = Connector.objects.get(slug="amazon")
    response = client.post(
        reverse("hours:log"), form(globex_ticket, category="integration_support", connector=amazon.pk)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-code="connector_not_in_contract"' in page
    assert "The Amazon connector is not in Globex Retail&#x27;s contract" in page
    assert "Request a quote for this connector" in page
    quote = client.post(
        reverse("hours:quote_request"),
        {"organization": globex_ticket.organization_id, "connector": "amazon", "ticket": globex_ticket.pk},
    )
    assert quote.status_code == 302
    ticket = Ticket.objects.get(kind="connector_quote")
    assert (ticket.connector, ticket.requester, ticket.raised_by) == (amazon, gina, solution_architect)


# Week, customers, edit and void ---------------------------------------------------------------------


def test_my_week_as_a_timesheet(client, solution_architect, globex_ticket, log):
    log(ticket=globex_ticket, minutes=50, work_date=TODAY)
    log(ticket=globex_ticket, minutes=70, work_date=TODAY - datetime.timedelta(days=1))
    log(ticket=globex_ticket, minutes=30, work_date=TODAY - datetime.timedelta(days=14))  # another week
    page = login(client, solution_architect).get(reverse("hours:week"))
    assert page.status_code == 200
    assert page.context["sheet"]["total"] == 120
    assert page.context["week_label"] == "2026-W48"
    assert '<td class="text-end fw-semibold" data-testid="week-total">2</td>' in page.content.decode()
    earlier = client.get(reverse("hours:week") + "?week=2026-W46")
    assert earlier.context["sheet"]["total"] == 30
    assert client.get(reverse("hours:week") + "?week=nonsense").status_code == 200


def test_the_customers_page_shows_remaining_hours(client, support_engineer, gina, globex_ticket, log, engagement):
    log(ticket=globex_ticket, minutes=600)
    page = login(client, support_engineer).get(reverse("hours:customers"))
    assert page.status_code == 200
    rows = {row["organization"].name: row for row in page.context["rows"]}
    assert rows["Globex Retail"]["summary"]["remaining"] == 1800
    assert rows["Umbrella Goods"]["engagements"][0]["usage"].remaining == 3600
    assert login(client, gina).get(reverse("hours:customers")).status_code == 403


def test_an_sa_edits_and_voids_their_entry_on_the_pages(client, solution_architect, globex_ticket, log):
    entry = log(ticket=globex_ticket, minutes=60)
    login(client, solution_architect)
    assert client.get(reverse("hours:entry_edit", args=[entry.pk])).status_code == 200
    response = client.post(reverse("hours:entry_edit", args=[entry.pk]), form(globex_ticket, minutes="20"))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.minutes_debited == 30
    response = client.post(reverse("hours:entry_void", args=[entry.pk]), {"reason": "duplicate"})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.is_voided
    assert sum(LedgerEntry.objects.values_list("minutes", flat=True)) == 2400


def test_other_peoples_entries_are_not_found(client, globex_ticket, log, make_user, gina):
    from portal import roles

    entry = log(ticket=globex_ticket)
    other = make_user("sa2@vendor.test", group=roles.SOLUTION_ARCHITECT)
    assert login(client, other).get(reverse("hours:entry_edit", args=[entry.pk])).status_code == 404
    assert client.post(reverse("hours:entry_void", args=[entry.pk])).status_code == 404
    assert login(client, gina).post(reverse("hours:entry_void", args=[entry.pk])).status_code == 403
    assert not TimeEntry.objects.get(pk=entry.pk).is_voided


# Account managers -------------------------------------------------------------------------------


def test_the_ledger_page_adjusts_and_approves_overage(client, account_manager, globex_contract, globex_ticket, log):
    log(ticket=globex_ticket, minutes=60)
    login(client, account_manager)
    url = reverse("hours:ledger", args=[globex_contract.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert [row.kind for row in page.context["rows"]] == ["grant", "debit"]
    response = client.post(url, {"minutes": "-45", "reason": "Training session"})
    assert response.status_code == 302
    adjustment = LedgerEntry.objects.get(kind="adjustment")
    assert (adjustment.minutes, adjustment.reason, adjustment.actor) == (-45, "Training session", account_manager)
    assert client.post(url, {"minutes": "30", "reason": ""}).status_code == 400
    client.post(reverse("hours:overage", args=[globex_contract.pk]), {"approved": "1"})
    globex_contract.refresh_from_db()
    assert globex_contract.overage_approved


def test_the_ledger_page_is_for_account_managers(client, solution_architect, gina, alice, globex_contract):
    url = reverse("hours:ledger", args=[globex_contract.pk])
    assert login(client, solution_architect).get(url).status_code == 403
    assert login(client, alice).get(url).status_code == 404
    assert login(client, gina).get(url).status_code == 403
    assert (
        login(client, alice).post(reverse("hours:overage", args=[globex_contract.pk]), {"approved": "1"}).status_code
        == 404
    )
    globex_contract.refresh_from_db()
    assert not globex_contract.overage_approved


# The customer's statement ---------------------------------------------------------------------------


@pytest.fixture
def used_quarter(globex_ticket, log):
    log(ticket=globex_ticket, minutes=300, work_date=datetime.date(2026, 10, 30))
    log(ticket=globex_ticket, minutes=195, category="custom_field_mapping", work_date=datetime.date(2026, 11, 20))
    log(ticket=globex_ticket, minutes=105, category="workflow_optimization", work_date=datetime.date(2026, 11, 26))


def test_the_statement_of_an_organization_admin(client, gina, used_quarter):
    page = login(client, gina).get(reverse("hours:statement"))
    assert page.status_code == 200
    selected = page.context["selected"]
    assert (selected["usage"].allotted, selected["usage"].used, selected["usage"].remaining) == (2400, 600, 1800)
    assert selected["by_category"] == [
        ("System Setup", 300),
        ("Integration Support", 0),
        ("Workflow Optimization", 105),
        ("Custom Field Mapping", 195),
    ]
    assert selected["by_month"] == [("2026-10", 300), ("2026-11", 300)]
    html = page.content.decode()
    assert 'data-series="actual"' in html and 'data-series="forecast"' in html and 'data-series="allotment"' in html
    assert '<div class="fs-4" data-testid="remaining">30 h</div>' in html
    assert "lasts the year" in html  # 600 minutes in 101 days: 1,800 more take 303 days


def test_the_statement_lists_past_years(client, gina, globex, make_contract, make_ticket, log):
    from decimal import Decimal

    make_contract(
        globex,
        plan="enterprise",
        sa_hours=Decimal("40"),
        term_start=datetime.date(2024, 11, 20),
        term_end=datetime.date(2027, 11, 19),
    )
    log(ticket=make_ticket(globex), minutes=60, work_date=datetime.date(2026, 11, 19))
    page = login(client, gina).get(reverse("hours:statement"))
    starts = [row["period"].start for row in page.context["years"]]
    assert starts == [datetime.date(2026, 11, 20), datetime.date(2025, 11, 20), datetime.date(2024, 11, 20)]
    past = client.get(reverse("hours:statement") + "?period=2025-11-20")
    assert past.context["selected"]["usage"].used == 60
    assert past.context["selected"]["is_current"] is False


def test_members_and_other_organizations_are_kept_out_of_the_statement(client, bob, alice, gina, globex, used_quarter):
    assert login(client, bob).get(reverse("hours:statement")).status_code == 403
    assert login(client, alice).get(reverse("hours:statement") + f"?organization={globex.pk}").status_code == 404
    assert login(client, alice).get(reverse("hours:statement_csv") + f"?organization={globex.pk}").status_code == 404
    assert login(client, bob).get(reverse("hours:statement_csv")).status_code == 403


def test_staff_read_any_statement(client, support_engineer, globex, used_quarter):
    login(client, support_engineer)
    assert client.get(reverse("hours:statement")).status_code == 302
    assert client.get(reverse("hours:statement") + f"?organization={globex.pk}").status_code == 200


def test_the_csv_export(client, gina, used_quarter, globex_ticket, log, solution_architect):
    from hours import services

    entry = log(ticket=globex_ticket, minutes=15, work_date=TODAY, note="=HYPERLINK(1)")
    services.time_entry_void(actor=solution_architect, entry=log(ticket=globex_ticket, minutes=15), now=NOW)
    response = login(client, gina).get(reverse("hours:statement_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == [
        "date",
        "category",
        "connector",
        "ticket",
        "architect",
        "minutes",
        "minutes_debited",
        "hours_debited",
        "note",
    ]
    assert [r[0] for r in rows[1:]] == ["2026-10-30", "2026-11-20", "2026-11-26", "2026-11-27"]
    assert rows[-1][-1] == "'=HYPERLINK(1)"  # a formula is read as text
    assert rows[1][5:8] == ["300", "300", "5"]
    assert entry.pk


def test_the_dashboard_progress_partial(globex, used_quarter):
    summary = selectors.hours_summary(globex, today=TODAY)
    html = render_to_string("hours/_progress.html", {"summary": summary})
    assert 'aria-valuenow="25"' in html
    assert 'width="25"' in html
    assert "10 of 40 h used" in html
    assert render_to_string("hours/_progress.html", {"summary": None}).strip() == ""


@pytest.mark.parametrize(
    ("who", "url"),
    [
        ("solution_architect", "/hours/log/?ticket=%C2%B2"),
        ("solution_architect", "/hours/week/?week=0001-W01"),
        ("account_manager", "/hours/statement/?organization=%C2%B2"),
    ],
)
def test_odd_digits_and_ancient_weeks_are_not_a_server_error(request, client, who, url):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url).status_code < 500
