"""Reads about tickets shared by pages, the API and reports."""

import datetime
import functools

from django.db.models import Count, F, JSONField, OuterRef, Prefetch, Q, QuerySet, Subquery, TextChoices
from django.db.models.functions import TruncMonth
from django.utils import timezone

from portal import clock, roles
from portal.models import User
from tickets import sla, tally
from tickets.calendars import calendar_for, closure_changes
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    Comment,
    Rating,
    SatisfactionRating,
    SlaState,
    Status,
    Tag,
    Ticket,
    TicketEvent,
    WaitingOn,
)
from tickets.search import ticket_search

PAGE_SIZE = 50
# The long columns no list shows: a page of 50 rows reads and decodes only what its table needs.
LIST_DEFERRED = ("description", "search_vector", "sla_candidates", "suggested_articles")
BREACHING_SOON = datetime.timedelta(hours=2)


def staff_users() -> QuerySet[User]:
    return (
        User.objects.filter(Q(is_superuser=True) | Q(groups__name__in=roles.STAFF_GROUPS), is_active=True)
        .distinct()
        .order_by("full_name", "email")
    )


class QueueView(TextChoices):
    """The queue's views: one click each for the questions a Support Engineer asks all day (open tickets)."""

    MINE = "mine", "Mine"
    UNASSIGNED = "unassigned", "Unassigned"
    BREACHING_SOON = "breaching_soon", "Breaching within 2 hours"
    BREACHED = "breached", "Breached"
    PREMIUM = "premium", "Premium"
    WAITING_ON_US = "waiting_on_us", "Waiting on us"
    WAITING_ON_CUSTOMER = "waiting_on_customer", "Waiting on the customer"
    ESCALATED = "escalated", "Escalated"


def view_condition(view: str, *, user, now: datetime.datetime) -> Q:
    """Which open tickets belong to a view. "Mine" is a customer's own requests when a customer asks."""
    unanswered = Q(first_response_at__isnull=True)
    if view == QueueView.MINE:
        return Q(assignee=user) if roles.is_support_staff(user) else Q(requester=user)
    if view == QueueView.UNASSIGNED:
        return Q(assignee__isnull=True)
    if view == QueueView.BREACHING_SOON:
        return unanswered & Q(
            breached_at__isnull=True, first_response_due_at__gt=now, first_response_due_at__lte=now + BREACHING_SOON
        )
    if view == QueueView.BREACHED:
        return unanswered & (Q(first_response_due_at__lte=now) | Q(breached_at__isnull=False))
    if view == QueueView.PREMIUM:
        return Q(premium=True)
    if view == QueueView.WAITING_ON_US:
        return Q(waiting_on=WaitingOn.US)
    if view == QueueView.WAITING_ON_CUSTOMER:
        return Q(waiting_on=WaitingOn.CUSTOMER)
    if view == QueueView.ESCALATED:
        return Q(escalated_at__isnull=False)
    raise ValueError(f"Unknown view {view!r}.")


