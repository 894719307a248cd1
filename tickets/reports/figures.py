"""The reports' figures, read from the rollups in a fixed number of queries whatever the number of tickets."""

import dataclasses
import datetime
import operator

from django.db import connection
from django.db.models import Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from contracts.models import CalendarKind, Priority, Tier
from portal import clock
from tickets.models import (
    EngineerRollup,
    Kind,
    ReportMonthRollup,
    ReportRollup,
    ResponseMonthRollup,
    ResponseMonthTotal,
    ResponseRollup,
    TicketChannel,
)
from tickets.reports import rollups

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


def last_day(month: datetime.date) -> datetime.date:
    return (month.replace(day=28) + datetime.timedelta(days=4)).replace(day=1) - datetime.timedelta(days=1)


@dataclasses.dataclass(frozen=True)
class ReportFilter:
    """The tickets a report counts: received from `start` to `end` (support days, both included), of one tier
    (`""` for all, NO_TIER for none), of the given organizations (None for all)."""

    start: datetime.date
    end: datetime.date
    tier: str = ""
    organization_ids: tuple[int, ...] | None = None

    def parts(self, today: datetime.date | None = None) -> tuple[list[datetime.date], list[tuple]]:
        """The range as the months it covers whole (their first days: read from the month rollups) and the days
        of the months it covers in part ((first, last) pairs: read from the day rollups). The current month is
        whole when the range starts by its first day and ends today or later (no ticket arrives after today)."""
        today = today or clock.support_today()
        whole, days = [], []
        month = self.start.replace(day=1)
        while month <= self.end:
            last = last_day(month)
            current = month <= today <= last
            if self.start <= month and (self.end >= last or (current and self.end >= today)):
                whole.append(month)
            else:
                days.append((max(self.start, month), min(self.end, last)))
            month = last + datetime.timedelta(days=1)
        return whole, days

    def scope(self) -> Q:
        """The tier and organizations, for either rollup."""
        q = Q()
        if self.tier:
            q &= Q(tier="" if self.tier == NO_TIER else self.tier)
        if self.organization_ids is not None:
            q &= Q(organization_id__in=self.organization_ids)
        return q

    def scope_sql(self) -> tuple[list[str], list]:
        """The same as SQL conditions for the raw median query."""
        parts, params = [], []
        if self.tier:
            parts.append("tier = %s")
            params.append("" if self.tier == NO_TIER else self.tier)
        if self.organization_ids is not None:
            if not self.organization_ids:
                parts.append("1 = 0")
            else:
                parts.append(f"organization_id IN ({', '.join(['%s'] * len(self.organization_ids))})")
                params.extend(self.organization_ids)
        return parts, params


def _days_q(days: list[tuple]) -> Q:
    q = Q()
    for first, last in days:
        q |= Q(day__gte=first, day__lte=last)
    return q


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
COUNT_NAMES = ("tickets", "with_target", "met", "breached", "rated_good", "rated_bad") + tuple(
    f"share_{bucket}" for bucket, _ in SHARE_BUCKETS
)


def _count_rollups(report: ReportFilter) -> list[QuerySet]:
    """The count rollup rows of the report's range and scope: the month rollup's for the months it covers whole,
    the day rollup's for the others (one query each)."""
    whole, days = report.parts()
    picks = []
    if whole:
        picks.append(ReportMonthRollup.objects.filter(month__in=whole))
    if days:
        picks.append(ReportRollup.objects.filter(_days_q(days)))
    return [rows.filter(report.scope()) for rows in picks]


def counts(report: ReportFilter) -> list[tuple]:
    """The rollups' counts grouped by month and every split, as tuples of COUNT_KEYS then COUNT_NAMES: the month
    rollup for the months the range covers whole, the day rollup for the others (one query each; a few thousand
    rows at most, whatever the number of tickets). A month in part and in whole gives two rows: fold() adds up."""
    found = []
    for rows in _count_rollups(report):
        found += (
            rows.values(*COUNT_KEYS).annotate(**_sums(*COUNT_NAMES)).order_by().values_list(*COUNT_KEYS, *COUNT_NAMES)
        )
    return found


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


# The key of ResponseMonthTotal's rows, bucket aside.
UNIQUE_TOTAL = ("month", "tier", "priority", "calendar")


