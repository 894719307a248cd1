"""Counts at any size: the queue's tally equals the tickets, the staff home shows the database's counts, and every
list pages through all its rows (none dropped, none repeated) and says how many there are."""

import datetime as dt
import random

import pytest
from django.conf import settings
from django.urls import reverse

from tests.clock import pt
from tickets import selectors, services, tally
from tickets.models import QueueTally, Status, Ticket

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="the tally's trigger"
)
MORNING = pt(2026, 12, 1, 8, 0)  # a Tuesday, inside business hours


def _open(organization, requester, subject, *, now=MORNING, **extra):
    return services.ticket_open(
        organization=organization, requester=requester, subject=subject, description="d", now=now, **extra
    )


def _direct(user, now):
    """The views' counts computed from the tickets themselves, one condition at a time."""
    return selectors.view_counts(Ticket.objects.all(), user=user, now=now)


@pytest.fixture
def many(enterprise, standard, enterprise_premium, support_engineer, solution_architect, time_machine):
    """75 tickets of three organizations, more than a page, with every view represented and changed at random."""
    time_machine.move_to(MORNING, tick=False)
    rng = random.Random(19)
    customers = [enterprise, standard, enterprise_premium]
    tickets = []
    for i in range(75):
        organization, customer = customers[i % 3]
        received = MORNING - dt.timedelta(hours=rng.randrange(0, 40))
        priority = rng.choice(["urgent", "high", "normal", "low"])
        tickets.append(_open(organization, customer, f"Ticket {i}", now=received, priority=priority))
    for ticket in tickets:
        roll = rng.random()
        if roll < 0.25:
            services.ticket_assign(ticket=ticket, actor=support_engineer, assignee=support_engineer)
        elif roll < 0.4:
            services.ticket_assign(ticket=ticket, actor=support_engineer, assignee=solution_architect)
        roll = rng.random()
        if roll < 0.2:
            services.comment_add(ticket=ticket, author=support_engineer, body="Here is how.", now=MORNING)
        elif roll < 0.3:
            services.ticket_change_status(ticket=ticket, actor=support_engineer, status=Status.SOLVED, now=MORNING)
        elif roll < 0.35:
            services.ticket_change_status(ticket=ticket, actor=support_engineer, status=Status.CLOSED, now=MORNING)
    down = _open(*enterprise_premium, "Down", priority="urgent", kind="incident")
    services.ticket_escalate(ticket=down, actor=enterprise_premium[1])
    tickets.append(down)
    services.sla_sweep(now=MORNING)
    return tickets


def test_staff_counts_equal_the_tickets_after_changes_fold_and_rebuild(many, support_engineer, solution_architect):
    for user in (support_engineer, solution_architect):
        expected = _direct(user, MORNING)
        assert expected["all_open"] > selectors.PAGE_SIZE
        assert selectors.queue_counts(user=user, now=MORNING) == expected
    expected = _direct(support_engineer, MORNING)
    assert expected["breached"] > 0 and expected["mine"] > 0 and expected["escalated"] == 1
    # Later the same day: more deadlines passed, some recorded by the sweep and some not yet.
    later = MORNING + dt.timedelta(hours=6)
    assert selectors.queue_counts(user=support_engineer, now=later) == _direct(support_engineer, later)
    services.sla_sweep(now=later)
    assert selectors.queue_counts(user=support_engineer, now=later) == _direct(support_engineer, later)
    tally.tally_fold()
    assert selectors.queue_counts(user=support_engineer, now=later) == _direct(support_engineer, later)
    tally.tally_rebuild()
    assert selectors.queue_counts(user=support_engineer, now=later) == _direct(support_engineer, later)


@on_postgres
def test_the_tally_is_kept_by_every_write_and_folds_to_one_row_per_key(many, support_engineer, standard):
    rows_before = QueueTally.objects.count()
    tally.tally_fold()
    folded = QueueTally.objects.count()
    assert folded < rows_before
    key = ("organization_id", "assignee_id", "premium", "waiting_on", "escalated", "breached")
    assert len(set(QueueTally.objects.values_list(*key))) == folded  # one row per key
    # A bulk write that no service makes (an admin's update, a data fix) is counted too: the trigger sees it.
    Ticket.objects.filter(status__in=["new", "open"]).update(status=Status.CLOSED)
    assert selectors.queue_counts(user=support_engineer, now=MORNING) == _direct(support_engineer, MORNING)
    Ticket.objects.filter(pk=many[1].pk).delete()
    assert selectors.queue_counts(user=support_engineer, now=MORNING) == _direct(support_engineer, MORNING)


@on_postgres
def test_the_rebuild_command_recounts(many, support_engineer):
    from django.core.management import call_command

    QueueTally.objects.all().delete()  # drifted (a load with triggers off, say)
    assert selectors.queue_counts(user=support_engineer, now=MORNING)["all_open"] == 0
    call_command("queue_tally_rebuild", stdout=open("/dev/null", "w"))  # noqa: SIM115, PTH123
    assert selectors.queue_counts(user=support_engineer, now=MORNING) == _direct(support_engineer, MORNING)


