"""Staff parts of the API: the hours ledger and adjustments, engagements, and the queue's ordering of tickets."""

import datetime
from decimal import Decimal

import pytest

from contracts import services as contract_services
from contracts.models import AddOn, Connector, Engagement
from hours import services as hours_services
from hours.models import LedgerEntry
from portal.models import Organization
from tests.clock import NOW, TERM_END, TERM_START
from tickets.models import Kind, Status
from tickets.selectors import ticket_queue
from tickets.services import comment_add, ticket_change_status, ticket_open

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

STAFF = ["support_engineer", "solution_architect", "account_manager", "admin_user"]
MANAGERS = ["account_manager", "admin_user"]


@pytest.fixture
def globex_contract(globex, account_manager):
    """Enterprise with 40 Solution Architect hours a year and two connectors (as tests/hours/conftest.py)."""
    return contract_services.contract_save(
        actor=account_manager,
        organization=globex,
        plan="enterprise",
        term_start=TERM_START,
        term_end=TERM_END,
        sa_hours_per_year=Decimal("40"),
        connectors=Connector.objects.filter(slug__in=["shopify", "netsuite"]),
    )


@pytest.fixture
def umbrella(db, account_manager):
    return Organization.objects.create(name="Umbrella Goods", account_manager=account_manager)


@pytest.fixture
def engagement(umbrella, account_manager):
    """Umbrella's active Configuration Support engagement: 60 quoted hours."""
    contract = contract_services.contract_save(
        actor=account_manager, organization=umbrella, plan="growth", term_start=TERM_START, term_end=TERM_END
    )
    return contract_services.engagement_save(
        actor=account_manager,
        contract=contract,
        name="ERP migration",
        scope="Move order and inventory flows to NetSuite.",
        quoted_hours=Decimal("60"),
        status=Engagement.Status.ACTIVE,
    )


@pytest.fixture
def log(solution_architect):
    def do(*, minutes, category="system_setup", **work_item):
        return hours_services.time_entry_log(
            architect=solution_architect, category=category, minutes=minutes, work_date=NOW.date(), now=NOW, **work_item
        )

    return do


@pytest.fixture
def una(make_user, umbrella):
    return make_user("una@umbrella.test", organization=umbrella, role="admin", full_name="Una Umbrella")


@pytest.fixture
def people(alice, bob, gina, una, support_engineer, solution_architect, account_manager, admin_user):
    return {
        "alice": alice,
        "bob": bob,
        "gina": gina,
        "una": una,
        "support_engineer": support_engineer,
        "solution_architect": solution_architect,
        "account_manager": account_manager,
        "admin_user": admin_user,
    }


def ledger_rows() -> list:
    return sorted(map(repr, LedgerEntry.objects.values_list()))


# Hours: the ledger ----------------------------------------------------------------------------


@pytest.fixture
def used(globex_contract, solution_architect, log):
    """Globex's contract year (40 h) with one 50-minute entry on a configuration request, debited as 60."""
    ticket = ticket_open(
        organization=globex_contract.organization,
        requester=solution_architect,
        subject="Configure order sync",
        description="Details.",
        kind=Kind.CONFIGURATION_REQUEST,
        now=NOW - datetime.timedelta(days=60),
    )
    return log(ticket=ticket, minutes=50)


