"""Charts drawn on the server as SVG geometry (the template writes the elements: no script, no inline style),
each with the table it is drawn from: the table view under the chart and its CSV download."""

import dataclasses
import datetime

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tickets import sla
from tickets.reports import figures
from tickets.reports.figures import ReportFilter, percent, split_values

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 12, 46
SERIES_CLASSES = 6  # portal.css styles .series-0 … .series-5


@dataclasses.dataclass
class Bar:
    x: float
    y: float
    width: float
    height: float
    series: int
    title: str


@dataclasses.dataclass
class Chart:
    slug: str
    title: str
    summary: str  # the text alternative: what the chart shows, in a sentence
    unit: str  # "%" or "" (counts)
    categories: list[str]
    series: list[tuple[str, list[float | None]]]
    columns: list[str]
    rows: list[list]
    bars: list[Bar] = dataclasses.field(default_factory=list)
    ticks: list[tuple[float, str]] = dataclasses.field(default_factory=list)
    labels: list[tuple[float, str]] = dataclasses.field(default_factory=list)
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = LEFT
    plot_right: int = WIDTH - RIGHT
    plot_bottom: int = HEIGHT - BOTTOM

    @property
    def legend(self) -> list[tuple[int, str]]:
        return [(i % SERIES_CLASSES, name) for i, (name, _) in enumerate(self.series)]

    @property
    def headers(self) -> list[str]:
        return [c.replace("_", " ").capitalize() for c in self.columns]

    @property
    def is_empty(self) -> bool:
        return not any(v for _, values in self.series for v in values)

    def svg(self) -> SafeString:
        """The chart's SVG elements (every text escaped): written here rather than in a template loop, which
        costs a hundred times more per element on a page of eight charts."""
        slug = escape(self.slug)
        parts = [
            f'<svg viewBox="0 0 {self.width} {self.height}" role="img" xmlns="http://www.w3.org/2000/svg" '
            f'aria-labelledby="chart-{slug}-title chart-{slug}-desc">'
        ]
        for y, label in self.ticks:
            parts.append(
                f'<line class="gridline" x1="{self.plot_left}" x2="{self.plot_right}" y1="{y:g}" y2="{y:g}"/>'
                f'<text x="{self.plot_left - 4}" y="{y:g}" text-anchor="end" dominant-baseline="middle">'
                f"{escape(label)}</text>"
            )
        for bar in self.bars:
            parts.append(
                f'<rect class="series-{bar.series}" x="{bar.x:g}" y="{bar.y:g}" width="{bar.width:g}" '
                f'height="{bar.height:g}"><title>{escape(bar.title)}</title></rect>'
            )
        parts.append(
            f'<line class="axis" x1="{self.plot_left}" x2="{self.plot_right}" '
            f'y1="{self.plot_bottom}" y2="{self.plot_bottom}"/>'
        )
        for x, label in self.labels:
            short = label if len(label) <= 14 else label[:13] + "…"
            parts.append(f'<text x="{x:g}" y="{self.plot_bottom + 14}" text-anchor="middle">{escape(short)}</text>')
        parts.append("</svg>")
        return mark_safe("".join(parts))  # noqa: S308 - every value above is a number or escaped

    def table(self) -> SafeString:
        """The table view: the figures the chart is drawn from, as the CSV has them."""
        head = "".join(f'<th scope="col">{escape(h)}</th>' for h in self.headers)
        body = "".join("<tr>" + "".join(f"<td>{escape(v)}</td>" for v in row) + "</tr>" for row in self.rows)
        if not body:
            empty = "No data for this range and tier."
            body = f'<tr><td colspan="{len(self.columns)}" class="text-secondary">{empty}</td></tr>'
        return mark_safe(f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>")  # noqa: S308 - escaped above


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    step = 1
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10


def draw(chart: Chart) -> Chart:
    """Lays out grouped vertical bars: one group per category, one bar per series."""
    top = 100.0 if chart.unit == "%" else _nice_max(max((v or 0 for _, vs in chart.series for v in vs), default=0))
    plot_w = chart.plot_right - chart.plot_left
    plot_h = chart.plot_bottom - TOP
    chart.ticks = [(chart.plot_bottom - plot_h * i / 4, f"{top * i / 4:g}{chart.unit}") for i in range(5)]
    groups = max(len(chart.categories), 1)
    group_w = plot_w / groups
    bar_w = group_w * 0.8 / max(len(chart.series), 1)
    for g, category in enumerate(chart.categories):
        x0 = chart.plot_left + g * group_w + group_w * 0.1
        chart.labels.append((chart.plot_left + (g + 0.5) * group_w, category))
        for s, (name, values) in enumerate(chart.series):
            value = values[g]
            if value is None:
                continue
            height = plot_h * value / top
            shown = f"{value:g}{chart.unit}"
            chart.bars.append(
                Bar(
                    x=round(x0 + s * bar_w, 1),
                    y=round(chart.plot_bottom - height, 1),
                    width=round(max(bar_w - 1, 1), 1),
                    height=round(height, 1),
                    series=s % SERIES_CLASSES,
                    title=f"{name}, {category}: {shown}",
                )
            )
    return chart


def blank(value):
    """An empty CSV cell for a figure that does not exist (no decided ticket: no attainment)."""
    return "" if value is None else value


def month_label(month: datetime.date) -> str:
    """'Dec 25': short enough for twelve months side by side (the table view spells them out)."""
    return month.strftime("%b %y")


def months_between(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = (month + datetime.timedelta(days=32)).replace(day=1)
    return months


def attainment_chart(split: str, counts: list[dict], months: list[datetime.date]) -> Chart:
    totals = figures.fold(counts, "month", split)
    present = [(value, label) for value, label in split_values(split) if any(k[1] == value for k in totals)]
    series = [
        (
            label,
            [percent(t["met"], t["met"] + t["breached"]) if (t := totals.get((m, value))) else None for m in months],
        )
        for value, label in present
    ]
    rows = []
    for month in months:
        for value, label in present:
            t = totals.get((month, value))
            if t and t["with_target"]:
                attainment = percent(t["met"], t["met"] + t["breached"])
                rows.append(
                    [month.strftime("%Y-%m"), label, t["with_target"], t["met"], t["breached"], blank(attainment)]
                )
    name = figures.SPLITS[split]
    return draw(
        Chart(
            slug=f"attainment-by-{split}",
            title=f"First-response attainment by month and {name}",
            summary=f"Share of decided tickets (met or breached) answered in time, each month, one bar per {name}.",
            unit="%",
            categories=[month_label(m) for m in months],
            series=series,
            columns=["month", name, "with_target", "met", "breached", "attainment_percent"],
            rows=rows,
        )
    )


def response_chart(counts: list[tuple]) -> Chart:
    shares = figures.share_distribution(counts)
    series, rows = [], []
    summary = []
    for calendar, label in split_values("calendar"):
        values = [shares.get((calendar, bucket), 0) for bucket, _ in figures.SHARE_BUCKETS]
        if not any(values):
            continue
        series.append((label, values))
        rows += [[label, text, n] for (_, text), n in zip(figures.SHARE_BUCKETS, values, strict=True)]
        in_time = sum(values[:4])
        summary.append(f"{label}: {percent(in_time, sum(values))}% of {sum(values)} first responses within the target")
    return draw(
        Chart(
            slug="response-times",
            title="First-response times against the target",
            summary="First responses by the share of their target they took, each counted in its target's own "
            "calendar. " + ("; ".join(summary) + "." if summary else ""),
            unit="",
            categories=[text for _, text in figures.SHARE_BUCKETS],
            series=series,
            columns=["calendar", "share_of_target", "responses"],
            rows=rows,
        )
    )


def volume_chart(counts: list[dict]) -> Chart:
    totals = figures.fold(counts, "kind", "channel")
    kinds = [(v, label) for v, label in split_values("kind") if any(k[0] == v for k in totals)]
    channels = [(v, label) for v, label in split_values("channel") if any(k[1] == v for k in totals)]
    series = [
        (c_label, [totals[(k, c)]["tickets"] if (k, c) in totals else 0 for k, _ in kinds]) for c, c_label in channels
    ]
    rows = [
        [k_label, c_label, totals[(k, c)]["tickets"]]
        for k, k_label in kinds
        for c, c_label in channels
        if (k, c) in totals
    ]
    return draw(
        Chart(
            slug="volume",
            title="Tickets by kind and channel",
            summary="How many tickets arrived in the range, per kind, one bar per channel.",
            unit="",
            categories=[label for _, label in kinds],
            series=series,
            columns=["kind", "channel", "tickets"],
            rows=rows,
        )
    )


def satisfaction_chart(counts: list[dict], months: list[datetime.date]) -> Chart:
    totals = figures.fold(counts, "month")
    points, rows = [], []
    for month in months:
        t = totals.get((month,))
        rated = (t["rated_good"] + t["rated_bad"]) if t else 0
        points.append(percent(t["rated_good"], rated) if rated else None)
        if rated:
            rows.append([month.strftime("%Y-%m"), t["rated_good"], t["rated_bad"], points[-1]])
    return draw(
        Chart(
            slug="satisfaction",
            title="Satisfaction of rated tickets, by month received",
            summary="Share of rated tickets rated good, by the month the ticket arrived; months without ratings "
            "have no bar.",
            unit="%",
            categories=[month_label(m) for m in months],
            series=[("Rated good", points)],
            columns=["month", "good", "bad", "satisfied_percent"],
            rows=rows,
        )
    )


def engineer_chart(report: ReportFilter) -> Chart:
    people = figures.engineers(report)[:12]
    return draw(
        Chart(
            slug="engineers",
            title="Replies and first responses per engineer",
            summary="Public replies and first responses each engineer sent in the range (the twelve busiest); the "
            "table gives each one's first-response attainment.",
            unit="",
            categories=[p["name"] for p in people],
            series=[
                ("Replies", [p["replies"] for p in people]),
                ("First responses", [p["first_responses"] for p in people]),
            ],
            columns=["engineer", "replies", "first_responses", "met", "attainment_percent"],
            rows=[
                [
                    p["name"],
                    p["replies"],
                    p["first_responses"],
                    p["met"],
                    "" if p["attainment"] is None else p["attainment"],
                ]
                for p in people
            ],
        )
    )


def minutes_text(minutes: float, calendar: str) -> str:
    """A median in the terms of its calendar (tickets.sla.wording says how)."""
    return sla.duration_in(minutes, calendar)


def report_charts(report: ReportFilter, *, counts: list[dict] | None = None) -> list[Chart]:
    """Every chart of the reports page, in its order."""
    counts = figures.counts(report) if counts is None else counts
    months = months_between(report.start, report.end)
    return [
        *(attainment_chart(split, counts, months) for split in figures.SPLITS),
        response_chart(counts),
        volume_chart(counts),
        satisfaction_chart(counts, months),
        engineer_chart(report),
    ]


def attainment_rows(report: ReportFilter, counts: list[dict] | None = None) -> list[dict]:
    """The attainment table: by month (latest first), tier and priority, with the median in each target's calendar."""
    counts = figures.counts(report) if counts is None else counts
    totals = figures.fold(counts, "month", "tier", "priority")
    by_calendar = figures.medians(report, ("month", "tier", "priority", "calendar"))
    order = {value: i for i, value in enumerate(v for v, _ in split_values("priority"))}
    rows = []
    for (month, tier, priority), t in sorted(
        totals.items(), key=lambda item: (-item[0][0].toordinal(), item[0][1], order.get(item[0][2], 9))
    ):
        if not t["with_target"]:
            continue
        found = [
            (calendar, by_calendar[key]["median"])
            for calendar, _ in split_values("calendar")
            if (key := (month, tier, priority, calendar)) in by_calendar
        ]
        rows.append(
            {
                "month": month.strftime("%Y-%m"),
                "tier": tier or "none",
                "priority": priority,
                "met": t["met"],
                "breached": t["breached"],
                "waiting": t["with_target"] - t["met"] - t["breached"],
                "attainment": percent(t["met"], t["met"] + t["breached"]),
                # In minutes of one calendar; a group answered in two calendars has a median in each, not one.
                "median_minutes": round(found[0][1], 1) if len(found) == 1 else None,
                "tier_label": figures.label_of("tier", tier),
                "priority_label": figures.label_of("priority", priority),
                "median_text": "; ".join(minutes_text(median, calendar) for calendar, median in found),
            }
        )
    return rows