def view_counts(tickets: QuerySet[Ticket], *, user, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many open tickets of `tickets` each view holds, in one query, whatever the page shows."""
    now = now or timezone.now()
    conditions = {view.value: view_condition(view, user=user, now=now) for view in QueueView}
    counts = {name: Count("pk", filter=q) for name, q in conditions.items()}
    return tickets.open().aggregate(all_open=Count("pk"), **counts)


def queue_counts(*, user, now: datetime.datetime | None = None) -> dict[str, int]:
    """Staff's counts: how many open tickets there are and each view holds, exact at any size (tickets.tally)."""
    return tally.staff_counts(user=user, now=now or timezone.now(), soon=BREACHING_SOON)


HOME_COUNTS = (
    ("all_open", "Open", ""),
    ("breached", "Breached", QueueView.BREACHED),
    ("breaching_soon", "Breaching within 2 hours", QueueView.BREACHING_SOON),
    ("unassigned", "Unassigned", QueueView.UNASSIGNED),
    ("mine", "Mine", QueueView.MINE),
)


def home_counts(counts: dict[str, int]) -> list[dict]:
    """The staff home's figures, each with the queue view it opens."""
    return [{"key": key, "label": label, "value": counts[key], "view": view} for key, label, view in HOME_COUNTS]


# Filters that narrow the queue beyond a view: with any of them the page counts its own rows.
NARROWING_FILTERS = ("status", "priority", "kind", "tier", "assignee", "organization", "tag", "q")


def queue_total(filters: dict, counts: dict[str, int]) -> int | None:
    """How many tickets `ticket_queue(filters)` lists, when `queue_counts` already says it (a view, or all open)."""
    if any(filters.get(name) for name in NARROWING_FILTERS):
        return None
    return counts[filters.get("view") or "all_open"]


def sla_state_condition(state: str, *, now: datetime.datetime) -> Q:
    """Ticket.sla_state() as a query condition, for counting in the database (the metrics)."""
    due = Q(first_response_due_at__isnull=False)
    unanswered = Q(first_response_at__isnull=True)
    breached = due & (
        Q(breached_at__isnull=False)
        | Q(first_response_at__gt=F("first_response_due_at"))
        | (unanswered & Q(status__in=OPEN_STATUSES, first_response_due_at__lte=now))
    )
    if state == SlaState.BREACHED:
        return breached
    if state == SlaState.MET:
        return due & ~breached & Q(first_response_at__isnull=False)
    if state == SlaState.NONE:
        return Q(first_response_due_at__isnull=True) | (due & ~breached & unanswered & ~Q(status__in=OPEN_STATUSES))
    running = due & ~breached & unanswered & Q(status__in=OPEN_STATUSES)
    at_risk = Q(at_risk_at__isnull=False) | Q(at_risk_due_at__lte=now)
    if state == SlaState.AT_RISK:
        return running & at_risk
    if state == SlaState.RUNNING:
        return running & ~at_risk
    raise ValueError(f"Unknown SLA state {state!r}.")


def open_tickets_by_sla_state(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """How many open tickets are in each SLA state, in one query."""
    now = now or timezone.now()
    counts = {state.value: Count("pk", filter=sla_state_condition(state, now=now)) for state in SlaState}
    return Ticket.objects.open().aggregate(**counts)


# `?sort=`: each key's natural direction; a leading "-" reverses it. Ties always end on the queue's order.
SORTS = {
    "deadline": ("queue_rank", "queue_at", "pk"),
    "updated": ("-updated_at", "-pk"),
    "priority": ("priority_rank", "queue_rank", "queue_at", "pk"),
    "organization": ("organization_name", "queue_rank", "queue_at", "pk"),
    "number": ("pk",),
    "waiting": (F("waiting_since").asc(nulls_last=True), "pk"),
}
SORT_LABELS = {
    "deadline": "Deadline (most urgent first)",
    "updated": "Last update (latest first)",
    "priority": "Priority (urgent first)",
    "organization": "Organization (A to Z)",
    "number": "Number (oldest first)",
    "waiting": "Waiting (longest first)",
}
SORT_CHOICES = list(SORT_LABELS.items()) + [(f"-{key}", f"{label}, reversed") for key, label in SORT_LABELS.items()]


def tickets_sorted(tickets: QuerySet[Ticket], sort: str = "deadline") -> QuerySet[Ticket]:
    """The tickets in the order `sort` names (see SORTS); unknown keys fall back to the deadline order."""
    key = sort.removeprefix("-")
    ordered = tickets.order_by(*SORTS.get(key, SORTS["deadline"]))
    return ordered.reverse() if sort.startswith("-") and key in SORTS else ordered


# What a row of the queue shows (and `with_clock` reads): the rest of a ticket stays in the database.
QUEUE_ROW_FIELDS = (
    "subject",
    "kind",
    "priority",
    "channel",
    "status",
    "tier",
    "premium",
    "received_at",
    "updated_at",
    "sla_calendar",
    "sla_clock_start",
    "sla_note",
    "first_response_due_at",
    "at_risk_due_at",
    "first_response_at",
    "at_risk_at",
    "breached_at",
    "waiting_on",
    "waiting_since",
    "escalated_at",
    "queue_rank",
    "queue_at",
    "organization_name",  # kept on the ticket: the rows need no join to the organizations
    "assignee__full_name",
    "assignee__email",
    "satisfaction__rating",
    "satisfaction__comment",
)


@functools.cache
def _tags_of_outer_ticket() -> QuerySet[Tag]:
    # Built once: each use clones it (Subquery does), which costs less than building the filter again.
    return Tag.objects.filter(tickets=OuterRef("pk")).order_by("name").values("name")


class TagNames(Subquery):
    """A ticket's tag names in name order, read in the ticket's own query: a scalar subquery a row that gives them
    as one JSON list, instead of a second query for the tags (and, on a list, a related manager built for each
    row). PostgreSQL orders them in the database's collation, as `Tag`'s own order does; SQLite (the demo) in
    its binary order."""

    output_field = JSONField()

    def __init__(self):
        super().__init__(_tags_of_outer_ticket())

    def as_postgresql(self, compiler, connection, **extra_context):
        template = "(SELECT COALESCE(jsonb_agg(names.name ORDER BY names.name), '[]') FROM (%(subquery)s) names)"
        return self.as_sql(compiler, connection, template=template, **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        # json_group_array takes the rows in the order the subquery gives them.
        template = "(SELECT json_group_array(names.name) FROM (%(subquery)s) names)"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def with_tag_names(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.annotate(tag_names=TagNames())


def tag_names(ticket: Ticket) -> list[str]:
    """The ticket's tag names: read with the ticket (`with_tag_names`), else one query."""
    names = getattr(ticket, "tag_names", None)
    return list(ticket.tags.values_list("name", flat=True)) if names is None else names


def ticket_queue(*, filters: dict | None = None, user=None, now: datetime.datetime | None = None) -> QuerySet[Ticket]:
    """Open tickets (or those of one status), narrowed by a view, filters, tags and a search, in `sort` order;
    each row loads only what the queue shows (QUEUE_ROW_FIELDS)."""
    filters = filters or {}
    now = now or timezone.now()
    qs = Ticket.objects.select_related("assignee", "satisfaction").only(*QUEUE_ROW_FIELDS)
    status = filters.get("status")
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
    if filters.get("view"):
        qs = qs.filter(status__in=OPEN_STATUSES).filter(view_condition(filters["view"], user=user, now=now))
    for name in ("priority", "kind"):
        if filters.get(name):
            qs = qs.filter(**{name: filters[name]})
    tier = filters.get("tier")
    if tier == "none":
        qs = qs.filter(tier="")
    elif tier:
        qs = qs.filter(tier=tier)
    assignee = filters.get("assignee")
    if assignee == "me" and user is not None:
        qs = qs.filter(assignee=user)
    elif assignee == "none":
        qs = qs.filter(assignee__isnull=True)
    elif assignee:
        qs = qs.filter(assignee_id=assignee)
    if filters.get("organization"):
        qs = qs.filter(organization_id=filters["organization"])
    if filters.get("tag"):
        qs = qs.filter(tags__name=filters["tag"].strip().lower())
    if filters.get("q"):
        qs = ticket_search(qs, filters["q"], include_notes=True)
    return with_tag_names(tickets_sorted(qs, filters.get("sort") or "deadline"))


def queue_ordered(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The queue's order: a running first-response clock first, soonest deadline first; the rest after."""
    return tickets_sorted(qs, "deadline")


def customer_tickets(user, *, status: str = "open", query: str = "") -> QuerySet[Ticket]:
    """The tickets of the customer's organization, newest first; `waiting` are those waiting on the customer."""
    qs = Ticket.objects.visible_to(user).select_related("requester", "assignee", "organization", "satisfaction")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status == "waiting":
        qs = qs.filter(status__in=OPEN_STATUSES, waiting_on=WaitingOn.CUSTOMER)
    elif status == "solved":
        qs = qs.filter(status__in=[Status.SOLVED, Status.CLOSED])
    elif status in Status.values:
        qs = qs.filter(status=status)
    if query:
        qs = ticket_search(qs, query, include_notes=False)
    return qs.order_by("-received_at", "-pk").defer(*LIST_DEFERRED)


def with_clock(tickets, *, now: datetime.datetime | None = None) -> list[Ticket]:
    """Adds `state`, `time_left` and `share_left` (in the target's own calendar), `urgency` (a CSS class) and
    `waited` (how long the current turn lasts) to each ticket, with no query per ticket (and the closure days read
    once, only when a clock runs)."""
    now = now or timezone.now()
    changes = None
    result = []
    for ticket in tickets:
        ticket.state = ticket.sla_state(now=now)
        ticket.time_left = ticket.share_left = None
        ticket.time_left_text = ""
        if ticket.state in (SlaState.RUNNING, SlaState.AT_RISK):
            changes = closure_changes() if changes is None else changes
            calendar = calendar_for(ticket.sla_calendar, changes)
            ticket.time_left = calendar.elapsed(now, ticket.first_response_due_at)
            target = calendar.elapsed(ticket.sla_clock_start or ticket.received_at, ticket.first_response_due_at)
            ticket.share_left = ticket.time_left / target if target else 0.0
            ticket.time_left_text = sla.time_left(ticket.time_left, ticket.sla_calendar)
        ticket.urgency = urgency_class(ticket.state, ticket.share_left)
        ticket.waited = now - ticket.waiting_since if ticket.is_open and ticket.waiting_since else None
        result.append(ticket)
    return result


# The colour of a running deadline follows the share of its target still left, counted in the target's own
# calendar: a 30-minute Premium target with 10 minutes left is as urgent as a 16-business-hour one with 5 hours
# left. The thresholds are the share left at or above which a step applies.
URGENCY_STEPS = ((0.75, "urgency-1"), (0.5, "urgency-2"), (0.25, "urgency-3"))


def urgency_class(state: str, share_left: float | None) -> str:
    """A CSS class from urgency-1 (most of the target left) to urgency-5 (breached); "" without a clock."""
    if state == SlaState.BREACHED:
        return "urgency-5"
    if share_left is None:
        return ""
    for threshold, name in URGENCY_STEPS:
        if share_left > threshold:
            return name
    return "urgency-4" if share_left > 0 else "urgency-5"


def public_thread(ticket: Ticket) -> QuerySet[Comment]:
    """The messages the customer reads, each with its attachments in `files` (tickets/_thread.html)."""
    return (
        ticket.comments.filter(public=True)
        .select_related("author")
        .prefetch_related(Prefetch("attachments", to_attr="files"))
    )


def full_thread(ticket: Ticket) -> tuple[list[Comment], list[Attachment]]:
    """The whole thread, internal notes too, each message with its attachments in `files`, and the attachments
    of the ticket's own first message: two queries, however long the thread."""
    comments = list(ticket.comments.select_related("author"))
    files: dict[int | None, list[Attachment]] = {}
    for attachment in ticket.attachments.all():
        files.setdefault(attachment.comment_id, []).append(attachment)
    for comment in comments:
        comment.files = files.get(comment.pk, [])
    return comments, files.get(None, [])


def merged_in(events) -> list[int]:
    """The numbers of the tickets merged into a ticket, in the order they were merged, read from its timeline:
    each merge writes a line there that names the duplicate, in the merge's own transaction
    (`workspace.ticket_merge`), so the page that shows the timeline needs no query of its own for them."""
    return [
        event.data["duplicate"]
        for event in events
        if event.kind == TicketEvent.Kind.MERGED and isinstance(event.data, dict) and "duplicate" in event.data
    ]


def attainment_by_organization(organization_ids, *, since: datetime.date, now=None) -> dict[int, dict]:
    """First-response attainment of each organization's tickets received since the support day `since`, as
    `Ticket.sla_state()` decides: met, breached, and still waiting (tickets without a target are left out).
    Met and recorded breaches come from the report rollups; the clocks still pending (running, or passed and
    not swept yet, which count as breached) from the index of pending deadlines alone. Two queries whatever the
    number of tickets; organizations without such tickets are missing from the answer."""
    from tickets.reports.figures import met_and_breached_by_organization  # the reports build on the selectors

    now = now or timezone.now()
    ids = list(organization_ids)
    start = clock.support_day_bounds(since)[0]
    counts = {pk: {"met": 0, "breached": 0, "waiting": 0} for pk in ids}
    for organization_id, met, breached in met_and_breached_by_organization(
        ids, since=since, until=clock.support_date(now)
    ):
        counts[organization_id]["met"] += met
        counts[organization_id]["breached"] += breached
    pending = (
        Ticket.objects.filter(
            status__in=OPEN_STATUSES,
            first_response_at__isnull=True,
            breached_at__isnull=True,
            first_response_due_at__isnull=False,
            organization_id__in=ids,
            received_at__gte=start,
        )
        .values("organization_id")
        .annotate(
            waiting=Count("first_response_due_at", filter=Q(first_response_due_at__gt=now)),
            overdue=Count("first_response_due_at", filter=Q(first_response_due_at__lte=now)),
        )
        .order_by()
    )
    for row in pending:
        counts[row["organization_id"]]["waiting"] += row["waiting"]
        counts[row["organization_id"]]["breached"] += row["overdue"]
    rows = [{"organization_id": pk, **c} for pk, c in counts.items() if any(c.values())]
    found = {}
    for row in rows:
        decided = row["met"] + row["breached"]
        found[row["organization_id"]] = {
            "met": row["met"],
            "breached": row["breached"],
            "waiting": row["waiting"],
            "attainment": round(100 * row["met"] / decided, 1) if decided else None,
        }
    return found


def satisfaction_report(*, since: datetime.datetime | None = None) -> dict:
    """Satisfaction ratings by month (good, bad, share good), with the latest comments."""
    rows = SatisfactionRating.objects.all()
    if since:
        rows = rows.filter(created_at__gte=since)
    months = (
        rows.annotate(month=TruncMonth("created_at", tzinfo=clock.support_zone()))
        .values("month")
        .annotate(
            good=Count("pk", filter=Q(rating=Rating.GOOD)),
            bad=Count("pk", filter=Q(rating=Rating.BAD)),
        )
        .order_by("-month")
    )
    table = []
    for row in months:
        total = row["good"] + row["bad"]
        table.append(
            {
                "month": row["month"].strftime("%Y-%m"),
                "good": row["good"],
                "bad": row["bad"],
                "score": round(100 * row["good"] / total, 1) if total else None,
            }
        )
    latest = list(rows.exclude(comment="").select_related("ticket", "rated_by").order_by("-created_at")[:10])
    return {"months": table, "latest": latest}


def customer_context(ticket: Ticket, entitlements, *, now: datetime.datetime | None = None) -> dict:
    """What the workspace's side panel tells about the customer, in a fixed number of queries: the contract,
    the account manager, SA hours left, the organization's other open tickets, the requester's last tickets and
    the requester's local time. `entitlements` are the organization's at `now` (the hours reuse them)."""
    from hours.selectors import hours_summary  # hours builds on tickets; this read goes the other way

    now = now or timezone.now()
    organization = ticket.organization
    others = (
        Ticket.objects.filter(organization=organization, status__in=OPEN_STATUSES)
        .exclude(pk=ticket.pk)
        .only("pk", "subject", "status", "priority", "received_at")
        .order_by("queue_rank", "queue_at", "pk")
    )
    other_open = list(others[:11])  # ten shown; an eleventh says there are more
    recent = Ticket.objects.exclude(pk=ticket.pk).only("pk", "subject", "status", "received_at")
    recent = (
        recent.filter(requester=ticket.requester) if ticket.requester_id else recent.filter(organization=organization)
    )
    requester = ticket.requester
    zone = clock.zone_of(requester) if requester else None
    return {
        "entitlements": entitlements,
        "account_manager": organization.account_manager,
        "hours": (
            hours_summary(organization, today=clock.support_today(now), entitlements=entitlements)
            if entitlements.allotment
            else None
        ),
        "other_open": other_open[:10],
        "other_open_more": len(other_open) > 10,
        # Ten or fewer are all listed: counted as they are; more are counted from the tally.
        "other_open_count": (
            tally.organization_open_count(organization.pk) - (1 if ticket.is_open else 0)
            if len(other_open) > 10
            else len(other_open)
        ),
        "recent": list(recent.order_by("-received_at", "-pk")[:5]),
        "local_time": clock.when(now, tz=zone) if zone else "",
        "local_zone": getattr(requester, "time_zone", ""),
    }