def test_the_staff_home_shows_the_databases_counts(client, many, support_engineer):
    client.force_login(support_engineer)
    response = client.get(reverse("portal:home"))
    shown = {count["key"]: count["value"] for count in response.context["counts"]}
    expected = _direct(support_engineer, MORNING)
    assert shown == {key: expected[key] for key in ("all_open", "breached", "breaching_soon", "unassigned", "mine")}
    page = response.content.decode()
    assert f'href="{reverse("tickets:queue")}?view=breached" data-count="breached"' in page
    assert len(response.context["next_up"]) == 8


def test_the_staff_home_keeps_its_query_count(
    client, many, support_engineer, enterprise, django_assert_max_num_queries
):
    client.force_login(support_engineer)
    client.get(reverse("portal:home"))
    with django_assert_max_num_queries(30) as before:
        client.get(reverse("portal:home"))
    for i in range(40):
        _open(*enterprise, f"More {i}")
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(reverse("portal:home"))


@pytest.mark.parametrize(
    "query",
    [{}, {"view": "unassigned"}, {"view": "waiting_on_us"}, {"sort": "priority"}, {"sort": "-updated"},
     {"sort": "waiting"}, {"sort": "organization"}, {"priority": "low"}],
)  # fmt: skip
def test_queue_pages_hold_every_row_once_and_say_how_many(client, many, support_engineer, query):
    client.force_login(support_engineer)
    first = client.get(reverse("tickets:queue"), query)
    total = first.context["page"].paginator.count
    seen = []
    for number in range(1, first.context["page"].paginator.num_pages + 1):
        seen += [t.pk for t in client.get(reverse("tickets:queue"), {**query, "page": number}).context["tickets"]]
    expected = selectors.ticket_queue(filters=query, user=support_engineer)
    assert seen == [t.pk for t in expected]  # the same order, nothing dropped, nothing twice
    assert total == len(seen) == expected.count() > 0
    assert f"{total} tickets" in first.content.decode()


def test_the_customer_list_pages_and_says_how_many(client, standard):
    organization, customer = standard
    for i in range(55):
        _open(organization, customer, f"Mine {i}", now=MORNING - dt.timedelta(minutes=i % 5))  # ties on received
    client.force_login(customer)
    first = client.get(reverse("tickets:list"))
    assert 'data-testid="ticket-total">55 tickets, page 1 of 2</p>' in first.content.decode()
    second = client.get(reverse("tickets:list"), {"page": 2})
    listed = [t.pk for t in first.context["tickets"]] + [t.pk for t in second.context["tickets"]]
    assert sorted(listed) == sorted(Ticket.objects.filter(organization=organization).values_list("pk", flat=True))
    assert len(set(listed)) == 55


def test_the_customer_dashboard_says_how_many_are_open(client, standard):
    organization, customer = standard
    for i in range(12):
        _open(organization, customer, f"Open {i}")
    client.force_login(customer)
    page = client.get(reverse("portal:home")).content.decode()
    assert 'data-testid="open-count">12</span>' in page
    assert "The 10 most recent of 12 open tickets" in page


def test_the_workspace_counts_the_organizations_other_open_tickets(client, many, support_engineer):
    client.force_login(support_engineer)
    for ticket in (many[0], next(t for t in many if Ticket.objects.get(pk=t.pk).status == Status.CLOSED)):
        response = client.get(reverse("tickets:staff_detail", args=[ticket.pk]))
        others = Ticket.objects.filter(
            organization=ticket.organization, status__in=["new", "open", "pending_customer", "on_hold"]
        )
        assert response.context["customer"]["other_open_count"] == others.exclude(pk=ticket.pk).count() > 10


def test_a_deep_page_reads_its_ids_first_then_only_its_rows(client, many, support_engineer):
    """Numbered pages read the page's ids (the order's index alone), then those rows: a later page costs no more
    queries than the first one (fewer when none of its clocks runs: no closure days to read), and its rows come
    in the list's order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config.pagination import IdsFirstPaginator

    client.force_login(support_engineer)
    client.get(reverse("tickets:queue"))
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("tickets:queue"))
    with CaptureQueriesContext(connection) as last:
        response = client.get(reverse("tickets:queue"), {"page": 2})
    assert len(last.captured_queries) <= len(first.captured_queries)
    expected = [t.pk for t in selectors.ticket_queue(user=support_engineer)]
    assert [t.pk for t in response.context["tickets"]] == expected[50:]
    paginator = IdsFirstPaginator(selectors.ticket_queue(user=support_engineer), 10)
    pages = [paginator.page(n) for n in paginator.page_range]
    assert [t.pk for page in pages for t in page.object_list] == expected
