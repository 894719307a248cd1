"""Reads about hours that views, the API, tasks and other apps share. Balances are summed from the ledger.

Built on hours.models and hours.rules only: nothing here writes, and nothing imports hours.services.
"""

import datetime
from collections import OrderedDict
from dataclasses import dataclass

from django.db.models import Count, Q, Sum
from django.utils import timezone

from contracts.entitlements import Allotment, entitlements_for_many
from contracts.models import Contract, Engagement
from contracts.periods import ContractYear, contract_years
from hours import rules
from hours.models import Category, HoursBalance, LedgerEntry, TimeEntry
from portal import clock
from portal.models import Organization


@dataclass(frozen=True)
class Usage:
    """One balance as the ledger states it: minutes allotted (grants and adjustments), used, and what follows."""

    allotted: int
    used: int
    granted: int = 0
    adjusted: int = 0
    period_start: datetime.date | None = None
    period_end: datetime.date | None = None

    @property
    def remaining(self) -> int:
        return max(0, self.allotted - self.used)

    @property
    def overage(self) -> int:
        return max(0, self.used - self.allotted)

    @property
    def percent(self) -> int:
        if self.allotted <= 0:
            return 100 if self.used else 0
        return round(self.used * 100 / self.allotted)

    def as_api(self) -> dict:
        return {
            "allotted_minutes": self.allotted,
            "used_minutes": self.used,
            "remaining_minutes": self.remaining,
            "overage_minutes": self.overage,
            "period_start": self.period_start,
            "period_end": self.period_end,
        }


_SUMS = {
    "granted": Sum("minutes", filter=Q(kind__in=LedgerEntry.GRANTING), default=0),
    "adjusted": Sum("minutes", filter=Q(kind=LedgerEntry.Kind.ADJUSTMENT), default=0),
    "used": Sum("minutes", filter=Q(kind__in=LedgerEntry.USING), default=0),
    "rows": Count("pk"),
}


def ledger_totals(*, contract_id: int, period_start: datetime.date | None = None, engagement_id: int | None = None):
    """(granted, adjusted, used, rows) summed from the ledger of a contract year or an engagement: one query."""
    rows = LedgerEntry.objects.filter(contract_id=contract_id)
    if engagement_id is not None:
        rows = rows.filter(engagement_id=engagement_id)
    else:
        rows = rows.filter(period_start=period_start, engagement__isnull=True)
    sums = rows.aggregate(**_SUMS)
    return sums["granted"], sums["adjusted"], -sums["used"], sums["rows"]


def ledger_totals_of(contract_ids) -> dict[tuple, tuple[int, int, int, int]]:
    """`ledger_totals()` of every year and engagement of the contracts, in one query.

    Keyed ("year", contract_id, period_start) or ("engagement", engagement_id).
    """
    totals = {}
    rows = (
        LedgerEntry.objects.filter(contract_id__in=list(contract_ids))
        .values("contract_id", "engagement_id", "period_start")
        .annotate(**_SUMS)
        .order_by()
    )
    for row in rows:
        key = (
            ("engagement", row["engagement_id"])
            if row["engagement_id"]
            else ("year", row["contract_id"], row["period_start"])
        )
        totals[key] = (row["granted"], row["adjusted"], -row["used"], row["rows"])
    return totals


def year_usage(
    contract: Contract, period: ContractYear, *, allotment: Allotment | None = None, totals: dict | None = None
) -> Usage | None:
    """A contract year's usage from its ledger; before the first write, the grant the year will get.

    `totals` are sums already read by `ledger_totals_of()` for a list: then no query is needed when the
    year has rows.
    """
    if totals is not None:
        granted, adjusted, used, rows = totals.get(("year", contract.pk, period.start), (0, 0, 0, 0))
    else:
        granted, adjusted, used, rows = ledger_totals(contract_id=contract.pk, period_start=period.start)
    if rows:
        return Usage(granted + adjusted, used, granted, adjusted, period.start, period.end)
    allotment = allotment or rules.allotment_on(contract, period)
    if allotment is None:
        return None

    def remaining_of(previous: Allotment) -> int:
        before = year_usage(contract, previous.period, allotment=previous)
        return before.remaining if before else 0

    pending = rules.year_grant(contract, period, allotment, remaining_of=remaining_of).total
    return Usage(pending, 0, pending, 0, period.start, period.end)


