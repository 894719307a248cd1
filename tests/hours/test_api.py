import datetime

import pytest
from rest_framework.test import APIClient

from contracts import services as contract_services
from hours.models import LedgerEntry, TimeEntry
from tests.clock import NOW, TODAY
from tickets.models import Kind, Ticket

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

URL = "/api/v1/time-entries/"


@pytest.fixture
def sa_api(api, solution_architect):
    return api(solution_architect)


def body(work_item, **extra):
    data = {
        "ticket": work_item.pk,
        "category": "system_setup",
        "work_date": TODAY.isoformat(),
        "minutes": 50,
        "note": "x",
    }
    data.update(extra)
    return data


def test_an_sa_logs_time(sa_api, globex_ticket):
    response = sa_api.post(URL, body(globex_ticket), format="json")
    assert response.status_code == 201, response.data
    data = response.json()
    assert {
        k: data[k]
        for k in ("ticket", "engagement", "category", "connector", "work_date", "minutes", "minutes_debited", "note")
    } == {
        "ticket": globex_ticket.pk,
        "engagement": None,
        "category": "system_setup",
        "connector": None,
        "work_date": "2026-11-27",
        "minutes": 50,
        "minutes_debited": 60,
        "note": "x",
    }
    assert TimeEntry.objects.get(pk=data["id"]).architect.email == "sa@vendor.test"


def test_integration_support_names_the_connector_by_slug(sa_api, globex_ticket):
    response = sa_api.post(
        URL, body(globex_ticket, category="integration_support", connector="netsuite"), format="json"
    )
    assert response.status_code == 201, response.data
    assert response.json()["connector"] == "netsuite"


def test_engagement_work(sa_api, engagement):
    response = sa_api.post(
        URL,
        {"engagement": engagement.pk, "category": "engagement_work", "work_date": "2026-11-26", "minutes": 90},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "work_mode": ["Say whether the work on the engagement was an online call or offline work."]
    }
    response = sa_api.post(
        URL,
        {
            "engagement": engagement.pk,
            "category": "engagement_work",
            "work_mode": "online_call",
            "work_date": "2026-11-26",
            "minutes": 90,
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    assert (response.json()["engagement"], response.json()["work_mode"]) == (engagement.pk, "online_call")


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        (0, "Minutes must be at least 1."),
        (-30, "Minutes must be at least 1."),
        ("1.5", "Enter the minutes as a whole number, such as 45."),
        (1.5, "Enter the minutes as a whole number, such as 45."),
        ("abc", "Enter the minutes as a whole number, such as 45."),
        (True, "Enter the minutes as a whole number, such as 45."),
        (100000, "One entry holds at most 960 minutes (16 hours); split longer work by day."),
        ("", "Enter the minutes as a whole number, such as 45."),
    ],
)
def test_bad_minutes_answer_400_and_store_nothing(sa_api, globex_ticket, minutes, message):
    response = sa_api.post(URL, body(globex_ticket, minutes=minutes), format="json")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": f"minutes: {message}", "errors": {"minutes": [message]}}
    assert not TimeEntry.objects.exists()
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"work_date": "2026-11-28"}, "work_date", "The work date 2026-11-28 is in the future."),
        ({"work_date": "yesterday"}, "work_date", None),
        ({"category": "coffee"}, "category", '"coffee" is not a valid choice.'),
        ({"ticket": None}, "ticket", "Name the configuration ticket or the engagement worked on."),
        ({"category": "integration_support"}, "connector", "Integration Support names the connector worked on."),
    ],
)
def test_bad_input_answers_400_with_the_field(sa_api, globex_ticket, changes, field, message):
    response = sa_api.post(URL, body(globex_ticket, **changes), format="json")
    assert response.status_code == 400, response.data
    assert response.json()["code"] == "invalid"
    errors = response.json()["errors"][field]
    if message:
        assert errors == [message]
    assert not TimeEntry.objects.exists()


def test_a_malformed_body_is_a_400_not_a_500(sa_api):
    response = sa_api.generic("POST", URL, "{not json", content_type="application/json")
    assert response.status_code == 400


@pytest.fixture
def refusals(globex_ticket, acme_contract, engagement, make_ticket):
    return {
        "acme": make_ticket(acme_contract.organization),
        "incident": make_ticket(engagement.contract.organization, kind=Kind.INCIDENT, engagement=engagement),
    }


@pytest.mark.parametrize(
    ("code", "make_body"),
    [
        ("no_allotment", lambda t, r: body(r["acme"])),
        ("connector_not_in_contract", lambda t, r: body(t, category="integration_support", connector="amazon")),
        (
            "not_configuration_work",
            lambda t, r: {
                "ticket": r["incident"].pk,
                "category": "engagement_work",
                "work_date": "2026-11-27",
                "minutes": 30,
            },
        ),
        ("outside_contract", lambda t, r: body(t, work_date="2026-08-18")),
        ("locked", lambda t, r: body(t, work_date="2026-10-01")),
        ("allotment_exhausted", lambda t, r: body(t, minutes=960)),
    ],
)
def test_each_refusal_is_a_400_with_its_code(sa_api, globex_ticket, refusals, code, make_body, account_manager):
    if code == "allotment_exhausted":
        contract_services.contract_update_fields(
            actor=account_manager, contract=globex_ticket.organization.contracts.get(), sa_hours_per_year=10
        )
    response = sa_api.post(URL, make_body(globex_ticket, refusals), format="json")
    assert response.status_code == 400, response.data
    data = response.json()
    assert data["code"] == code
    assert data["detail"]
    assert not TimeEntry.objects.exists()


