"""The report rollups: one home for what they count and for keeping them right.

Each day rollup row counts the tickets one organization received on one support day, per tier, Premium,
priority, channel, kind and target calendar; the response rollup counts the first responses of that day per
tier, priority, calendar and bucket of minutes (see `minute_bucket`). The month rollups hold, per organization
and month, the sum of that month's day rows: the reports read them for the months a range covers whole and
the day rows only for the edges, so a report reads a few thousand rows whatever the number of tickets.

The services refresh the (organization, day) a ticket belongs to in the same transaction as the change they
record (a ticket opened, a first response, a breach, a priority change, a rating), by counting that day's few
tickets again, then move the month rows by the difference between the day's old rows and its new ones: the
counts equal a direct count over the tickets by construction, a refresh costs a day's rows whatever the size
of the month, concurrent changes of the same organization and month queue on an advisory lock, and the month
rows shared by every organization (ResponseMonthTotal, read by the reports that span every account) take
additions in key order, so no change is lost and no two refreshes deadlock. `rebuild_report_rollups()` (the
management command of the same name) counts everything again.
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
    ReportMonthRollup,
    ReportRollup,
    ResponseMonthRollup,
    ResponseMonthTotal,
    ResponseRollup,
    Ticket,
    TicketEvent,
)

# What the reports count, as conditions on a ticket: the one definition of met and breached for aggregates.
WITH_TARGET = Q(first_response_due_at__isnull=False)
RESPONDED = WITH_TARGET & Q(first_response_at__isnull=False)
MET = RESPONDED & Q(breached_at__isnull=True, first_response_at__lte=F("first_response_due_at"))
BREACHED = WITH_TARGET & (Q(breached_at__isnull=False) | Q(first_response_at__gt=F("first_response_due_at")))
# First responses timed in their target's calendar: the ones the medians and the share of the target count.
TIMED = RESPONDED & Q(first_response_minutes__isnull=False, sla_target_minutes__isnull=False) & ~Q(sla_calendar="")
# The share of its target a timed first response took (`four` is four times its minutes, annotated below).
_TARGET = F("sla_target_minutes")
SHARES = {
    "share_quarter": Q(four__lte=_TARGET),
    "share_half": Q(four__gt=_TARGET, four__lte=_TARGET * 2),
    "share_three_quarters": Q(four__gt=_TARGET * 2, four__lte=_TARGET * 3),
    "share_in_time": Q(four__gt=_TARGET * 3, first_response_minutes__lte=_TARGET),
    "share_late": Q(first_response_minutes__gt=_TARGET),
}
COUNTS = ("tickets", "with_target", "responded", "met", "breached", "rated_good", "rated_bad", *SHARES)

# Buckets of minutes to first response, as (from, width): exact minutes under an hour, 5 minutes under eight
# hours, 15 minutes under a day, an hour beyond. The medians are exact to the width of the bucket they fall in.
BUCKETS = ((0, 1), (60, 5), (480, 15), (1440, 60))


def bucket_width(minutes: int) -> int:
    """The width of the bucket `minutes` falls in."""
    return next(width for start, width in reversed(BUCKETS) if minutes >= start)


def minute_bucket(minutes: int) -> int:
    """The lower bound of the bucket `minutes` falls in (every bound is a multiple of the width: 60, 480, 1440)."""
    return minutes - minutes % bucket_width(minutes)


_KEY = ("organization_id", "day", "tier", "premium", "priority", "channel")
_LOCK_TICKETS, _LOCK_ENGINEER = 1, 2
BATCH = 2000


def _month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def _lock(namespace: int, owner_id: int, day: datetime.date) -> None:
    """Serialises refreshes of one (owner, day), or of one (owner, month) given its first day, until the
    transaction ends; SQLite serialises all writes anyway."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [(namespace << 60) | (owner_id << 20) | day.toordinal()])