@pytest.mark.parametrize("who", MANAGERS)
def test_managers_read_a_contract_years_ledger(api, people, globex_contract, used, who, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = api(people[who]).get(f"/api/v1/contracts/{globex_contract.pk}/ledger/")
    assert response.status_code == 200, response.json()
    results = response.json()["results"]
    assert [(r["kind"], r["minutes"], r["period_start"], r["entry"]) for r in results] == [
        ("grant", 2400, "2026-08-19", None),
        ("debit", -60, "2026-08-19", used.pk),
    ]
    assert results[1]["actor"] == {"id": used.architect.pk, "email": "sa@vendor.test", "full_name": "Sasha Architect"}
    assert results[0]["reason"] == "Allotment of the contract year 2026-08-19 to 2027-08-18."
    debits = api(people[who]).get(f"/api/v1/contracts/{globex_contract.pk}/ledger/", {"kind": "debit"})
    assert [r["minutes"] for r in debits.json()["results"]] == [-60]


def test_the_ledger_of_another_period_or_an_engagement(api, account_manager, globex_contract, used, engagement, log):
    client = api(account_manager)
    url = f"/api/v1/contracts/{globex_contract.pk}/ledger/"
    assert client.get(url, {"period_start": "2026-08-19"}).json()["count"] == 2
    assert client.get(url, {"period_start": "2027-01-05"}).json()["count"] == 2  # any day of the year
    outside = client.get(url, {"period_start": "2027-09-01"})
    assert outside.status_code == 400
    assert outside.json() == {
        "code": "outside_contract",
        "detail": "2027-09-01 is outside the contract (2026-08-19 to 2027-08-18).",
    }
    malformed = client.get(url, {"period_start": "soon"})
    assert malformed.json() == {
        "code": "invalid",
        "detail": "period_start: Write the day as YYYY-MM-DD.",
        "errors": {"period_start": ["Write the day as YYYY-MM-DD."]},
    }
    log(engagement=engagement, category="engagement_work", work_mode="online_call", minutes=90)
    umbrella_url = f"/api/v1/contracts/{engagement.contract.pk}/ledger/"
    rows = client.get(umbrella_url, {"engagement": engagement.pk}).json()["results"]
    assert [(r["kind"], r["minutes"], r["engagement"]) for r in rows] == [
        ("grant", 3600, engagement.pk),
        ("debit", -90, engagement.pk),
    ]
    other = client.get(url, {"engagement": engagement.pk})  # an engagement of another contract
    assert other.status_code == 400
    assert other.json()["errors"] == {"engagement": ["No such engagement on this contract."]}


@pytest.mark.parametrize(("who", "status_code"), [("gina", 403), ("alice", 404), ("support_engineer", 403),
                                                  ("solution_architect", 403)])  # fmt: skip
def test_others_do_not_read_the_ledger(api, people, globex_contract, used, who, status_code):
    response = api(people[who]).get(f"/api/v1/contracts/{globex_contract.pk}/ledger/")
    assert response.status_code == status_code
    if status_code == 403:
        assert response.json() == {
            "code": "permission_denied",
            "detail": "Only account managers read the hours ledger and adjust hours.",
        }


# Hours: adjustments ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", MANAGERS)
def test_managers_adjust_a_contract_year(api, people, globex_contract, used, who):
    url = f"/api/v1/contracts/{globex_contract.pk}/adjustments/"
    response = api(people[who]).post(url, {"minutes": 120, "reason": "Goodwill for the outage."}, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    row = LedgerEntry.objects.get(pk=data["id"])
    assert (row.kind, row.minutes, row.reason, row.actor, row.period_start) == (
        "adjustment",
        120,
        "Goodwill for the outage.",
        people[who],
        datetime.date(2026, 8, 19),
    )
    assert (data["kind"], data["minutes"], data["actor"]["id"]) == ("adjustment", 120, people[who].pk)
    hours = api(people[who]).get(f"/api/v1/contracts/{globex_contract.pk}/hours/").json()
    assert (hours["allotted_minutes"], hours["used_minutes"], hours["remaining_minutes"]) == (2520, 60, 2460)
    debit = api(people[who]).post(url, {"minutes": "-30", "reason": "Correction."}, format="json")
    assert debit.status_code == 201
    assert debit.json()["minutes"] == -30


def test_managers_adjust_an_engagement(api, account_manager, engagement):
    url = f"/api/v1/contracts/{engagement.contract.pk}/adjustments/"
    response = api(account_manager).post(
        url, {"minutes": 60, "reason": "Extra workshop.", "engagement": engagement.pk}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["engagement"], response.json()["period_start"]) == (engagement.pk, None)


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"minutes": 0, "reason": "x"}, "minutes", "Enter a non-zero number of minutes, at most 60000 either way."),
        ({"minutes": 60001, "reason": "x"}, "minutes", "Enter a non-zero number of minutes, at most 60000 either way."),
        ({"minutes": 1.5, "reason": "x"}, "minutes", "Enter the minutes as a whole number, negative for a debit."),
        ({"minutes": "2.0", "reason": "x"}, "minutes", "Enter the minutes as a whole number, negative for a debit."),
        ({"minutes": True, "reason": "x"}, "minutes", "Enter the minutes as a whole number, negative for a debit."),
        ({"minutes": 30}, "reason", "This field is required."),
        ({"minutes": 30, "reason": "  "}, "reason", "Say why: the customer reads the reason on their statement."),
        ({"minutes": 30, "reason": "x" * 301}, "reason", "Ensure this field has no more than 300 characters."),
        ({"minutes": 30, "reason": "x", "on": "today"}, "on", None),
    ],
)
def test_invalid_adjustments_answer_400_and_write_nothing(api, account_manager, globex_contract, used, body, field,
                                                          message):  # fmt: skip
    before = ledger_rows()
    response = api(account_manager).post(f"/api/v1/contracts/{globex_contract.pk}/adjustments/", body, format="json")
    assert response.status_code == 400
    data = response.json()
    assert data["code"] == "invalid"
    assert list(data["errors"]) == [field]
    if message:
        assert data == {"code": "invalid", "detail": f"{field}: {message}", "errors": {field: [message]}}
    assert ledger_rows() == before


