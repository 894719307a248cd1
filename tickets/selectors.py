"""Reads about tickets shared by pages, the API and reports."""

import datetime
import statistics
from collections import defaultdict

from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from portal import roles
from portal.models import User
from tickets.calendars import calendar_for, closure_changes
from tickets.models import OPEN_STATUSES, Comment, SlaState, Status, Ticket


def staff_users() -> QuerySet[User]:
    return (
        User.objects.filter(Q(is_superuser=True) | Q(groups__name__in=roles.STAFF_GROUPS), is_active=True)
        .distinct()
        .order_by("full_name", "email")
    )


def ticket_queue(*, filters: dict | None = None, user=None) -> QuerySet[Ticket]:
    """Open tickets, soonest first-response deadline first; tickets without a running clock after."""
    filters = filters or {}
    qs = Ticket.objects.select_related("organization", "requester", "assignee")
    status = filters.get("status")
    qs = qs.filter(status=status) if status else qs.filter(status__in=OPEN_STATUSES)
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
    return queue_ordered(qs)


def queue_ordered(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """The queue's order: a running first-response clock first, soonest deadline first; the rest after."""
    running = Case(
        When(first_response_at__isnull=True, first_response_due_at__isnull=False, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return qs.annotate(clock_order=running).order_by("clock_order", "first_response_due_at", "received_at", "pk")


def customer_tickets(user, *, status: str = "open", query: str = "") -> QuerySet[Ticket]:
    qs = Ticket.objects.visible_to(user).select_related("requester", "assignee", "organization")
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status == "solved":
        qs = qs.filter(status__in=[Status.SOLVED, Status.CLOSED])
    elif status in Status.values:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(subject__icontains=query) | Q(description__icontains=query) | Q(pk=_int(query)))
    return qs.order_by("-received_at")


def _int(text: str) -> int | None:
    text = text.strip().lstrip("#")
    return int(text) if (text.isascii() and text.isdigit()) else None


def with_clock(tickets, *, now: datetime.datetime | None = None) -> list[Ticket]:
    """Adds `state` and `time_left` (in the target's own calendar) to each ticket, with no query per ticket."""
    now = now or timezone.now()
    changes = closure_changes()
    result = []
    for ticket in tickets:
        ticket.state = ticket.sla_state(now=now)
        ticket.time_left = None
        if ticket.state in (SlaState.RUNNING, SlaState.AT_RISK):
            ticket.time_left = calendar_for(ticket.sla_calendar, changes).elapsed(now, ticket.first_response_due_at)
        result.append(ticket)
    return result


def public_thread(ticket: Ticket) -> QuerySet[Comment]:
    return ticket.comments.filter(public=True).select_related("author").prefetch_related("attachments")


def full_thread(ticket: Ticket) -> QuerySet[Comment]:
    return ticket.comments.select_related("author").prefetch_related("attachments")


def attainment_report(*, since: datetime.datetime | None = None, now=None) -> list[dict]:
    """First-response attainment and median time to first response by tier, priority and month."""
    now = now or timezone.now()
    qs = Ticket.objects.filter(first_response_due_at__isnull=False).only(
        "tier",
        "priority",
        "received_at",
        "sla_clock_start",
        "sla_calendar",
        "first_response_at",
        "first_response_due_at",
        "breached_at",
        "status",
    )
    if since:
        qs = qs.filter(received_at__gte=since)
    changes = closure_changes()
    groups: dict[tuple, dict] = defaultdict(lambda: {"met": 0, "breached": 0, "waiting": 0, "durations": []})
    for ticket in qs.iterator(chunk_size=2000):
        month = timezone.localtime(ticket.received_at).strftime("%Y-%m")
        group = groups[(month, ticket.tier or "none", ticket.priority)]
        state = ticket.sla_state(now=now)
        if state == SlaState.MET:
            group["met"] += 1
        elif state == SlaState.BREACHED:
            group["breached"] += 1
        else:
            group["waiting"] += 1
        if ticket.first_response_at:
            calendar = calendar_for(ticket.sla_calendar, changes)
            group["durations"].append(calendar.elapsed(ticket.received_at, ticket.first_response_at))
    rows = []
    for (month, tier, priority), g in sorted(groups.items(), reverse=True):
        decided = g["met"] + g["breached"]
        median = statistics.median(g["durations"]) if g["durations"] else None
        rows.append(
            {
                "month": month,
                "tier": tier,
                "priority": priority,
                "met": g["met"],
                "breached": g["breached"],
                "waiting": g["waiting"],
                "attainment": round(100 * g["met"] / decided, 1) if decided else None,
                "median_minutes": round(median.total_seconds() / 60, 1) if median is not None else None,
            }
        )
    return rows


def attainment_by_organization(organization_ids, *, since: datetime.datetime, now=None) -> dict[int, dict]:
    """First-response attainment of each organization's tickets received since `since`, counted by the database in
    one query, as `Ticket.sla_state()` decides: met, breached, and still waiting (tickets without a target are left
    out). Organizations without such tickets are missing from the answer."""
    now = now or timezone.now()
    met = Q(
        breached_at__isnull=True, first_response_at__isnull=False, first_response_at__lte=F("first_response_due_at")
    )
    breached = (
        Q(breached_at__isnull=False)
        | Q(first_response_at__gt=F("first_response_due_at"))
        | Q(first_response_at__isnull=True, status__in=OPEN_STATUSES, first_response_due_at__lte=now)
    )
    waiting = Q(
        breached_at__isnull=True,
        first_response_at__isnull=True,
        status__in=OPEN_STATUSES,
        first_response_due_at__gt=now,
    )
    rows = (
        Ticket.objects.filter(
            organization_id__in=list(organization_ids), received_at__gte=since, first_response_due_at__isnull=False
        )
        .values("organization_id")
        .annotate(
            met=Count("pk", filter=met), breached=Count("pk", filter=breached), waiting=Count("pk", filter=waiting)
        )
        .order_by()
    )
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
