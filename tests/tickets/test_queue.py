"""The staff queue: server-side pages, sort orders, views with their counts, search, urgency, bulk actions."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import F
from django.urls import reverse

from tests.clock import pt
from tickets import selectors, services
from tickets.models import Comment, QueueRank, Status, Ticket, TicketEvent
from tickets.search import ticket_search

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="PostgreSQL full-text search"
)
MORNING = pt(2026, 12, 1, 8, 0)  # a Tuesday, inside business hours


def _open(organization, requester, subject, *, now, **extra):
    return services.ticket_open(
        organization=organization, requester=requester, subject=subject, description=extra.pop("description", "d"),
        now=now, **extra,
    )  # fmt: skip


@pytest.fixture
def world(enterprise, standard, enterprise_premium, support_engineer):
    """Tickets in every place of the queue, received around 08:00 Pacific on Tuesday 1 December 2026."""
    (e_org, e_cust), (s_org, s_cust), (p_org, p_cust) = enterprise, standard, enterprise_premium
    t = {}
    t["urgent"] = _open(e_org, e_cust, "Orders stopped", now=MORNING, priority="urgent", kind="incident")
    t["normal"] = _open(s_org, s_cust, "Label layout", now=MORNING, priority="normal")
    # Two tickets with the very same deadline: the tie is broken by number.
    t["tie_a"] = _open(s_org, s_cust, "Tie one", now=MORNING, priority="low")
    t["tie_b"] = _open(s_org, s_cust, "Tie two", now=MORNING, priority="low")
    # No target (a Standard feature request): after every running clock, by how long it has waited.
    t["idea_old"] = _open(s_org, s_cust, "Dark mode", now=MORNING - dt.timedelta(hours=3), kind="feature_request")
    t["idea_new"] = _open(s_org, s_cust, "Bulk export", now=MORNING - dt.timedelta(hours=1), kind="feature_request")
    # Answered, then the customer wrote again: waiting on us since the customer's message.
    t["again"] = _open(e_org, e_cust, "Sync again", now=MORNING - dt.timedelta(hours=5), priority="high")
    services.comment_add(ticket=t["again"], author=support_engineer, body="Fixed.", now=MORNING - dt.timedelta(hours=4))
    services.comment_add(ticket=t["again"], author=e_cust, body="Still broken.", now=MORNING - dt.timedelta(hours=2))
    # Answered: waiting on the customer.
    t["answered"] = _open(p_org, p_cust, "Premium question", now=MORNING - dt.timedelta(hours=6), priority="high")
    services.comment_add(
        ticket=t["answered"], author=support_engineer, body="Here is how.", now=MORNING - dt.timedelta(hours=5)
    )
    t["closed"] = _open(s_org, s_cust, "Closed one", now=MORNING - dt.timedelta(hours=7))
    services.ticket_change_status(ticket=t["closed"], actor=support_engineer, status=Status.CLOSED, now=MORNING)
    return {name: Ticket.objects.get(pk=ticket.pk) for name, ticket in t.items()}


def _ids(tickets):
    return [t.pk for t in tickets]


def test_the_default_order_is_deadline_then_waiting_on_us_then_waiting_on_the_customer(world):
    order = _ids(selectors.ticket_queue())
    names = {t.pk: name for name, t in world.items()}
    assert [names[pk] for pk in order] == [
        "urgent",  # Enterprise urgent: 4 business hours
        "normal",  # Standard normal: 16 business hours
        "tie_a",  # Standard low: 24 business hours, same deadline as tie_b, lower number first
        "tie_b",
        "idea_old",  # no target: waiting on us since 05:00
        "again",  # answered, then the customer wrote again at 06:00: waiting on us since then
        "idea_new",  # no target: waiting on us since 07:00
        "answered",  # waiting on the customer
    ]
    assert world["tie_a"].first_response_due_at == world["tie_b"].first_response_due_at
    assert world["again"].queue_rank == QueueRank.WAITING_ON_US
    assert world["answered"].queue_rank == QueueRank.WAITING_ON_CUSTOMER
    assert world["closed"].queue_rank == QueueRank.AT_REST


def test_waiting_on_us_without_a_clock_orders_by_how_long_the_customer_waits(world):
    waiting = [t for t in selectors.ticket_queue() if t.queue_rank == QueueRank.WAITING_ON_US]
    assert [t.waiting_since for t in waiting] == sorted(t.waiting_since for t in waiting)
    assert _ids(waiting) == [world["idea_old"].pk, world["again"].pk, world["idea_new"].pk]
    assert world["again"].waiting_since == MORNING - dt.timedelta(hours=2)  # the customer's message, not the reply


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("number", "by_number"),
        ("-number", "by_number_reversed"),
        ("priority", "by_priority"),
        ("organization", "by_organization"),
        ("waiting", "by_waiting"),
        ("updated", "by_update"),
    ],
)
def test_each_sort_order_with_ties_broken_alike(world, sort, expected):
    open_tickets = [t for t in world.values() if t.status != Status.CLOSED]
    deadline_order = _ids(selectors.ticket_queue())
    position = {pk: i for i, pk in enumerate(deadline_order)}
    rows = list(selectors.ticket_queue(filters={"sort": sort}))
    if expected == "by_number":
        want = sorted(t.pk for t in open_tickets)
    elif expected == "by_number_reversed":
        want = sorted((t.pk for t in open_tickets), reverse=True)
    elif expected == "by_priority":
        rank = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
        want = [t.pk for t in sorted(open_tickets, key=lambda t: (rank[t.priority], position[t.pk]))]
    elif expected == "by_organization":
        want = [t.pk for t in sorted(open_tickets, key=lambda t: (t.organization.name, position[t.pk]))]
    elif expected == "by_waiting":
        want = [t.pk for t in sorted(open_tickets, key=lambda t: (t.waiting_since, t.pk))]
    else:
        fresh = Ticket.objects.filter(pk__in=[t.pk for t in open_tickets])
        want = [t.pk for t in sorted(fresh, key=lambda t: (t.updated_at, t.pk), reverse=True)]
    assert _ids(rows) == want


def test_pages_of_fifty_cover_every_ticket_once_in_order(client, standard, support_engineer):
    organization, customer = standard
    for i in range(57):
        _open(organization, customer, f"Ticket {i}", now=MORNING + dt.timedelta(minutes=i % 5), priority="normal")
    client.force_login(support_engineer)
    first = client.get(reverse("tickets:queue"))
    second = client.get(reverse("tickets:queue"), {"page": 2})
    assert first.status_code == second.status_code == 200
    one, two = _ids(first.context["tickets"]), _ids(second.context["tickets"])
    assert (len(one), len(two)) == (50, 7)
    assert one + two == _ids(selectors.ticket_queue())
    assert first.context["page"].paginator.count == 57
    assert "page 1 of 2" in first.content.decode()
    # Past the end: the last page; not a number: the first.
    assert _ids(client.get(reverse("tickets:queue"), {"page": 9}).context["tickets"]) == two
    assert _ids(client.get(reverse("tickets:queue"), {"page": "x"}).context["tickets"]) == one


def test_the_queue_keeps_its_query_count_whatever_the_number_of_tickets(
    client, standard, support_engineer, django_assert_max_num_queries
):
    organization, customer = standard
    for i in range(3):
        _open(organization, customer, f"t{i}", now=MORNING)
    client.force_login(support_engineer)
    params = {"sort": "priority", "q": "t1 OR", "view": "unassigned"}
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("tickets:queue"))
    with django_assert_max_num_queries(20) as few_filtered:
        client.get(reverse("tickets:queue"), params)
    for i in range(60):
        ticket = _open(organization, customer, f"u{i}", now=MORNING)
        services.comment_add(ticket=ticket, author=support_engineer, body="note", public=False)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("tickets:queue"))
    with django_assert_max_num_queries(len(few_filtered.captured_queries)):
        client.get(reverse("tickets:queue"), params)


def test_an_invalid_filter_is_a_400_that_says_why(client, support_engineer, world):
    client.force_login(support_engineer)
    response = client.get(reverse("tickets:queue"), {"view": "everything", "sort": "size"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice. everything is not one of the available choices." in page
    assert "Select a valid choice. size is not one of the available choices." in page
    assert list(response.context["tickets"]) == []


# Views --------------------------------------------------------------------------------------------------


@pytest.fixture
def views_world(enterprise, enterprise_premium, standard, support_engineer, solution_architect, time_machine):
    (e_org, e_cust), (p_org, p_cust), (s_org, s_cust) = enterprise, enterprise_premium, standard
    time_machine.move_to(MORNING, tick=False)
    t = {}
    t["mine"] = _open(e_org, e_cust, "Mine", now=MORNING, priority="normal")
    services.ticket_assign(ticket=t["mine"], actor=support_engineer, assignee=support_engineer)
    t["colleague"] = _open(e_org, e_cust, "Colleague's", now=MORNING, priority="normal")
    services.ticket_assign(ticket=t["colleague"], actor=support_engineer, assignee=solution_architect)
    # Enterprise urgent received 06:00: due 10:00, two hours after 08:00.
    t["soon"] = _open(e_org, e_cust, "Soon", now=pt(2026, 12, 1, 6, 0), priority="urgent")
    t["late"] = _open(e_org, e_cust, "Late", now=pt(2026, 11, 30, 9, 0), priority="urgent")
    t["premium"] = _open(p_org, p_cust, "Premium", now=MORNING, priority="low")
    t["waiting_on_customer"] = _open(s_org, s_cust, "Answered", now=MORNING - dt.timedelta(hours=1))
    services.comment_add(ticket=t["waiting_on_customer"], author=support_engineer, body="Try this.", now=MORNING)
    t["escalated"] = _open(p_org, p_cust, "Down", now=MORNING, priority="urgent", kind="incident")
    services.ticket_escalate(ticket=t["escalated"], actor=p_cust)
    t["solved"] = _open(p_org, p_cust, "Solved", now=MORNING)
    services.ticket_change_status(ticket=t["solved"], actor=support_engineer, status=Status.SOLVED)
    services.ticket_assign(ticket=t["solved"], actor=support_engineer, assignee=support_engineer)
    return t


def test_each_view_holds_its_open_tickets_and_counts_them(client, views_world, support_engineer):
    t = views_world
    now = MORNING
    soon_due = Ticket.objects.get(pk=t["soon"].pk).first_response_due_at
    assert now < soon_due <= now + dt.timedelta(hours=2)
    expected = {
        "mine": {"mine"},
        "unassigned": {"soon", "late", "premium", "waiting_on_customer", "escalated"},
        "breaching_soon": {"soon", "escalated"},  # Premium urgent: 30 minutes, 24/7
        "breached": {"late"},
        "premium": {"premium", "escalated"},
        "waiting_on_us": {"mine", "colleague", "soon", "late", "premium", "escalated"},
        "waiting_on_customer": {"waiting_on_customer"},
        "escalated": {"escalated"},
    }
    names = {ticket.pk: name for name, ticket in t.items()}
    client.force_login(support_engineer)
    for view, members in expected.items():
        response = client.get(reverse("tickets:queue"), {"view": view})
        assert response.status_code == 200, view
        assert {names[pk] for pk in _ids(response.context["tickets"])} == members, view
        assert dict(response.context["views"])[selectors.QueueView(view)] == len(members), view
    counts = selectors.view_counts(Ticket.objects.all(), user=support_engineer, now=now)
    assert counts == {"all_open": 7, **{view: len(members) for view, members in expected.items()}}


def test_view_counts_are_of_every_ticket_not_of_the_page(client, standard, support_engineer):
    organization, customer = standard
    for i in range(53):
        _open(organization, customer, f"t{i}", now=MORNING)
    client.force_login(support_engineer)
    response = client.get(reverse("tickets:queue"), {"view": "unassigned"})
    assert len(response.context["tickets"]) == 50
    assert dict(response.context["views"])[selectors.QueueView.UNASSIGNED] == 53
    assert response.context["all_open"] == 53
    assert 'data-view="unassigned">Unassigned <span class="count badge text-bg-light border">53</span>' in (
        response.content.decode()
    )


def test_the_escalated_flag_shows_in_the_row(client, views_world, support_engineer):
    client.force_login(support_engineer)
    page = client.get(reverse("tickets:queue")).content.decode()
    row = page[page.index(f'data-ticket="{views_world["escalated"].pk}"') :]
    assert 'data-testid="escalated">Escalated</span>' in row[: row.index("</tr>")]
    row = page[page.index(f'data-ticket="{views_world["soon"].pk}"') :]
    assert "Escalated" not in row[: row.index("</tr>")]


# Urgency ------------------------------------------------------------------------------------------------


def test_the_colour_follows_the_share_of_the_target_left_in_its_own_calendar(
    enterprise_premium, standard, time_machine
):
    (p_org, p_cust), (s_org, s_cust) = enterprise_premium, standard
    start = pt(2026, 12, 1, 8, 0)
    premium = _open(p_org, p_cust, "30 min", now=start, priority="urgent")  # Premium: 30 minutes, 24/7
    business = _open(s_org, s_cust, "16 bh", now=start, priority="normal")  # Standard: 16 business hours
    assert premium.sla_calendar == "24/7" and business.sla_calendar == "business"

    def clock_at(moment):
        return {
            t.pk: t for t in selectors.with_clock(Ticket.objects.filter(pk__in=[premium.pk, business.pk]), now=moment)
        }

    # Ten minutes in: two thirds of the Premium target are left, almost all of the business-hours one.
    rows = clock_at(start + dt.timedelta(minutes=10))
    assert rows[premium.pk].time_left == dt.timedelta(minutes=20)
    assert (rows[premium.pk].urgency, rows[business.pk].urgency) == ("urgency-2", "urgency-1")
    # 25 minutes in: a sixth of the Premium target left; the business one is still calm.
    rows = clock_at(start + dt.timedelta(minutes=25))
    assert (rows[premium.pk].urgency, rows[business.pk].urgency) == ("urgency-4", "urgency-1")
    # Past the Premium deadline; the business one has run 11 of its 16 hours by Wednesday 07:00 (10 + 1).
    rows = clock_at(pt(2026, 12, 2, 7, 0))
    assert rows[premium.pk].urgency == "urgency-5"
    assert rows[business.pk].time_left == dt.timedelta(hours=5)
    assert rows[business.pk].urgency == "urgency-3"
    # A night without business hours changes nothing of the business clock's colour.
    assert (
        clock_at(pt(2026, 12, 1, 23, 0))[business.pk].urgency == clock_at(pt(2026, 12, 1, 18, 0))[business.pk].urgency
    )


def test_the_queue_row_carries_the_urgency_class(client, enterprise, support_engineer, time_machine):
    organization, customer = enterprise
    time_machine.move_to(pt(2026, 12, 1, 9, 0), tick=False)
    ticket = _open(organization, customer, "Due", now=pt(2026, 12, 1, 5, 0), priority="urgent")  # clock from 06:00
    client.force_login(support_engineer)
    page = client.get(reverse("tickets:queue")).content.decode()
    # 3 of its 4 business hours gone: a quarter left.
    row = page[page.index(f'data-ticket="{ticket.pk}"') :]
    assert 'class="small deadline-cell urgency-4"' in row[: row.index("</tr>")]
    assert 'title="25% of the target left"' in row[: row.index("</tr>")]


# Search -------------------------------------------------------------------------------------------------


@pytest.fixture
def searchable(enterprise, standard, support_engineer):
    (e_org, e_cust), (s_org, s_cust) = enterprise, standard
    t = {}
    t["subject"] = _open(e_org, e_cust, "Warehouse sync stopped", now=MORNING, description="Nothing moves.")
    t["body"] = _open(e_org, e_cust, "Question", now=MORNING, description="The warehouse labels print blank.")
    t["comment"] = _open(e_org, e_cust, "Another", now=MORNING, description="See thread.")
    services.comment_add(ticket=t["comment"], author=e_cust, body="The courier scanner rejects the labels.")
    t["note"] = _open(e_org, e_cust, "Fourth", now=MORNING, description="Plain.")
    services.comment_add(ticket=t["note"], author=support_engineer, body="Suspect the firmware.", public=False)
    t["other_org"] = _open(s_org, s_cust, "Warehouse sync stopped too", now=MORNING, description="Same.")
    t["order"] = _open(e_org, e_cust, "Order 7310452 missing", now=MORNING, description="Order number 7310452.")
    return t


def _found(query, *, notes=True, within=None):
    return set(_ids(ticket_search(within or Ticket.objects.all(), query, include_notes=notes)))


def test_search_finds_by_number_subject_description_and_messages(searchable):
    t = searchable
    assert _found(str(t["note"].pk)) >= {t["note"].pk}
    assert _found(f"#{t['note'].pk}") >= {t["note"].pk}
    assert _found(t["note"].reference) == {t["note"].pk}
    assert _found("sync") == {t["subject"].pk, t["other_org"].pk}
    assert _found("blank") == {t["body"].pk}
    assert _found("courier") == {t["comment"].pk}
    assert _found("firmware") == {t["note"].pk}
    assert _found("7310452") == {t["order"].pk}


def test_every_word_must_match_and_common_words_do_not_widen(searchable):
    t = searchable
    assert _found("warehouse") == {t["subject"].pk, t["body"].pk, t["other_org"].pk}
    assert _found("warehouse sync") == {t["subject"].pk, t["other_org"].pk}
    assert _found("warehouse labels") == {t["body"].pk}
    assert _found("warehouse courier") == set()
    # A stray common word changes nothing: neither more tickets nor none.
    assert _found("the warehouse sync") == _found("warehouse sync")
    assert _found("sync is the") == _found("sync")
    assert _found("the of and") == set()
    assert _found("") == set()


def test_customers_never_find_a_ticket_by_its_internal_note(searchable):
    t = searchable
    assert _found("firmware", notes=False) == set()
    assert _found("courier", notes=False) == {t["comment"].pk}


def test_automatic_acknowledgements_are_not_searched(searchable):
    # Every ticket's thread starts with "We received your request": it must find none of them.
    assert _found("received") == set()


def test_the_search_box_of_the_queue_and_of_customers_respects_the_scope(
    client, searchable, enterprise, support_engineer
):
    t = searchable
    client.force_login(support_engineer)
    response = client.get(reverse("tickets:queue"), {"q": "warehouse sync"})
    assert set(_ids(response.context["tickets"])) == {t["subject"].pk, t["other_org"].pk}
    client.force_login(enterprise[1])
    response = client.get(reverse("tickets:list"), {"q": "warehouse sync", "status": "all"})
    assert set(_ids(response.context["tickets"])) == {t["subject"].pk}
    response = client.get(reverse("tickets:list"), {"q": "firmware", "status": "all"})
    assert list(response.context["tickets"]) == []


@on_postgres
def test_postgres_search_stems_words_and_uses_the_gin_index(searchable):
    t = searchable
    assert _found("printing labels") == {t["body"].pk}  # "labels print blank": stems print, label
    assert _found("stopping") == {t["subject"].pk, t["other_org"].pk}
    qs = ticket_search(Ticket.objects.all(), "warehouse sync", include_notes=True)
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "ticket_search_gin" in plan


@on_postgres
def test_the_search_document_follows_new_messages_and_merges(searchable, support_engineer):
    t = searchable
    assert _found("pallet") == set()
    services.comment_add(ticket=t["body"], author=support_engineer, body="Pallet labels reprinted.")
    assert _found("pallet") == {t["body"].pk}


# Bulk actions -------------------------------------------------------------------------------------------


def test_bulk_changes_the_allowed_tickets_and_reports_the_refused_whole(
    client, world, support_engineer, solution_architect
):
    t = world
    chosen = [t["urgent"].pk, t["normal"].pk, t["closed"].pk]
    closed_before = (Comment.objects.filter(ticket=t["closed"]).count(), t["closed"].assignee_id)
    client.force_login(support_engineer)
    response = client.post(
        reverse("tickets:queue_bulk"),
        {
            "tickets": chosen,
            "assignee": str(solution_architect.pk),
            "status": "on_hold",
            "note": "Waiting for the carrier.",
            "query": "view=unassigned",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("tickets:queue") + "?view=unassigned"
    page = response.content.decode()
    assert f"Changed 2 tickets (#{t['urgent'].pk}, #{t['normal'].pk})." in page
    assert (
        f"Not changed, 1 ticket (#{t['closed'].pk}). #{t['closed'].pk}: A closed ticket cannot become on hold." in page
    )
    for name in ("urgent", "normal"):
        ticket = Ticket.objects.get(pk=t[name].pk)
        assert (ticket.assignee_id, ticket.status) == (solution_architect.pk, "on_hold")
        note = Comment.objects.get(ticket=ticket, body="Waiting for the carrier.")
        assert note.public is False and ticket.first_response_at is None
    closed = Ticket.objects.get(pk=t["closed"].pk)
    # Nothing half-done: the refused ticket has neither the note nor the assignee.
    assert (Comment.objects.filter(ticket=closed).count(), closed.assignee_id) == closed_before
    assert not TicketEvent.objects.filter(ticket=closed, kind="assigned").exists()


def test_bulk_refuses_an_empty_selection_or_nothing_to_do(client, world, support_engineer):
    client.force_login(support_engineer)
    response = client.post(reverse("tickets:queue_bulk"), {"status": "open"}, follow=True)
    assert "Select at least one ticket." in response.content.decode()
    response = client.post(reverse("tickets:queue_bulk"), {"tickets": [world["urgent"].pk]}, follow=True)
    assert "Choose an assignee or a status, or write a note, to apply." in response.content.decode()
    response = client.post(reverse("tickets:queue_bulk"), {"tickets": ["1x"], "status": "open"}, follow=True)
    assert "Ticket numbers are digits." in response.content.decode()
    assert not TicketEvent.objects.filter(kind="status_changed", ticket=world["urgent"]).exists()


def test_bulk_reports_unknown_tickets_and_is_for_staff_only(client, world, support_engineer, enterprise):
    client.force_login(support_engineer)
    response = client.post(
        reverse("tickets:queue_bulk"), {"tickets": [world["urgent"].pk, 999999], "status": "on_hold"}, follow=True
    )
    assert "#999999: There is no such ticket." in response.content.decode()
    assert Ticket.objects.get(pk=world["urgent"].pk).status == "on_hold"
    client.force_login(enterprise[1])
    assert (
        client.post(reverse("tickets:queue_bulk"), {"tickets": [world["urgent"].pk], "status": "open"}).status_code
        == 403
    )


def test_the_queues_links_keep_its_query_after_one_question_mark(client, standard, support_engineer):
    """Views, sort headers and page links are whole query strings (a doubled '?' made the browser read a key
    named '?sort', so the second page lost the sort)."""
    import re
    from urllib.parse import parse_qs

    organization, customer = standard
    for i in range(57):
        _open(organization, customer, f"Ticket {i}", now=MORNING + dt.timedelta(minutes=i), priority="normal")
    client.force_login(support_engineer)
    html = client.get(reverse("tickets:queue"), {"sort": "-number"}).content.decode()
    links = re.findall(r'href="(\?[^"]*)"', html)
    assert links and not [link for link in links if link.startswith("??")]
    following = re.search(r'href="\?([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    assert parse_qs(following) == {"sort": ["-number"], "page": ["2"]}
    second = client.get(reverse("tickets:queue") + "?" + following)
    all_numbers = sorted(Ticket.objects.values_list("pk", flat=True), reverse=True)
    assert _ids(second.context["tickets"]) == all_numbers[50:]


def test_the_organization_sort_reads_the_name_kept_on_each_ticket_through_a_rename(
    world, client, support_engineer, standard
):
    organization, _ = standard
    assert not Ticket.objects.exclude(organization_name=F("organization__name")).exists()
    organization.name = "Aardvark Imports"  # now first in A to Z
    organization.save()
    assert set(Ticket.objects.filter(organization=organization).values_list("organization_name", flat=True)) == {
        "Aardvark Imports"
    }
    rows = list(selectors.ticket_queue(filters={"sort": "organization"}))
    names = [t.organization.name for t in rows]
    assert names == sorted(names) and names[0] == "Aardvark Imports"
    client.force_login(support_engineer)
    shown = client.get(reverse("tickets:queue"), {"sort": "organization"}).context["tickets"]
    assert _ids(shown) == _ids(rows)


def test_a_ticket_moved_to_another_organization_takes_its_name(world, enterprise, standard):
    """The admin can move a ticket: its kept name (the organization sort's key) follows, and a plain save of a
    ticket read from the database reads no organization."""
    from django.test.utils import CaptureQueriesContext

    ticket = Ticket.objects.filter(organization=standard[0]).first()
    ticket.organization = enterprise[0]
    ticket.save()
    assert Ticket.objects.get(pk=ticket.pk).organization_name == enterprise[0].name
    again = Ticket.objects.get(pk=ticket.pk)
    with CaptureQueriesContext(connection) as saved:
        again.save(update_fields=["subject", "updated_at"])
    assert not [q for q in saved.captured_queries if "portal_organization" in q["sql"]]


def test_a_ticket_link_is_the_address_reverse_gives_under_any_script_prefix():
    """`work_url` writes the workspace's address from a pattern reversed once per script prefix (a portal served
    under a path, such as /support/, has its own)."""
    from django.urls import get_script_prefix, set_script_prefix

    from tickets.templatetags.ticket_rows import work_url

    before = get_script_prefix()
    try:
        for prefix in ("/", "/support/"):
            set_script_prefix(prefix)
            for pk in (1, 42, 10**15, "7"):
                assert work_url(pk) == reverse("tickets:staff_detail", args=[pk])
            assert work_url(5).startswith(prefix)
    finally:
        set_script_prefix(before)
    # Only a number makes an address: anything else is refused, never written into the link.
    with pytest.raises(ValueError):
        work_url('1"><script>')