def test_adjustments_refused_by_a_rule_write_nothing(api, account_manager, globex_contract, used, engagement):
    before = ledger_rows()
    client = api(account_manager)
    url = f"/api/v1/contracts/{globex_contract.pk}/adjustments/"
    overdrawn = client.post(url, {"minutes": -2400, "reason": "Too much."}, format="json")
    assert overdrawn.status_code == 400
    assert overdrawn.json() == {
        "code": "allotment_exhausted",
        "detail": "A debit of 2400 minutes would take the balance below zero: 2340 minutes are left.",
        "remaining_minutes": 2340,
    }
    outside = client.post(url, {"minutes": 30, "reason": "x", "on": "2028-01-01"}, format="json")
    assert outside.json()["code"] == "outside_contract"
    foreign = client.post(url, {"minutes": 30, "reason": "x", "engagement": engagement.pk}, format="json")
    assert foreign.json()["errors"] == {"engagement": [f'Invalid pk "{engagement.pk}" - object does not exist.']}
    assert ledger_rows() == before


@pytest.mark.parametrize(("who", "status_code"), [("gina", 403), ("alice", 404), ("bob", 404),
                                                  ("support_engineer", 403), ("solution_architect", 403)])  # fmt: skip
def test_only_managers_adjust(api, people, globex_contract, used, who, status_code):
    before = ledger_rows()
    url = f"/api/v1/contracts/{globex_contract.pk}/adjustments/"
    for body in ({"minutes": 60, "reason": "Please."}, {}):
        assert api(people[who]).post(url, body, format="json").status_code == status_code
    assert api(people["account_manager"]).get(url).status_code == 405
    assert ledger_rows() == before


def test_overage_is_approved_through_the_contract(api, account_manager, globex_contract):
    # One writer for overage: the contract's PATCH goes through contract_update_fields, as hours.services.overage_set.
    response = api(account_manager).patch(
        f"/api/v1/contracts/{globex_contract.pk}/", {"overage_approved": True}, format="json"
    )
    assert response.status_code == 200
    globex_contract.refresh_from_db()
    assert globex_contract.overage_approved is True
    assert globex_contract.history.first().history_user == account_manager


# Engagements ----------------------------------------------------------------------------------


@pytest.fixture
def engagements(engagement, globex_contract, account_manager):
    globex = contract_services.engagement_save(
        actor=account_manager,
        contract=globex_contract,
        name="Warehouse rollout",
        scope="Second warehouse in the ERP.",
        quoted_hours=Decimal("20"),
    )
    return {"umbrella": engagement, "globex": globex}


def engagement_ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


SCOPES = [("una", ["umbrella"]), ("gina", ["globex"]), ("alice", []), ("bob", [])]


