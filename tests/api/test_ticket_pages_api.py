"""The ticket API's pages: keyset cursors (`next`, `previous`), in every ordering, with ties, while tickets are
added and changed between pages; no row dropped or repeated; a constant number of queries; bad cursors refused."""

import datetime as dt

import pytest

from config.pagination import INVALID_CURSOR, KeysetPagination
from tests.clock import pt
from tickets import selectors, services
from tickets.models import Status, Ticket

pytestmark = pytest.mark.django_db
LIST = "/api/v1/tickets/"
MORNING = pt(2026, 12, 1, 8, 0)


@pytest.fixture
def tickets(enterprise, standard, support_engineer, time_machine):
    """130 tickets of two organizations; received in groups of ten at the same moment (ties in every order)."""
    time_machine.move_to(MORNING, tick=False)
    made = []
    for i in range(130):
        organization, customer = (enterprise, standard)[i % 2]
        made.append(
            services.ticket_open(
                organization=organization, requester=customer, subject=f"T{i}", description="d",
                priority=("urgent", "high", "normal", "low")[i % 4], now=MORNING - dt.timedelta(minutes=i // 10),
            )
        )  # fmt: skip
    for ticket in made[::7]:
        services.comment_add(ticket=ticket, author=support_engineer, body="Answered.", now=MORNING)
    return made


def _walk(client, params, *, limit=20):
    """Every row the pages give, following `next` links from the first page."""
    seen, response, pages = [], client.get(LIST, params), 0
    while True:
        assert response.status_code == 200, response.json()
        body = response.json()
        assert set(body) == {"next", "previous", "results"}
        seen += [row["id"] for row in body["results"]]
        pages += 1
        if not body["next"] or pages > limit:
            return seen, pages
        response = client.get(body["next"])


ORDERINGS = [None, "created_at", "deadline", "-deadline", "priority", "-priority", "updated", "organization",
             "-organization", "number", "-number", "waiting", "-waiting"]  # fmt: skip


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_following_next_lists_every_ticket_once_in_order(api, support_engineer, tickets, ordering):
    params = {"ordering": ordering} if ordering else {}
    seen, pages = _walk(api(support_engineer), params)
    assert pages == 3
    assert len(seen) == len(set(seen)) == len(tickets)
    if ordering is None:
        expected = Ticket.objects.order_by("-received_at", "-pk")
    elif ordering == "created_at":
        expected = Ticket.objects.order_by("received_at", "pk")
    else:
        expected = selectors.tickets_sorted(Ticket.objects.all(), ordering)
    assert seen == [t.pk for t in expected]


def test_previous_goes_back_to_the_same_rows(api, support_engineer, tickets):
    client = api(support_engineer)
    first = client.get(LIST, {"ordering": "deadline"}).json()
    assert first["previous"] is None
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]]
    assert back["previous"] is None
    again = client.get(back["next"]).json()
    assert [r["id"] for r in again["results"]] == [r["id"] for r in second["results"]]


def test_rows_added_or_changed_between_pages_are_neither_dropped_nor_repeated(
    api, support_engineer, tickets, enterprise
):
    client = api(support_engineer)
    first = client.get(LIST).json()
    listed_first = [r["id"] for r in first["results"]]
    # Meanwhile: new tickets arrive (they belong before the first page), and tickets change (updated_at moves).
    for i in range(5):
        services.ticket_open(organization=enterprise[0], requester=enterprise[1], subject=f"New {i}", description="d")
    for ticket in tickets[60:65]:
        services.ticket_change_status(ticket=ticket, actor=support_engineer, status=Status.ON_HOLD)
    rest = []
    response = client.get(first["next"])
    while True:
        body = response.json()
        rest += [r["id"] for r in body["results"]]
        if not body["next"]:
            break
        response = client.get(body["next"])
    assert not set(listed_first) & set(rest)
    assert sorted(listed_first + rest) == sorted(t.pk for t in tickets)  # every ticket that was there, once


def test_the_queue_order_keeps_its_rows_while_the_queue_changes(api, support_engineer, tickets):
    """In the deadline order an answer moves a ticket to a later place: a row that crosses the page boundary may be
    met again (or, moving the other way, not at all), but every row that kept its place is listed exactly once."""
    client = api(support_engineer)
    first = client.get(LIST, {"ordering": "deadline"}).json()
    listed = [r["id"] for r in first["results"]]
    moved = tickets[100]
    services.comment_add(ticket=moved, author=support_engineer, body="Answered.")  # its rank changes
    response = client.get(first["next"])
    while True:
        body = response.json()
        listed += [r["id"] for r in body["results"]]
        if not body["next"]:
            break
        response = client.get(body["next"])
    unmoved = [pk for pk in listed if pk != moved.pk]
    assert sorted(unmoved) == sorted(t.pk for t in tickets if t.pk != moved.pk)
    assert 1 <= listed.count(moved.pk) <= 2


def test_customers_page_through_their_own_tickets_only(api, tickets, standard):
    seen, _ = _walk(api(standard[1]), {})
    assert sorted(seen) == sorted(t.pk for t in tickets if t.organization_id == standard[0].pk)


@pytest.mark.parametrize(
    "cursor", ["nonsense", "eyJvIjpbXX0=", KeysetPagination.encode(None, []), "%%%", "eyJvIjpbIi1yZWNlaXZlZF9hdCJdfQ=="]
)
def test_a_bad_cursor_is_the_shared_400(api, support_engineer, tickets, cursor):
    response = api(support_engineer).get(LIST, {"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": f"cursor: {INVALID_CURSOR}",
        "errors": {"cursor": [INVALID_CURSOR]},
    }


def test_a_cursor_of_another_ordering_is_refused(api, support_engineer, tickets):
    client = api(support_engineer)
    next_link = client.get(LIST, {"ordering": "deadline"}).json()["next"]
    cursor = next_link.split("cursor=")[1].split("&")[0]
    response = client.get(LIST, {"ordering": "priority", "cursor": cursor})
    assert response.status_code == 400
    assert response.json()["errors"] == {"cursor": [INVALID_CURSOR]}


def test_a_deep_page_costs_the_queries_of_the_first(api, support_engineer, tickets, django_assert_max_num_queries):
    client = api(support_engineer)
    with django_assert_max_num_queries(12) as first:
        client.get(LIST)
    middle = Ticket.objects.order_by("-received_at", "-pk")[70]
    cursor = KeysetPagination.cursor_after(Ticket.objects.order_by("-received_at", "-pk"), middle)
    with django_assert_max_num_queries(len(first.captured_queries)) as deep:
        response = client.get(LIST, {"cursor": cursor})
    assert response.status_code == 200
    assert not any("COUNT(" in q["sql"].upper() for q in deep.captured_queries)


def test_the_schema_documents_the_cursor_pages(api, support_engineer):
    schema = api(support_engineer).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema["Content-Type"].startswith("application/json")
    document = schema.json()
    operation = document["paths"][LIST]["get"]
    assert "cursor" in [p["name"] for p in operation["parameters"]]
    assert "page" not in [p["name"] for p in operation["parameters"]]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(document["components"]["schemas"][ref]["properties"]) == {"next", "previous", "results"}