def used_minutes_of(allotments) -> dict[int, int]:
    """Minutes used in each allotment's contract year, by contract id, summed from the ledger in one query."""
    allotments = [a for a in allotments if a is not None]
    if not allotments:
        return {}
    years = {(a.contract_id, a.period_start) for a in allotments}
    rows = (
        LedgerEntry.objects.filter(
            contract_id__in={contract_id for contract_id, _ in years},
            engagement__isnull=True,
            kind__in=LedgerEntry.USING,
        )
        .values("contract_id", "period_start")
        .annotate(total=Sum("minutes"))
    )
    used = {a.contract_id: 0 for a in allotments}
    for row in rows:
        if (row["contract_id"], row["period_start"]) in years:
            used[row["contract_id"]] = -row["total"]
    return used


def allotment_used_minutes(allotment: Allotment) -> int:
    """Minutes used (debits and overage, net of reversals) in the allotment's contract year."""
    _, _, used, _ = ledger_totals(contract_id=allotment.contract_id, period_start=allotment.period_start)
    return used


def engagement_usage(engagement: Engagement, *, totals: dict | None = None) -> Usage:
    if totals is not None:
        granted, adjusted, used, rows = totals.get(("engagement", engagement.pk), (0, 0, 0, 0))
    else:
        granted, adjusted, used, rows = ledger_totals(contract_id=engagement.contract_id, engagement_id=engagement.pk)
    if not rows:
        granted = rules.engagement_minutes(engagement)
    return Usage(granted + adjusted, used, granted, adjusted)


