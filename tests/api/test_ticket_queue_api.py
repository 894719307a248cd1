"""The queue in the API: `?search=`, `?view=`, `?tag=`, the views' counts, and the satisfaction rating."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.clock import pt
from tickets import services, workspace
from tickets.api import TicketSerializer
from tickets.models import SatisfactionRating, Status

pytestmark = pytest.mark.django_db
MORNING = pt(2026, 12, 1, 8, 0)
LIST = "/api/v1/tickets/"


@pytest.fixture
def tickets(enterprise, standard, support_engineer):
    (e_org, e_cust), (s_org, s_cust) = enterprise, standard
    t = {
        "sync": services.ticket_open(
            organization=e_org, requester=e_cust, subject="Warehouse sync stopped", description="d", now=MORNING
        ),
        "labels": services.ticket_open(
            organization=e_org, requester=e_cust, subject="Labels", description="Warehouse labels blank", now=MORNING
        ),
        "foreign": services.ticket_open(
            organization=s_org, requester=s_cust, subject="Warehouse sync stopped here too", description="d"
        ),
    }
    services.comment_add(ticket=t["labels"], author=support_engineer, body="Firmware suspected", public=False)
    services.comment_add(ticket=t["sync"], author=support_engineer, body="Restarted it.")
    workspace.ticket_tags_set(ticket=t["sync"], actor=support_engineer, names="outage")
    return t


def _ids(response):
    assert response.status_code == 200, response.json()
    return {row["id"] for row in response.json()["results"]}


def test_search_requires_every_word_and_respects_the_callers_scope(api, tickets, enterprise, support_engineer):
    staff, customer = api(support_engineer), api(enterprise[1])
    assert _ids(staff.get(LIST, {"search": "warehouse sync"})) == {tickets["sync"].pk, tickets["foreign"].pk}
    assert _ids(staff.get(LIST, {"search": "warehouse"})) == {t.pk for t in tickets.values()}
    assert _ids(staff.get(LIST, {"search": "the warehouse sync"})) == _ids(
        staff.get(LIST, {"search": "warehouse sync"})
    )
    assert _ids(customer.get(LIST, {"search": "warehouse sync"})) == {tickets["sync"].pk}
    assert _ids(staff.get(LIST, {"search": "firmware"})) == {tickets["labels"].pk}
    assert _ids(customer.get(LIST, {"search": "firmware"})) == set()
    assert _ids(customer.get(LIST, {"search": str(tickets["foreign"].pk)})) == set()
    assert _ids(customer.get(LIST, {"search": str(tickets["labels"].pk)})) == {tickets["labels"].pk}


def test_views_in_the_api(api, tickets, enterprise, support_engineer):
    staff = api(support_engineer)
    assert _ids(staff.get(LIST, {"view": "waiting_on_customer"})) == {tickets["sync"].pk}
    assert _ids(staff.get(LIST, {"view": "waiting_on_us"})) == {tickets["labels"].pk, tickets["foreign"].pk}
    services.ticket_assign(ticket=tickets["labels"], actor=support_engineer, assignee=support_engineer)
    assert _ids(staff.get(LIST, {"view": "mine"})) == {tickets["labels"].pk}
    # A customer's "mine": the requests they made.
    assert _ids(api(enterprise[1]).get(LIST, {"view": "mine"})) == {tickets["sync"].pk, tickets["labels"].pk}
    bad = staff.get(LIST, {"view": "everything"})
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"view": ["Select a valid choice. everything is not one of the available choices."]}


def test_view_counts_in_the_api(api, tickets, enterprise, support_engineer):
    rows = api(support_engineer).get(f"{LIST}views/").json()
    counts = {row["view"]: row["count"] for row in rows}
    assert counts["waiting_on_us"] == 2 and counts["waiting_on_customer"] == 1 and counts["unassigned"] == 3
    assert rows[0] == {"view": "mine", "label": "Mine", "count": 0}
    customer_counts = {row["view"]: row["count"] for row in api(enterprise[1]).get(f"{LIST}views/").json()}
    assert customer_counts["unassigned"] == 2  # only their organization's tickets


def test_tags_are_shown_filtered_and_changed_by_staff_only(api, tickets, enterprise, support_engineer):
    staff, customer = api(support_engineer), api(enterprise[1])
    assert _ids(staff.get(LIST, {"tag": "outage"})) == {tickets["sync"].pk}
    row = staff.get(f"{LIST}{tickets['sync'].pk}/").json()
    assert row["tags"] == ["outage"] and row["waiting_on"] == "customer" and row["escalated"] is False
    assert customer.get(f"{LIST}{tickets['sync'].pk}/").json()["tags"] is None
    assert any(row["tags"] for row in staff.get(LIST).json()["results"])
    with CaptureQueriesContext(connection) as read:
        rows = customer.get(LIST).json()["results"]
    assert rows and all(row["tags"] is None for row in rows)
    assert not any("tickets_tag" in query["sql"] for query in read.captured_queries)  # not read to be hidden
    assert TicketSerializer(tickets["sync"]).data["tags"] is None  # no request, no caller known: hidden too
    refused = customer.get(LIST, {"tag": "outage"})
    assert refused.status_code == 400 and refused.json()["errors"] == {"tag": ["Tags are for support staff."]}
    changed = staff.patch(f"{LIST}{tickets['labels'].pk}/", {"tags": ["Printer", "hardware"]}, format="json")
    assert changed.status_code == 200 and changed.json()["tags"] == ["hardware", "printer"]
    bad = staff.patch(f"{LIST}{tickets['labels'].pk}/", {"tags": ["two words"]}, format="json")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_tag"
    assert customer.patch(f"{LIST}{tickets['labels'].pk}/", {"tags": []}, format="json").status_code == 403
    assert sorted(tickets["labels"].tags.values_list("name", flat=True)) == ["hardware", "printer"]


def test_the_list_keeps_its_query_count(api, enterprise, support_engineer, django_assert_max_num_queries):
    organization, customer = enterprise
    for i in range(3):
        services.ticket_open(organization=organization, requester=customer, subject=f"sync {i}", description="d")
    for who in (support_engineer, customer):
        client = api(who)
        params = {"search": "sync", "view": "waiting_on_us", "ordering": "priority"}
        with django_assert_max_num_queries(15) as few:
            client.get(LIST, params)
        extra = [
            services.ticket_open(
                organization=organization, requester=customer, subject=f"sync more {i}", description="d"
            )
            for i in range(20)
        ]
        for ticket in extra[:5]:
            workspace.ticket_tags_set(ticket=ticket, actor=support_engineer, names="bulk")
        with django_assert_max_num_queries(len(few.captured_queries)):
            client.get(LIST, params)


# Satisfaction -------------------------------------------------------------------------------------------


@pytest.fixture
def solved_ticket(tickets, support_engineer):
    return services.ticket_change_status(ticket=tickets["sync"], actor=support_engineer, status=Status.SOLVED)


def test_the_requester_rates_a_solved_ticket_once(api, solved_ticket, enterprise):
    client = api(enterprise[1])
    url = f"{LIST}{solved_ticket.pk}/satisfaction/"
    response = client.post(url, {"rating": "good", "comment": "Fast."}, format="json")
    assert response.status_code == 201
    assert response.json()["rating"] == "good" and response.json()["comment"] == "Fast."
    again = client.post(url, {"rating": "bad"}, format="json")
    assert again.status_code == 409
    assert again.json() == {"code": "already_rated", "detail": "This ticket has been rated already. Thank you!"}
    # The schema says so: a client generated from it expects the 409 (schemathesis found it undocumented).
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    answers = schema["paths"]["/api/v1/tickets/{id}/satisfaction/"]["post"]["responses"]
    assert {"201", "400", "403", "409"} <= set(answers)
    row = client.get(f"{LIST}{solved_ticket.pk}/").json()
    assert row["satisfaction"]["rating"] == "good" and row["waiting_on"] is None
    assert SatisfactionRating.objects.get().via == "api"


def test_satisfaction_refusals(api, tickets, solved_ticket, enterprise, standard, make_user):
    url = f"{LIST}{solved_ticket.pk}/satisfaction/"
    assert api(standard[1]).post(url, {"rating": "good"}, format="json").status_code == 404
    colleague = make_user("other@enterprise.test", organization=enterprise[0], role="admin")
    forbidden = api(colleague).post(url, {"rating": "good"}, format="json")
    assert forbidden.status_code == 403 and forbidden.json()["code"] == "not_requester"
    invalid = api(enterprise[1]).post(url, {"rating": "meh"}, format="json")
    assert invalid.status_code == 400
    assert invalid.json()["errors"] == {"rating": ['"meh" is not a valid choice.']}
    too_long = api(enterprise[1]).post(url, {"rating": "bad", "comment": "x" * 2001}, format="json")
    assert too_long.status_code == 400 and "comment" in too_long.json()["errors"]
    open_url = f"{LIST}{tickets['labels'].pk}/satisfaction/"
    not_solved = api(enterprise[1]).post(open_url, {"rating": "good"}, format="json")
    assert not_solved.status_code == 400 and not_solved.json()["code"] == "not_solved"
    assert not SatisfactionRating.objects.exists()


def test_staff_see_the_rating_in_the_list(api, solved_ticket, enterprise, support_engineer):
    api(enterprise[1]).post(f"{LIST}{solved_ticket.pk}/satisfaction/", {"rating": "bad"}, format="json")
    rows = api(support_engineer).get(LIST, {"status": "solved"}).json()["results"]
    assert [(r["id"], r["satisfaction"]["rating"]) for r in rows] == [(solved_ticket.pk, "bad")]
    assert rows[0]["satisfaction"]["rated_at"] is not None
    assert dt.datetime.fromisoformat(rows[0]["satisfaction"]["rated_at"])
