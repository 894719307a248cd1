"""The reports' figures, read from the rollups in a fixed number of queries whatever the number of tickets."""

import dataclasses
import datetime
import operator

from django.db import connection
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce

from contracts.models import CalendarKind, Priority, Tier
from portal import clock
from tickets.models import EngineerRollup, Kind, ReportRollup, ResponseRollup, TicketChannel

NO_TIER = "none"  # the filter's value for tickets that arrived without an active contract
SPLITS = {
    "tier": "tier",
    "premium": "Premium",
    "priority": "priority",
    "channel": "channel",
}
# Shares of the target a first response took: the distribution's bars, in order.
SHARE_BUCKETS = [
    ("quarter", "Within 25% of the target"),
    ("half", "25–50%"),
    ("three_quarters", "50–75%"),
    ("in_time", "75–100%"),
    ("late", "Over the target"),
]


@dataclasses.dataclass(frozen=True)
class ReportFilter:
    """The tickets a report counts: received from `start` to `end` (support days, both included), of one tier
    (`""` for all, NO_TIER for none), of the given organizations (None for all)."""

    start: datetime.date
    end: datetime.date
    tier: str = ""
    organization_ids: tuple[int, ...] | None = None

    def q(self) -> Q:
        q = Q(day__gte=self.start, day__lte=self.end)
        if self.tier:
            q &= Q(tier="" if self.tier == NO_TIER else self.tier)
        if self.organization_ids is not None:
            q &= Q(organization_id__in=self.organization_ids)
        return q

    def sql(self, alias: str = "") -> tuple[str, list]:
        """The same filter as SQL for the raw median query."""
        prefix = f"{alias}." if alias else ""
        parts, params = [f"{prefix}day >= %s", f"{prefix}day <= %s"], [self.start, self.end]
        if self.tier:
            parts.append(f"{prefix}tier = %s")
            params.append("" if self.tier == NO_TIER else self.tier)
        if self.organization_ids is not None:
            if not self.organization_ids:
                parts.append("1 = 0")
            else:
                parts.append(f"{prefix}organization_id IN ({', '.join(['%s'] * len(self.organization_ids))})")
                params.extend(self.organization_ids)
        return " AND ".join(parts), params