def _ticket_rows(tickets: QuerySet) -> Iterable[ReportRollup]:
    counted = (
        tickets.annotate(
            day=TruncDate("received_at", tzinfo=clock.support_zone()), four=F("first_response_minutes") * 4
        )
        .values(*_KEY, "kind", "sla_calendar")
        .annotate(
            n=Count("pk"),
            with_target=Count("pk", filter=WITH_TARGET),
            responded=Count("pk", filter=RESPONDED),
            met=Count("pk", filter=MET),
            breached=Count("pk", filter=BREACHED),
            rated_good=Count("pk", filter=Q(satisfaction__rating=Rating.GOOD)),
            rated_bad=Count("pk", filter=Q(satisfaction__rating=Rating.BAD)),
            **{name: Count("pk", filter=TIMED & share) for name, share in SHARES.items()},
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
            **{name: row[name] for name in SHARES},
        )


def _response_rows(tickets: QuerySet) -> list[ResponseRollup]:
    """The exact minutes counted by the database, added up per bucket here."""
    counted = (
        tickets.filter(TIMED)
        .annotate(day=TruncDate("received_at", tzinfo=clock.support_zone()))
        .values("organization_id", "day", "tier", "priority", "sla_calendar", "first_response_minutes")
        .annotate(n=Count("pk"))
        .order_by()
    )
    rows: dict[tuple, int] = {}
    for row in counted.iterator(chunk_size=BATCH):
        key = (
            row["organization_id"],
            row["day"],
            row["tier"],
            row["priority"],
            row["sla_calendar"],
            minute_bucket(row["first_response_minutes"]),
        )
        rows[key] = rows.get(key, 0) + row["n"]
    return [
        ResponseRollup(
            organization_id=organization_id,
            day=day,
            month=_month(day),
            tier=tier,
            priority=priority,
            calendar=calendar,
            bucket=bucket,
            tickets=n,
        )
        for (organization_id, day, tier, priority, calendar, bucket), n in rows.items()
    ]


# The month rows: the sums of the day rows, per organization and (for the responses) over all organizations.
_REPORT_MONTH_KEY = ("organization_id", "month", "tier", "premium", "priority", "channel", "kind", "calendar")
_RESPONSE_MONTH_KEY = ("organization_id", "month", "tier", "priority", "calendar", "bucket")
_RESPONSE_TOTAL_KEY = ("month", "tier", "priority", "calendar", "bucket")
# (month table, day table, key, counts): every month row is the sum of the day rows of its key.
MONTH_SUMS = (
    (ReportMonthRollup, ReportRollup, _REPORT_MONTH_KEY, COUNTS),
    (ResponseMonthRollup, ResponseRollup, _RESPONSE_MONTH_KEY, ("tickets",)),
    (ResponseMonthTotal, ResponseRollup, _RESPONSE_TOTAL_KEY, ("tickets",)),
)
DAY_TABLES = (ReportRollup, ResponseRollup)


def _sum_months(where: str = "", params: tuple = ()) -> None:
    """Writes the month rows of the day rows matching `where` (the months' old rows must be gone)."""
    for month_model, day_model, key, counts in MONTH_SUMS:
        keys = ", ".join(key)
        sums = ", ".join(f"SUM({c})" for c in counts)
        into, source = month_model._meta.db_table, day_model._meta.db_table
        sql = f"INSERT INTO {into} ({keys}, {', '.join(counts)}) SELECT {keys}, {sums} FROM {source} {where} GROUP BY {keys}"  # noqa: S608, E501 - our names; values are parameters
        with connection.cursor() as cursor:
            cursor.execute(sql, params)


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
    """Counts again the (organization, day) of each ticket and moves the month rows by the difference; call it
    in the transaction that changed the tickets."""
    touched: dict[tuple[int, datetime.date], set[datetime.date]] = {}
    for t in tickets:
        day = clock.support_date(t.received_at)
        touched.setdefault((t.organization_id, _month(day)), set()).add(day)
    changes = [{} for _ in MONTH_SUMS]  # per month table: {key: [count changes]}
    for (organization_id, month), days in sorted(touched.items()):  # one order for everyone: no deadlock
        _lock(_LOCK_TICKETS, organization_id, month)
        for day in sorted(days):
            start, end = clock.support_day_bounds(day)
            those = Ticket.objects.filter(organization_id=organization_id, received_at__gte=start, received_at__lt=end)
            old = {}
            for model in DAY_TABLES:
                rows = model.objects.filter(organization_id=organization_id, day=day)
                old[model] = list(rows)
                rows.delete()
            new = {
                ReportRollup: ReportRollup.objects.bulk_create(_ticket_rows(those)),
                ResponseRollup: ResponseRollup.objects.bulk_create(_response_rows(those)),
            }
            for (_, day_model, key, counts), change in zip(MONTH_SUMS, changes, strict=True):
                for sign, rows in ((-1, old[day_model]), (1, new[day_model])):
                    _count_into(change, ([getattr(r, name) for name in (*key, *counts)] for r in rows), len(key), sign)
    for (month_model, _, key, counts), change in zip(MONTH_SUMS, changes, strict=True):
        _add_to_months(month_model, key, counts, change)


def _count_into(change: dict, rows, width: int, sign: int) -> None:
    """Adds each row's counts (after its `width` key values), times `sign`, to `change`'s entry of its key."""
    for row in rows:
        key, values = tuple(row[:width]), row[width:]
        found = change.setdefault(key, [0] * len(values))
        for i, value in enumerate(values):
            found[i] += sign * value


def _add_to_months(model, key: tuple[str, ...], counts: tuple[str, ...], change: dict) -> None:
    """Adds the count changes to the month rows of their keys, in one statement with the keys in order (rows
    shared by organizations are then locked in one order by every transaction: no deadlock), and deletes the
    rows left at zero. An addition, not a write of totals: concurrent refreshes of other organizations add to
    the same shared rows without losing each other's counts."""
    rows = sorted((k, v) for k, v in change.items() if any(v))
    if not rows:
        return
    table = model._meta.db_table
    columns = ", ".join((*key, *counts))
    one = "(" + ", ".join(["%s"] * (len(key) + len(counts))) + ")"
    updates = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    zero = " AND ".join(f"{c} = 0" for c in counts)
    keys = ", ".join(key)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) VALUES {', '.join([one] * len(rows))} "  # noqa: S608 - our names
            f"ON CONFLICT ({keys}) DO UPDATE SET {updates}",
            [value for k, v in rows for value in (*k, *v)],
        )
        key_one = "(" + ", ".join(["%s"] * len(key)) + ")"
        cursor.execute(
            f"DELETE FROM {table} WHERE {zero} AND ({keys}) IN ({', '.join([key_one] * len(rows))})",  # noqa: S608
            [value for k, _ in rows for value in k],
        )


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
    for model in (
        ReportMonthRollup,
        ResponseMonthRollup,
        ResponseMonthTotal,
        ReportRollup,
        ResponseRollup,
        EngineerRollup,
    ):
        model.objects.all().delete()
    tickets = Ticket.objects.all()
    ReportRollup.objects.bulk_create(_ticket_rows(tickets), batch_size=BATCH)
    ResponseRollup.objects.bulk_create(_response_rows(tickets), batch_size=BATCH)
    _sum_months()
    EngineerRollup.objects.bulk_create(_engineer_rows(_staff_replies(), _first_responses()), batch_size=BATCH)
    return {
        "report": ReportRollup.objects.count(),
        "response": ResponseRollup.objects.count(),
        "report_month": ReportMonthRollup.objects.count(),
        "response_month": ResponseMonthRollup.objects.count(),
        "response_month_total": ResponseMonthTotal.objects.count(),
        "engineer": EngineerRollup.objects.count(),
    }