def test_a_connector_refusal_offers_the_quote_request_which_takes_one_step(sa_api, globex_ticket):
    refused = sa_api.post(URL, body(globex_ticket, category="integration_support", connector="amazon"), format="json")
    offer = refused.json()["quote_request"]
    assert offer["method"] == "POST"
    response = sa_api.post(offer["url"], offer["body"], format="json")
    assert response.status_code == 201, response.data
    ticket = Ticket.objects.get(pk=response.json()["ticket"])
    assert (ticket.kind, ticket.connector.slug, ticket.organization) == (
        "connector_quote",
        "amazon",
        globex_ticket.organization,
    )


def test_an_sa_lists_only_their_own_entries_and_an_am_sees_all(
    api, sa_api, globex_ticket, make_user, account_manager, log
):
    from portal import roles

    other = make_user("sa2@vendor.test", group=roles.SOLUTION_ARCHITECT)
    mine = log(ticket=globex_ticket)
    theirs = log(ticket=globex_ticket, architect=other)
    assert [e["id"] for e in sa_api.get(URL).json()["results"]] == [mine.pk]
    assert sa_api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert sorted(e["id"] for e in api(account_manager).get(URL).json()["results"]) == sorted([mine.pk, theirs.pk])


def test_customer_admins_read_their_organizations_entries_only(
    api, globex_ticket, log, gina, alice, bob, make_ticket, engagement
):
    entry = log(ticket=globex_ticket)
    umbrella_entry = log(engagement=engagement, category="engagement_work", work_mode="offline_work")
    gina_api = api(gina)
    assert [e["id"] for e in gina_api.get(URL).json()["results"]] == [entry.pk]
    assert gina_api.get(f"{URL}{umbrella_entry.pk}/").status_code == 404
    assert gina_api.post(URL, body(globex_ticket), format="json").status_code == 403
    assert gina_api.post(f"{URL}{entry.pk}/void/", {}, format="json").status_code == 403
    alice_api = api(alice)
    assert alice_api.get(URL).json()["results"] == []
    assert alice_api.get(f"{URL}{entry.pk}/").status_code == 404
    assert alice_api.post(f"{URL}{entry.pk}/void/", {}, format="json").status_code in (403, 404)
    assert api(bob).get(URL).status_code == 403
    assert not TimeEntry.objects.get(pk=entry.pk).is_voided


def test_a_support_engineer_and_anonymous_callers_are_kept_out(api, support_engineer, globex_ticket, log):
    log(ticket=globex_ticket)
    assert api(support_engineer).get(URL).status_code == 403
    assert APIClient().get(URL).status_code in (401, 403)


def test_an_sa_voids_and_edits_through_the_api(sa_api, globex_ticket, log):
    entry = log(ticket=globex_ticket, minutes=60)
    edited = sa_api.patch(f"{URL}{entry.pk}/", {"minutes": 100}, format="json")
    assert edited.status_code == 200, edited.data
    assert edited.json()["minutes_debited"] == 105
    voided = sa_api.post(f"{URL}{entry.pk}/void/", {"reason": "duplicate"}, format="json")
    assert voided.status_code == 200
    assert voided.json()["is_voided"] is True
    kinds = list(LedgerEntry.objects.filter(entry=entry).order_by("pk").values_list("kind", "minutes"))
    assert kinds == [("debit", -60), ("reversal", 60), ("debit", -105), ("reversal", 105)]


def test_a_locked_entry_cannot_be_voided_by_its_sa(sa_api, globex_ticket, log):
    then = NOW - datetime.timedelta(days=45)
    entry = log(ticket=globex_ticket, work_date=then.date(), now=then)
    response = sa_api.post(f"{URL}{entry.pk}/void/", {}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "locked"


def hours_url(contract) -> str:
    return f"/api/v1/contracts/{contract.pk}/hours/"


def test_contract_hours(api, gina, globex_contract, globex_ticket, log, account_manager):
    log(ticket=globex_ticket, minutes=50)
    response = api(gina).get(hours_url(globex_contract))
    assert response.status_code == 200
    assert response.json() == {
        "contract": globex_contract.pk,
        "allotted_minutes": 2400,
        "used_minutes": 60,
        "remaining_minutes": 2340,
        "overage_minutes": 0,
        "period_start": "2026-08-19",
        "period_end": "2027-08-18",
        "engagements": [],
    }
    assert api(account_manager).get(hours_url(globex_contract)).status_code == 200


def test_contract_hours_before_any_entry_show_the_coming_grant(api, gina, globex_contract):
    data = api(gina).get(hours_url(globex_contract)).json()
    assert (data["allotted_minutes"], data["used_minutes"], data["remaining_minutes"]) == (2400, 0, 2400)
    assert not LedgerEntry.objects.exists()


def test_contract_hours_are_scoped(api, alice, bob, globex_contract, acme_contract, make_user, globex):
    assert api(alice).get(hours_url(globex_contract)).status_code == 404
    member = make_user("greg@globex.test", organization=globex, role="member")
    assert api(member).get(hours_url(globex_contract)).status_code == 403
    response = api(alice).get(hours_url(acme_contract))
    assert response.status_code == 404
    assert response.json()["code"] == "no_allotment"