def medians(report: ReportFilter, dims: tuple[str, ...], periods: list[tuple[str, datetime.date, datetime.date]] = ()):
    """Median minutes to first response (each ticket counted in its target's own calendar) per `dims`, and per
    period when `periods` (label, first day, last day; whole months) are given, from the response rollups (months
    and days as counts() reads them). The database adds the tickets up per bucket of minutes and finds, with a
    running count in bucket order, the bucket of the middle response (or of the two middle ones); the median is
    placed inside its bucket by linear interpolation: exact under an hour, within the bucket's width beyond."""
    whole, days = report.parts()
    scope, scope_params = report.scope_sql()
    columns = ["period", *dims] if periods else list(dims)
    group = ", ".join(columns)
    picks, params = [], []
    # A report over every account reads the whole months from the rows already added up over organizations.
    months = ResponseMonthTotal if report.organization_ids is None else ResponseMonthRollup
    # Those rows are one per month, tier, priority, calendar and bucket: grouped by all four over whole months
    # (the monthly chart), each is its own sum, read in the index's order with nothing to add up and no sort.
    summed_already = months is ResponseMonthTotal and not days and not periods and set(UNIQUE_TOTAL) <= set(dims)
    for table, column, condition, values in (
        # The whole months follow one another: one range, which the index reads in its order.
        (months._meta.db_table, "month", "month >= %s AND month <= %s", [min(whole), max(whole)] if whole else []),
        (
            ResponseRollup._meta.db_table,
            "day",
            "(" + " OR ".join(["(day >= %s AND day <= %s)"] * len(days)) + ")",
            [d for pair in days for d in pair],
        ),
    ):
        if not values:
            continue
        select = ", ".join(dims)
        if periods:
            cases = " ".join(f"WHEN {column} >= %s AND {column} <= %s THEN %s" for _ in periods)
            select = f"CASE {cases} END AS period" + (f", {select}" if dims else "")
            params += [value for label, first, last in periods for value in (first, last, label)]
        where = " AND ".join([condition, *scope])
        picks.append(f"SELECT {select}, bucket, tickets FROM {table} WHERE {where}")  # noqa: S608 - ours
        params += [*values, *scope_params]
    # The names are ours; the values are parameters.
    if summed_already:
        summing = f"SELECT {group}, bucket, tickets AS n FROM picked"  # noqa: S608
    else:
        summing = f"""SELECT {group}, bucket, CAST(SUM(tickets) AS INTEGER) AS n FROM picked
            {"WHERE period IS NOT NULL" if periods else ""} GROUP BY {group}, bucket"""  # noqa: S608
    sql = f"""
        WITH picked AS ({" UNION ALL ".join(picks)}),
        summed AS ({summing}),
        ranked AS (
            SELECT {group}, bucket, n,
                   SUM(n) OVER (PARTITION BY {group} ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS running,
                   SUM(n) OVER (PARTITION BY {group}) AS total
            FROM summed
        )
        SELECT {group}, bucket, running - n, n, total FROM ranked
        WHERE running >= (total + 1) / 2 AND running - n < total / 2 + 1
    """  # noqa: S608 - the names are ours, the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # The rows holding the middle rank(s): (total + 1) // 2 and total // 2 + 1, one rank when the total is odd.
    at: dict[tuple, dict[int, float]] = {}
    totals: dict[tuple, int] = {}
    for *key, bucket, below, n, total in rows:
        key = tuple(key)
        totals[key] = total
        for rank in ((total + 1) // 2, total // 2 + 1):
            if below < rank <= below + n:
                at.setdefault(key, {})[rank] = median_in_bucket(bucket, rank - below, n)
    return {
        key: {"median": (ranks[(total + 1) // 2] + ranks[total // 2 + 1]) / 2, "responses": total}
        for key, total in totals.items()
        if (ranks := at[key])
    }


def median_in_bucket(bucket: int, rank: int, count: int) -> float:
    """The minutes of the `rank`-th of `count` responses in the bucket starting at `bucket`, spread evenly over the
    bucket's whole minutes: exact in a one-minute bucket, at most the width less one minute off in the others."""
    return bucket + (rollups.bucket_width(bucket) - 1) * (rank - 0.5) / count


def share_distribution(counts: list[tuple]) -> dict[tuple[str, str], int]:
    """First responses by the share of their target they took, per target calendar: {(calendar, bucket): n}, from
    the rows of counts()."""
    return {
        (calendar, name): totals[f"share_{name}"]
        for (calendar,), totals in fold(counts, "calendar").items()
        for name, _ in SHARE_BUCKETS
    }


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


def met_and_breached_by_organization(
    organization_ids, *, since: datetime.date, until: datetime.date
) -> list[tuple[int, int, int]]:
    """(organization id, met, breached) of the tickets received from the support day `since` to `until`, from the
    rollups (whole months from the month rollup): breaches recorded or answers late (a deadline passed but not
    swept yet is the caller's to add). An organization may come in two rows; the caller adds them up."""
    report = ReportFilter(start=since, end=until, organization_ids=tuple(organization_ids))
    found = []
    for rows in _count_rollups(report):
        found += (
            rows.values("organization_id")
            .annotate(met_sum=Sum("met"), breached_sum=Sum("breached"))
            .order_by()
            .values_list("organization_id", "met_sum", "breached_sum")
        )
    return found