@pytest.mark.parametrize(("who", "expected"), SCOPES + [(who, ["globex", "umbrella"]) for who in STAFF])
def test_engagements_are_scoped_to_the_caller(api, people, engagements, who, expected, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api(people[who]).get("/api/v1/engagements/")
    assert engagement_ids(response) == [engagements[name].pk for name in expected]


def test_an_engagement_reads_whole(api, una, engagements):
    engagement = engagements["umbrella"]
    data = api(una).get(f"/api/v1/engagements/{engagement.pk}/").json()
    assert data == {
        "id": engagement.pk,
        "contract": engagement.contract.pk,
        "organization": {"id": una.organization.pk, "name": "Umbrella Goods"},
        "name": "ERP migration",
        "scope": "Move order and inventory flows to NetSuite.",
        "quoted_hours": "60.00",
        "status": "active",
        "via_ticket": True,
        "via_email": False,
        "via_slack": False,
        "agreed_channels": ["ticket"],
        "board_url": "",
        "asana_project_gid": "",
        "asana_synced_at": None,
        "asana_sync_error": "",
        "created_at": data["created_at"],
    }
    assert api(una).get(f"/api/v1/engagements/{engagements['globex'].pk}/").status_code == 404


def test_engagements_filter(api, account_manager, engagements, gina):
    client = api(account_manager)
    assert engagement_ids(client.get("/api/v1/engagements/", {"status": "quoted"})) == [engagements["globex"].pk]
    only = client.get("/api/v1/engagements/", {"organization": gina.organization.pk})
    assert engagement_ids(only) == [engagements["globex"].pk]


@pytest.mark.parametrize("who", MANAGERS)
def test_managers_create_an_engagement(api, people, globex_contract, who):
    body = {
        "contract": globex_contract.pk,
        "name": "Returns workflow",
        "scope": "Returns from the shop into the ERP.",
        "quoted_hours": "12.5",
        "status": "active",
        "via_email": True,
    }
    response = api(people[who]).post("/api/v1/engagements/", body, format="json")
    assert response.status_code == 201, response.json()
    engagement = Engagement.objects.get(pk=response.json()["id"])
    assert (engagement.contract, engagement.quoted_hours, engagement.status) == (
        globex_contract,
        Decimal("12.50"),
        "active",
    )
    assert response.json()["agreed_channels"] == ["ticket", "email"]
    # The service switches the Configuration Support add-on on with an active engagement.
    assert AddOn.objects.get(contract=globex_contract, kind="configuration_support").is_active
    assert engagement.history.first().history_user == people[who]


@pytest.mark.parametrize("who", ["una", "gina", "support_engineer", "solution_architect"])
def test_others_create_no_engagement(api, people, globex_contract, who):
    body = {"contract": globex_contract.pk, "name": "x", "scope": "y", "quoted_hours": "5"}
    for data in (body, {}):
        response = api(people[who]).post("/api/v1/engagements/", data, format="json")
        assert response.status_code == 403
        assert response.json() == {
            "code": "permission_denied",
            "detail": "Only account managers and admins change engagements.",
        }
    assert not Engagement.objects.exists()


def test_invalid_engagements_are_refused(api, account_manager, globex_contract):
    client = api(account_manager)
    response = client.post(
        "/api/v1/engagements/",
        {"contract": globex_contract.pk, "name": "", "scope": "y", "quoted_hours": "0.1", "board_url": "nope"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "name": ["This field may not be blank."],
        "quoted_hours": ["Ensure this value is greater than or equal to 0.25."],
        "board_url": ["Enter a valid URL."],
    }
    missing = client.post("/api/v1/engagements/", {"name": "x"}, format="json")
    assert set(missing.json()["errors"]) == {"contract", "scope", "quoted_hours"}
    assert not Engagement.objects.exists()


@pytest.mark.parametrize("who", MANAGERS)
def test_managers_change_an_engagement(api, people, engagements, who):
    engagement = engagements["globex"]
    response = api(people[who]).patch(
        f"/api/v1/engagements/{engagement.pk}/", {"status": "active", "quoted_hours": "25"}, format="json"
    )
    assert response.status_code == 200, response.json()
    engagement.refresh_from_db()
    assert (engagement.status, engagement.quoted_hours, engagement.name) == (
        "active",
        Decimal("25.00"),
        "Warehouse rollout",
    )


def test_refused_engagement_changes_change_nothing(api, people, engagements):
    engagement = engagements["globex"]
    before = sorted(map(repr, Engagement.objects.values_list()))
    url = f"/api/v1/engagements/{engagement.pk}/"
    assert api(people["gina"]).patch(url, {"status": "done"}, format="json").status_code == 403
    assert api(people["una"]).patch(url, {"status": "done"}, format="json").status_code == 404
    assert api(people["support_engineer"]).patch(url, {"status": "done"}, format="json").status_code == 403
    moved = api(people["account_manager"]).patch(url, {"contract": engagements["umbrella"].contract.pk}, format="json")
    assert moved.status_code == 400
    assert moved.json()["errors"] == {"contract": ["An engagement stays with its contract."]}
    bad = api(people["account_manager"]).patch(url, {"status": "paused"}, format="json")
    assert bad.json()["errors"] == {"status": ['"paused" is not a valid choice.']}
    assert sorted(map(repr, Engagement.objects.values_list())) == before


# Tickets: the queue's order -------------------------------------------------------------------


@pytest.fixture
def tickets(standard, enterprise, support_engineer):
    (standard_org, standard_admin), (enterprise_org, enterprise_admin) = standard, enterprise
    moment = NOW - datetime.timedelta(hours=1)

    def open_(organization, requester, priority, minutes_ago):
        return ticket_open(
            organization=organization,
            requester=requester,
            subject=f"{priority} {minutes_ago}",
            description="d",
            priority=priority,
            now=moment - datetime.timedelta(minutes=minutes_ago),
        )

    low = open_(standard_org, standard_admin, "low", 30)
    urgent = open_(enterprise_org, enterprise_admin, "urgent", 20)
    answered = open_(enterprise_org, enterprise_admin, "high", 10)
    comment_add(ticket=answered, author=support_engineer, body="On it.", public=True)
    closed = open_(standard_org, standard_admin, "urgent", 5)
    ticket_change_status(ticket=closed, actor=support_engineer, status=Status.CLOSED)
    newest = open_(standard_org, standard_admin, "normal", 0)
    return {"low": low, "urgent": urgent, "answered": answered, "closed": closed, "newest": newest}


def ticket_ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


def test_the_default_order_is_newest_first(api, support_engineer, tickets):
    expected = [tickets[name].pk for name in ("newest", "closed", "answered", "urgent", "low")]
    assert ticket_ids(api(support_engineer).get("/api/v1/tickets/")) == expected
    assert ticket_ids(api(support_engineer).get("/api/v1/tickets/", {"ordering": "-created_at"})) == expected
    oldest = api(support_engineer).get("/api/v1/tickets/", {"ordering": "created_at"})
    assert ticket_ids(oldest) == expected[::-1]


@pytest.mark.parametrize("who", STAFF)
def test_ordering_by_deadline_is_the_queues_order(api, people, tickets, who):
    client = api(people[who])
    queue = [t.pk for t in ticket_queue()]
    assert queue == [tickets[name].pk for name in ("urgent", "newest", "low", "answered")]
    assert ticket_ids(client.get("/api/v1/tickets/", {"ordering": "deadline", "open": "true"})) == queue
    # Without `open`, every ticket in the queue's order: running clocks first, soonest deadline first; then the
    # answered ticket (waiting on the customer); a closed ticket's clock no longer runs (never answered or not).
    everything = ticket_ids(client.get("/api/v1/tickets/", {"ordering": "deadline"}))
    assert everything == [tickets[name].pk for name in ("urgent", "newest", "low", "answered", "closed")]
    closed_only = client.get("/api/v1/tickets/", {"open": "false"})
    assert ticket_ids(closed_only) == [tickets["closed"].pk]


def test_customers_order_their_own_tickets_by_deadline(api, standard, tickets):
    _, customer = standard
    response = api(customer).get("/api/v1/tickets/", {"ordering": "deadline"})
    assert ticket_ids(response) == [tickets["newest"].pk, tickets["low"].pk, tickets["closed"].pk]


def test_an_unknown_ordering_is_the_shared_400(api, support_engineer, tickets):
    response = api(support_engineer).get("/api/v1/tickets/", {"ordering": "size"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "ordering: Select a valid choice. size is not one of the available choices.",
        "errors": {"ordering": ["Select a valid choice. size is not one of the available choices."]},
    }
