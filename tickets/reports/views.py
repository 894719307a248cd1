"""The staff reports page: charts, their tables and CSVs, for one date range and tier."""

import csv

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from portal import clock, roles
from portal.decorators import ADMIN_ONLY, staff_required
from portal.models import Organization
from portal.selectors import deflection_report
from tickets import selectors
from tickets.models import Ticket
from tickets.reports import charts, figures, rollups
from tickets.reports.figures import ReportFilter

MAX_DAYS = 3 * 366


class ReportFilterForm(forms.Form):
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
    tier = forms.ChoiceField(label="Tier", choices=figures.tier_choices, required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "The end of the range comes before its start.")
            elif (end - start).days > MAX_DAYS:
                self.add_error("start", "Choose a range of at most three years.")
        return data


def report_scope(user) -> tuple[int, ...] | None:
    """The organizations whose tickets `user` reports on: all for engineers and admins; an account manager's own
    accounts otherwise."""
    if user.is_superuser or roles.is_support_engineer(user) or not roles.is_account_manager(user):
        return None
    return tuple(Organization.objects.filter(account_manager=user).values_list("pk", flat=True))


def _csv(filename: str, columns: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(columns)
    writer.writerows(rows)
    return response


ATTAINMENT_COLUMNS = [
    "month",
    "tier",
    "priority",
    "met",
    "breached",
    "waiting",
    "attainment_percent",
    "median_minutes_to_first_response",
]


@staff_required
def reports(request):
    start, end = figures.default_range()
    form = ReportFilterForm(request.GET or None, initial={"start": start, "end": end, "tier": ""})
    status = 200
    tier = ""
    if form.is_bound:
        if form.is_valid():
            start, end, tier = form.cleaned_data["start"], form.cleaned_data["end"], form.cleaned_data["tier"]
        elif {"start", "end", "tier"} & set(request.GET):
            status = 400
        else:  # only ?format=csv or ?csv=…: the default range
            form = ReportFilterForm(initial={"start": start, "end": end, "tier": ""})
    report = ReportFilter(start=start, end=end, tier=tier, organization_ids=report_scope(request.user))
    counts = figures.counts(report)
    rows = charts.attainment_rows(report, counts)
    if request.GET.get("format") == "csv" and status == 200:
        blank = lambda value: "" if value is None else value  # noqa: E731
        table = [
            [r["month"], r["tier"], r["priority"], r["met"], r["breached"], r["waiting"]]
            + [blank(r["attainment"]), blank(r["median_minutes"])]
            for r in rows
        ]
        return _csv("first-response-attainment", ATTAINMENT_COLUMNS, table)
    chart_list = charts.report_charts(report, counts=counts)
    wanted = request.GET.get("csv")
    if wanted and status == 200:
        for chart in chart_list:
            if chart.slug == wanted:
                return _csv(chart.slug, chart.columns, chart.rows)
    filters = {"start": start.isoformat(), "end": end.isoformat(), "tier": tier}
    context = {
        "form": form,
        "filters": filters,
        "rows": rows,
        "charts": chart_list,
        "deflection": deflection_report(),
        "satisfaction": selectors.satisfaction_report(),
        "scoped": report.organization_ids is not None,
    }
    return render(request, "tickets/reports.html", context, status=status)


@login_required
def customer_attainment(request):
    """An organization admin's proof of the contract: first-response attainment this quarter and the last four,
    by priority, with the median time to first response and every missed deadline."""
    user = request.user
    if not roles.is_customer(user):
        raise PermissionDenied("This page shows a customer organization its own figures.")
    if not roles.is_organization_admin(user):
        raise PermissionDenied(ADMIN_ONLY)
    organization = Organization.objects.visible_to(user).get()
    periods = figures.quarters(clock.support_today())
    table = figures.organization_attainment(organization.pk, periods)
    for row in table:
        row["median_text"] = "; ".join(charts.minutes_text(m, c) for c, m in row["medians"])
        for p in row["priorities"]:
            p["median_text"] = "; ".join(charts.minutes_text(m, c) for c, m in p["medians"])
    chart = charts.draw(
        charts.Chart(
            slug="attainment",
            title="First responses in time, by quarter",
            summary="Share of your tickets with a response target that got their first answer in time, each quarter.",
            unit="%",
            categories=[row["label"] for row in table],
            series=[("In time", [row["attainment"] for row in table])],
            columns=["quarter", "priority", "with_target", "met", "breached", "attainment_percent", "median"],
            rows=[
                [row["label"], p["label"], p["tickets"], p["met"], p["breached"], p["attainment"], p["median_text"]]
                for row in table
                for p in row["priorities"]
            ],
        )
    )
    if request.GET.get("csv") == chart.slug:
        return _csv("first-response-attainment", chart.columns, chart.rows)
    start, _ = clock.support_day_bounds(periods[0].first)
    missed = (
        Ticket.objects.visible_to(user)
        .filter(rollups.BREACHED, received_at__gte=start)
        .only("pk", "subject", "priority", "received_at", "first_response_due_at", "first_response_at", "breached_at")
        .order_by("-received_at", "-pk")
    )
    page = Paginator(missed, 20).get_page(request.GET.get("page"))
    context = {
        "organization": organization,
        "table": list(reversed(table)),
        "chart": chart,
        "query": "",
        "page": page,
        "missed": page.object_list,
    }
    return render(request, "tickets/reports/customer_attainment.html", context)
