"""The report rollups: one home for what they count and for keeping them right.

Each rollup row counts the tickets one organization received on one support day, per tier, Premium, priority,
channel, kind and target calendar. The services refresh the (organization, day) a ticket belongs to in the same
transaction as the change they record (a ticket opened, a first response, a breach, a priority change, a rating),
by counting that day's few tickets again: the counts equal a direct count over the tickets by construction, and
concurrent changes of the same day queue on an advisory lock instead of overwriting each other's counts.
`rebuild_report_rollups()` (the management command of the same name) counts everything again.
"""

import datetime
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate

from portal import clock
from tickets.models import (
    Comment,
    EngineerRollup,
    Rating,
    ReportRollup,
    ResponseRollup,
    Ticket,
    TicketEvent,
)

# What the reports count, as conditions on a ticket: the one definition of met and breached for aggregates.
WITH_TARGET = Q(first_response_due_at__isnull=False)
RESPONDED = WITH_TARGET & Q(first_response_at__isnull=False)
MET = RESPONDED & Q(breached_at__isnull=True, first_response_at__lte=F("first_response_due_at"))
BREACHED = WITH_TARGET & (Q(breached_at__isnull=False) | Q(first_response_at__gt=F("first_response_due_at")))

_KEY = ("organization_id", "day", "tier", "premium", "priority", "channel")
_LOCK_TICKETS, _LOCK_ENGINEER = 1, 2
BATCH = 2000


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _lock(namespace: int, owner_id: int, day: datetime.date) -> None:
    """Serialises refreshes of one (owner, day) until the transaction ends; SQLite serialises all writes anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(namespace << 60) | (owner_id << 20) | day.toordinal()])


def _ticket_rows(tickets: QuerySet) -> Iterable[ReportRollup]:
    counted = (
        tickets.annotate(day=TruncDate("received_at", tzinfo=clock.support_zone()))
        .values(*_KEY, "kind", "sla_calendar")
        .annotate(
            n=Count("pk"),
            with_target=Count("pk", filter=WITH_TARGET),
            responded=Count("pk", filter=RESPONDED),
            met=Count("pk", filter=MET),
            breached=Count("pk", filter=BREACHED),
            rated_good=Count("pk", filter=Q(satisfaction__rating=Rating.GOOD)),
            rated_bad=Count("pk", filter=Q(satisfaction__rating=Rating.BAD)),
        )
        .order_by()
    )
    for row in counted.iterator(chunk_size=BATCH):
        yield ReportRollup(
            organization_id=row["organization_id"],
            day=row["day"],
            month=_month(row["day"]),
            tier=row["tier"],
            premium=row["premium"],
            priority=row["priority"],
            channel=row["channel"],
            kind=row["kind"],
            calendar=row["sla_calendar"],
            tickets=row["n"],
            with_target=row["with_target"],
            responded=row["responded"],
            met=row["met"],
            breached=row["breached"],
            rated_good=row["rated_good"],
            rated_bad=row["rated_bad"],
        )


def _response_rows(tickets: QuerySet) -> Iterable[ResponseRollup]:
    counted = (
        tickets.filter(RESPONDED, first_response_minutes__isnull=False, sla_target_minutes__isnull=False)
        .exclude(sla_calendar="")
        .annotate(day=TruncDate("received_at", tzinfo=clock.support_zone()))
        .values(*_KEY, "sla_calendar", "sla_target_minutes", "first_response_minutes")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for row in counted.iterator(chunk_size=BATCH):
        yield ResponseRollup(
            organization_id=row["organization_id"],
            day=row["day"],
            month=_month(row["day"]),
            tier=row["tier"],
            premium=row["premium"],
            priority=row["priority"],
            channel=row["channel"],
            calendar=row["sla_calendar"],
            target_minutes=row["sla_target_minutes"],
            minutes=row["first_response_minutes"],
            tickets=row["n"],
        )


def _engineer_rows(replies: QuerySet, first_responses: QuerySet) -> list[EngineerRollup]:
    zone = clock.support_zone()
    rows: dict[tuple, EngineerRollup] = {}

    def row(engineer_id, day, tier) -> EngineerRollup:
        key = (engineer_id, day, tier or "")
        if key not in rows:
            rows[key] = EngineerRollup(engineer_id=engineer_id, day=day, month=_month(day), tier=tier or "")
        return rows[key]

    counted = (
        replies.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("author_id", "day", "ticket__tier")
        .annotate(n=Count("pk"))
        .order_by()
    )
    for r in counted.iterator(chunk_size=BATCH):
        row(r["author_id"], r["day"], r["ticket__tier"]).replies = r["n"]
    counted = (
        first_responses.annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("actor_id", "day", "ticket__tier")
        .annotate(n=Count("pk"), met=Count("pk", filter=Q(data__met=True)))
        .order_by()
    )
    for r in counted.iterator(chunk_size=BATCH):
        target = row(r["actor_id"], r["day"], r["ticket__tier"])
        target.first_responses, target.met = r["n"], r["met"]
    return list(rows.values())


def _staff_replies() -> QuerySet:
    return Comment.objects.filter(is_staff_reply=True, public=True, is_automatic=False, author__isnull=False)


def _first_responses() -> QuerySet:
    # Only first responses to a target count towards an engineer's attainment (the event then says met or not).
    return TicketEvent.objects.filter(kind=TicketEvent.Kind.FIRST_RESPONSE, actor__isnull=False, data__has_key="met")


def rollups_refresh(tickets: Iterable[Ticket]) -> None:
    """Counts again the (organization, day) of each ticket; call it in the transaction that changed them."""
    keys = sorted({(t.organization_id, clock.support_date(t.received_at)) for t in tickets})
    for organization_id, day in keys:
        _lock(_LOCK_TICKETS, organization_id, day)
        start, end = clock.support_day_bounds(day)
        those = Ticket.objects.filter(organization_id=organization_id, received_at__gte=start, received_at__lt=end)
        ReportRollup.objects.filter(organization_id=organization_id, day=day).delete()
        ResponseRollup.objects.filter(organization_id=organization_id, day=day).delete()
        ReportRollup.objects.bulk_create(_ticket_rows(those))
        ResponseRollup.objects.bulk_create(_response_rows(those))


def engineer_rollup_refresh(engineer_id: int, moment: datetime.datetime) -> None:
    """Counts again one engineer's replies and first responses on the support day of `moment`."""
    day = clock.support_date(moment)
    _lock(_LOCK_ENGINEER, engineer_id, day)
    start, end = clock.support_day_bounds(day)
    replies = _staff_replies().filter(author_id=engineer_id, created_at__gte=start, created_at__lt=end)
    first = _first_responses().filter(actor_id=engineer_id, created_at__gte=start, created_at__lt=end)
    EngineerRollup.objects.filter(engineer_id=engineer_id, day=day).delete()
    EngineerRollup.objects.bulk_create(_engineer_rows(replies, first))


@transaction.atomic
def rebuild_report_rollups() -> dict[str, int]:
    """Counts every rollup again from the tickets (idempotent); returns how many rows each table holds."""
    ReportRollup.objects.all().delete()
    ResponseRollup.objects.all().delete()
    EngineerRollup.objects.all().delete()
    tickets = Ticket.objects.all()
    ReportRollup.objects.bulk_create(_ticket_rows(tickets), batch_size=BATCH)
    ResponseRollup.objects.bulk_create(_response_rows(tickets), batch_size=BATCH)
    EngineerRollup.objects.bulk_create(_engineer_rows(_staff_replies(), _first_responses()), batch_size=BATCH)
    return {
        "report": ReportRollup.objects.count(),
        "response": ResponseRollup.objects.count(),
        "engineer": EngineerRollup.objects.count(),
    }