def default_range(*, today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last twelve months: from the first day of the month eleven months ago to today."""
    today = today or clock.support_today()
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return datetime.date(year, (month - 1) % 12 + 1, 1), today


def percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _sums(*names: str) -> dict:
    return {name: Coalesce(Sum(name), 0) for name in names}


COUNT_KEYS = ("month", "tier", "premium", "priority", "channel", "kind", "calendar")
COUNT_NAMES = ("tickets", "with_target", "met", "breached", "rated_good", "rated_bad")


def counts(report: ReportFilter) -> list[tuple]:
    """The rollup's counts grouped by month and every split, as tuples of COUNT_KEYS then COUNT_NAMES (one query;
    a few thousand rows at most, whatever the number of tickets)."""
    rows = (
        ReportRollup.objects.filter(report.q())
        .values(*COUNT_KEYS)
        .annotate(**_sums(*COUNT_NAMES))
        .order_by()
        .values_list(*COUNT_KEYS, *COUNT_NAMES)
    )
    return list(rows)


def fold(rows: list[tuple], *keys: str) -> dict[tuple, dict[str, int]]:
    """Adds the count rows up by `keys`: {(value, ...): {"tickets": n, "met": n, ...}}."""
    key_of = operator.itemgetter(*(COUNT_KEYS.index(k) for k in keys))
    first = len(COUNT_KEYS)
    sums: dict[tuple, tuple[int, ...]] = {}
    add = operator.add
    for row in rows:
        key = key_of(row)
        found = sums.get(key)
        sums[key] = row[first:] if found is None else tuple(map(add, found, row[first:]))
    single = len(keys) == 1
    return {((k,) if single else k): dict(zip(COUNT_NAMES, v, strict=True)) for k, v in sums.items()}


def medians(report: ReportFilter, dims: tuple[str, ...], periods: list[tuple[str, datetime.date, datetime.date]] = ()):
    """Median minutes to first response (each ticket counted in its target's own calendar) per `dims`, and per
    period when `periods` (label, first day, last day) are given; computed by the database from the response
    rollup: a running count over the minutes finds the middle one (or the two middle ones)."""
    table = ResponseRollup._meta.db_table
    where, params = report.sql()
    columns = list(dims)
    select_dims = ", ".join(columns)
    if periods:
        cases = " ".join("WHEN day >= %s AND day <= %s THEN %s" for _ in periods)
        period_params = [value for label, first, last in periods for value in (first, last, label)]
        select_dims = f"CASE {cases} END AS period" + (f", {select_dims}" if columns else "")
        columns = ["period", *columns]
        params = period_params + params
    group = ", ".join(columns)
    # No grouping by minutes first: a running count over the rows in minute order finds the middle one all the
    # same, and the rows come in that order from the index (see ResponseRollup.Meta).
    sql = f"""
        SELECT {group}, MIN(CASE WHEN running >= (total + 1) / 2 THEN minutes END),
               MIN(CASE WHEN running >= total / 2 + 1 THEN minutes END), MAX(total)
        FROM (
            SELECT {group}, minutes,
                   CAST(SUM(tickets) OVER (PARTITION BY {group} ORDER BY minutes ROWS UNBOUNDED PRECEDING) AS INTEGER)
                       AS running,
                   CAST(SUM(tickets) OVER (PARTITION BY {group}) AS INTEGER) AS total
            FROM (SELECT {select_dims}, minutes, tickets FROM {table} WHERE {where}) picked
        ) ranked
        GROUP BY {group}
    """  # noqa: S608 - the names are ours, the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = {}
        for *key, low, high, total in cursor.fetchall():
            if key[0] is None and periods:
                continue
            found[tuple(key)] = {"median": (low + high) / 2, "responses": total}
    return found


def share_distribution(report: ReportFilter) -> dict[tuple[str, str], int]:
    """First responses by the share of their target they took, per target calendar: {(calendar, bucket): n}."""
    target = F("target_minutes")
    rows = (
        ResponseRollup.objects.filter(report.q())
        .annotate(four=F("minutes") * 4)
        .values("calendar")
        .annotate(
            quarter=Coalesce(Sum("tickets", filter=Q(four__lte=target)), 0),
            half=Coalesce(Sum("tickets", filter=Q(four__gt=target, four__lte=target * 2)), 0),
            three_quarters=Coalesce(Sum("tickets", filter=Q(four__gt=target * 2, four__lte=target * 3)), 0),
            in_time=Coalesce(Sum("tickets", filter=Q(four__gt=target * 3, minutes__lte=target)), 0),
            late=Coalesce(Sum("tickets", filter=Q(minutes__gt=target)), 0),
        )
        .order_by()
    )
    return {(row["calendar"], name): row[name] for row in rows for name, _ in SHARE_BUCKETS}


def engineers(report: ReportFilter) -> list[dict]:
    """Each engineer's public replies and first responses (met or not) in the range, most replies first."""
    rows = EngineerRollup.objects.filter(day__gte=report.start, day__lte=report.end)
    if report.tier:
        rows = rows.filter(tier="" if report.tier == NO_TIER else report.tier)
    rows = (
        rows.values("engineer_id", "engineer__full_name", "engineer__email")
        .annotate(**_sums("replies", "first_responses", "met"))
        .order_by("-replies", "engineer__email")
    )
    return [
        {
            "name": row["engineer__full_name"] or row["engineer__email"],
            "replies": row["replies"],
            "first_responses": row["first_responses"],
            "met": row["met"],
            "attainment": percent(row["met"], row["first_responses"]),
        }
        for row in rows
    ]


# Labels, in the order the portal lists them ---------------------------------------------------------------


def split_values(split: str) -> list[tuple[object, str]]:
    if split == "tier":
        return [*((t.value, t.label) for t in Tier), ("", "No contract")]
    if split == "premium":
        return [(True, "Premium"), (False, "Without Premium")]
    if split == "priority":
        return [(p.value, p.label) for p in Priority]
    if split == "channel":
        return [(c.value, c.label) for c in TicketChannel]
    if split == "kind":
        return [(k.value, k.label) for k in Kind]
    if split == "calendar":
        return [(CalendarKind.BUSINESS.value, "Business hours"), (CalendarKind.WALL_CLOCK.value, "24/7")]
    raise ValueError(split)


def label_of(split: str, value) -> str:
    return dict(split_values(split)).get(value, str(value))


def tier_choices() -> list[tuple[str, str]]:
    return [("", "All tiers"), *((t.value, t.label) for t in Tier), (NO_TIER, "No contract")]


# A customer's own attainment ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Quarter:
    first: datetime.date
    last: datetime.date

    @property
    def label(self) -> str:
        return f"Q{(self.first.month - 1) // 3 + 1} {self.first.year}"


def quarters(today: datetime.date, count: int = 5) -> list[Quarter]:
    """This quarter and the `count - 1` before it, oldest first."""
    first = datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    found = []
    for _ in range(count):
        next_first = (first + datetime.timedelta(days=95)).replace(day=1)
        found.append(Quarter(first, next_first - datetime.timedelta(days=1)))
        first = (first - datetime.timedelta(days=1)).replace(day=1)
        first = first.replace(month=3 * ((first.month - 1) // 3) + 1)
    return list(reversed(found))


def organization_attainment(organization_id: int, periods: list[Quarter]) -> list[dict]:
    """Per quarter: met, breached and attainment, overall and by priority, with the median minutes to first
    response in each target calendar; two queries."""
    report = ReportFilter(start=periods[0].first, end=periods[-1].last, organization_ids=(organization_id,))
    rows = counts(report)
    found = medians(report, ("priority", "calendar"), [(q.label, q.first, q.last) for q in periods])
    overall = medians(report, ("calendar",), [(q.label, q.first, q.last) for q in periods])
    table = []
    for quarter in periods:
        inside = [r for r in rows if quarter.first <= r[0] <= quarter.last]
        total = fold(inside, "month")  # per month; summed below
        met = sum(t["met"] for t in total.values())
        breached = sum(t["breached"] for t in total.values())
        by_priority = fold(inside, "priority")
        priorities = []
        for value, label in split_values("priority"):
            t = by_priority.get((value,))
            if not t or not t["with_target"]:
                continue
            priorities.append(
                {
                    "priority": value,
                    "label": label,
                    "tickets": t["with_target"],
                    "met": t["met"],
                    "breached": t["breached"],
                    "attainment": percent(t["met"], t["met"] + t["breached"]),
                    "medians": [
                        (calendar, found[(quarter.label, value, calendar)]["median"])
                        for calendar, _ in split_values("calendar")
                        if (quarter.label, value, calendar) in found
                    ],
                }
            )
        table.append(
            {
                "quarter": quarter,
                "label": quarter.label,
                "tickets": sum(t["with_target"] for t in total.values()),
                "met": met,
                "breached": breached,
                "attainment": percent(met, met + breached),
                "medians": [
                    (calendar, overall[(quarter.label, calendar)]["median"])
                    for calendar, _ in split_values("calendar")
                    if (quarter.label, calendar) in overall
                ],
                "priorities": priorities,
            }
        )
    return table


def met_and_breached_by_organization(organization_ids, *, since: datetime.date) -> list[tuple[int, int, int]]:
    """(organization id, met, breached) of the tickets received from the support day `since` on, from the
    rollups: breaches recorded or answers late (a deadline passed but not swept yet is the caller's to add)."""
    rows = (
        ReportRollup.objects.filter(organization_id__in=list(organization_ids), day__gte=since)
        .values("organization_id")
        .annotate(met_sum=Sum("met"), breached_sum=Sum("breached"))
        .order_by()
        .values_list("organization_id", "met_sum", "breached_sum")
    )
    return list(rows)