def forecast_run_out(usage: Usage, *, today: datetime.date) -> datetime.date | None:
    """The day the hours run out at the pace used so far this year; None when nothing is being used."""
    if usage.period_start is None or usage.used <= 0:
        return None
    if usage.remaining <= 0:
        return min(today, usage.period_end)
    elapsed = (min(today, usage.period_end) - usage.period_start).days + 1
    # remaining ÷ (used ÷ elapsed) days, rounded up, in whole minutes and days: no float rounds a day away
    days = -(-usage.remaining * elapsed // usage.used)
    if days > (datetime.date.max - today).days:
        return datetime.date.max  # a minute used against hundreds of hours: past any calendar, never a crash
    return today + datetime.timedelta(days=days)


def hours_summary(organization: Organization, *, today: datetime.date | None = None, entitlements=None) -> dict | None:
    """The current contract year's hours of an organization, for a dashboard; None without an allotment.

    `entitlements`: the organization's, already read by the caller for the same support day (`today`), so they
    are not read again."""
    known = {organization.pk: entitlements} if entitlements is not None else None
    return hours_summaries([organization], today=today, entitlements=known)[organization.pk]


def hours_summaries(organizations, *, today: datetime.date | None = None, entitlements=None) -> dict[int, dict | None]:
    """`hours_summary()` of several organizations, by id, in a fixed number of queries (`entitlements`: theirs on
    `today`, by organization id, when the caller has them)."""
    today = today or clock.support_today()
    organizations = list(organizations)
    if entitlements is None:
        entitlements = entitlements_for_many(organizations, at=clock.support_noon(today))
    with_hours = [e for e in entitlements.values() if e.allotment is not None]
    totals = ledger_totals_of(e.contract.pk for e in with_hours)
    summaries: dict[int, dict | None] = {o.pk: None for o in organizations}
    for ent in with_hours:
        usage = year_usage(ent.contract, ent.allotment.period, allotment=ent.allotment, totals=totals)
        summaries[ent.organization.pk] = {
            "organization": ent.organization,
            "contract_id": ent.contract.pk,
            "allotted": usage.allotted,
            "used": usage.used,
            "remaining": usage.remaining,
            "overage": usage.overage,
            "percent": usage.percent,
            "bar_percent": min(100, usage.percent),
            "period_start": usage.period_start,
            "period_end": usage.period_end,
            "forecast_run_out": forecast_run_out(usage, today=today),
        }
    return summaries


# Statement ----------------------------------------------------------------------------------------


def statement_years(organization: Organization, *, today: datetime.date) -> list[tuple[Contract, ContractYear]]:
    """The organization's contract years that have begun, newest first, where the contract gives SA hours."""
    years = []
    contracts = organization.contracts.exclude(status=Contract.Status.DRAFT).filter(term_start__lte=today)
    for contract in contracts.order_by("term_start"):
        has_ledger = HoursBalance.objects.filter(contract=contract, engagement__isnull=True).exists()
        if not has_ledger and contract.sa_hours_per_year <= 0:
            continue
        for period in contract_years(contract.term_start, contract.term_end):
            if period.start <= today:
                years.append((contract, period))
    return sorted(years, key=lambda pair: pair[1].start, reverse=True)


def _burndown(usage: Usage, daily: dict, *, today: datetime.date, run_out: datetime.date | None) -> dict:
    """Points of an SVG burn-down: the allotment's even burn, actual remaining, and the forecast to run-out."""
    width, height, left, top = 600, 220, 50, 10
    plot_w, plot_h = width - left - 10, height - top - 30
    days = (usage.period_end - usage.period_start).days + 1
    top_value = max(usage.allotted, 1)

    def x(day: datetime.date) -> float:
        return round(left + plot_w * min(max((day - usage.period_start).days, 0), days) / days, 1)

    def y(minutes: int) -> float:
        return round(top + plot_h * (1 - max(min(minutes, top_value), 0) / top_value), 1)

    plan = f"{x(usage.period_start)},{y(usage.allotted)} {x(usage.period_end + datetime.timedelta(days=1))},{y(0)}"
    actual = [f"{x(usage.period_start)},{y(usage.allotted)}"]
    used = 0
    last = min(today, usage.period_end)
    for day in sorted(d for d in daily if d <= last):
        actual.append(f"{x(day)},{y(usage.allotted - used)}")
        used += daily[day]
        actual.append(f"{x(day)},{y(usage.allotted - used)}")
    actual.append(f"{x(last + datetime.timedelta(days=1))},{y(usage.allotted - used)}")
    forecast = ""
    if run_out is not None and usage.remaining > 0:
        end = min(run_out, usage.period_end + datetime.timedelta(days=1))
        if run_out <= usage.period_end:
            end_value = 0
        else:
            share = (end - today).days / max((run_out - today).days, 1)
            end_value = round(usage.remaining * (1 - share))
        forecast = f"{x(last + datetime.timedelta(days=1))},{y(usage.remaining)} {x(end)},{y(end_value)}"
    ticks = []
    for fraction in (0, 0.5, 1):
        minutes = round(top_value * fraction)
        ticks.append({"y": y(minutes), "label": f"{minutes // 60} h"})
    return {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "bottom": top + plot_h,
        "right": left + plot_w,
        "plan": plan,
        "actual": " ".join(actual),
        "forecast": forecast,
        "today_x": x(last),
        "ticks": ticks,
        "start_label": usage.period_start.isoformat(),
        "end_label": usage.period_end.isoformat(),
        "label_y": top + plot_h + 18,
    }


def statement(
    organization: Organization, *, period_start: datetime.date | None = None, today: datetime.date | None = None
) -> dict:
    """What a customer's statement shows: the contract years, and for one of them usage, splits and entries."""
    today = today or clock.support_today()
    years = statement_years(organization, today=today)
    chosen = None
    for contract, period in years:
        if (period_start is None and period.start <= today <= period.end) or period.start == period_start:
            chosen = (contract, period)
            break
    if chosen is None and years and period_start is None:
        chosen = years[0]
    rows = []
    for contract, period in years:
        usage = year_usage(contract, period)
        if usage is not None:
            rows.append(
                {
                    "contract": contract,
                    "period": period,
                    "usage": usage,
                    "is_current": period.start <= today <= period.end,
                }
            )
    result = {"organization": organization, "years": rows, "selected": None, "engagements": []}
    engagements = Engagement.objects.filter(contract__organization=organization).exclude(
        status=Engagement.Status.QUOTED
    )
    result["engagements"] = [
        {"engagement": e, "usage": engagement_usage(e)} for e in engagements.select_related("contract")
    ]
    if chosen is None:
        return result
    contract, period = chosen
    usage = year_usage(contract, period)
    if usage is None:
        return result
    entries = list(
        TimeEntry.objects.active()
        .filter(contract=contract, period_start=period.start, engagement__isnull=True)
        .select_related("architect", "ticket", "connector")
        .order_by("work_date", "pk")
    )
    by_category = OrderedDict((label, 0) for value, label in Category.choices if value != Category.ENGAGEMENT_WORK)
    by_month: OrderedDict[str, int] = OrderedDict()
    daily: dict[datetime.date, int] = {}
    for entry in entries:
        by_category[entry.get_category_display()] += entry.minutes_debited
        month = entry.work_date.strftime("%Y-%m")
        by_month[month] = by_month.get(month, 0) + entry.minutes_debited
        daily[entry.work_date] = daily.get(entry.work_date, 0) + entry.minutes_debited
    is_current = period.start <= today <= period.end
    run_out = forecast_run_out(usage, today=today) if is_current else None
    adjustments = LedgerEntry.objects.filter(
        contract=contract,
        period_start=period.start,
        engagement__isnull=True,
        kind__in=[LedgerEntry.Kind.ADJUSTMENT, LedgerEntry.Kind.ROLLOVER, LedgerEntry.Kind.ALLOTMENT_CHANGE],
    ).order_by("created_at", "pk")
    result["selected"] = {
        "contract": contract,
        "period": period,
        "usage": usage,
        "is_current": is_current,
        "entries": entries,
        "by_category": [(label, minutes) for label, minutes in by_category.items()],
        "by_month": list(by_month.items()),
        "forecast_run_out": run_out,
        "runs_out_in_year": run_out is not None and run_out <= period.end,
        "burndown": _burndown(usage, daily, today=min(today, period.end), run_out=run_out),
        "adjustments": list(adjustments),
    }
    return result


# Staff pages --------------------------------------------------------------------------------------


def customers_overview(*, today: datetime.date | None = None) -> list[dict]:
    """Every organization with SA hours or an active engagement: what is left, in a fixed number of queries."""
    today = today or clock.support_today()
    organizations = list(Organization.objects.filter(contracts__isnull=False).distinct().order_by("name"))
    summaries = hours_summaries(organizations, today=today)
    engagements: dict[int, list[Engagement]] = {}
    active = Engagement.objects.filter(
        contract__organization__in=organizations, status=Engagement.Status.ACTIVE
    ).select_related("contract")
    for engagement in active:
        engagements.setdefault(engagement.contract.organization_id, []).append(engagement)
    totals = ledger_totals_of({e.contract_id for group in engagements.values() for e in group})
    rows = []
    for organization in organizations:
        summary = summaries[organization.pk]
        own = [
            {"engagement": e, "usage": engagement_usage(e, totals=totals)} for e in engagements.get(organization.pk, [])
        ]
        if summary is None and not own:
            continue
        rows.append({"organization": organization, "summary": summary, "engagements": own})
    return rows


def ledger_for(contract: Contract, *, period_start: datetime.date | None = None, engagement: Engagement | None = None):
    rows = LedgerEntry.objects.filter(contract=contract).select_related("actor", "entry__architect", "reverses")
    if engagement is not None:
        return rows.filter(engagement=engagement).order_by("created_at", "pk")
    return rows.filter(period_start=period_start, engagement__isnull=True).order_by("created_at", "pk")


def week_bounds(week: str | None, *, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Monday and Sunday of an ISO week written 'YYYY-Www' (this week when missing); ValueError when malformed."""
    if not week:
        monday = today - datetime.timedelta(days=today.weekday())
    else:
        year_text, _, week_text = week.partition("-W")
        if not (year_text.isascii() and year_text.isdigit() and 1900 <= int(year_text) <= 9998):
            raise ValueError(f"No timesheet for the year {year_text!r}.")
        monday = datetime.date.fromisocalendar(int(year_text), int(week_text), 1)
    return monday, monday + datetime.timedelta(days=6)


def timesheet(architect, *, monday: datetime.date) -> dict:
    """The SA's week: one row per customer, work item and category, minutes per day, totals."""
    days = [monday + datetime.timedelta(days=i) for i in range(7)]
    entries = list(
        TimeEntry.objects.active()
        .filter(architect=architect, work_date__range=(days[0], days[-1]))
        .select_related("organization", "ticket", "engagement", "connector")
        .order_by("work_date", "pk")
    )
    grid: OrderedDict[tuple, dict] = OrderedDict()
    for entry in entries:
        key = (entry.organization.name, entry.work_item, entry.get_category_display())
        row = grid.setdefault(
            key, {"organization": key[0], "work_item": key[1], "category": key[2], "days": [0] * 7, "total": 0}
        )
        row["days"][(entry.work_date - monday).days] += entry.minutes
        row["total"] += entry.minutes
    day_totals = [sum(r["days"][i] for r in grid.values()) for i in range(7)]
    return {
        "days": days,
        "rows": list(grid.values()),
        "day_totals": day_totals,
        "total": sum(day_totals),
        "debited_total": sum(e.minutes_debited for e in entries),
        "entries": entries,
        "today": timezone.localdate(),
    }
