"""Hours pages: Solution Architects log time and read their week; account managers adjust and read the ledger;
customer admins read their statement. Views parse and render; hours.services decides."""

import csv
import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from contracts.models import Connector, Contract, Engagement
from contracts.periods import contract_year, contract_years
from hours import rules, selectors, services
from hours.forms import AdjustForm, EditEntryForm, TimeEntryForm, VoidForm
from hours.models import ENGAGEMENT_CATEGORIES, Category, TimeEntry
from portal import clock, roles
from portal.decorators import require, role_required, staff_required
from portal.models import Organization
from portal.refusals import Refusal, refusal_to_form
from portal.templatetags.portal_format import hours as as_hours
from tickets.models import Ticket

SESSION_LAST = "hours_last_log"
architect_required = role_required(roles.may_log_time)


def _safe_next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _int_param(value) -> int | None:
    value = (value or "").strip()
    return int(value) if (value.isascii() and value.isdigit()) else None


def _date_param(value) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _remaining_text(entry: TimeEntry) -> str:
    if entry.engagement_id:
        usage = selectors.engagement_usage(entry.engagement)
        return f"{as_hours(usage.remaining)} h left on the engagement “{entry.engagement}”."
    period = contract_year(entry.contract.term_start, entry.contract.term_end, entry.work_date)
    usage = selectors.year_usage(entry.contract, period)
    if usage.overage:
        return f"{as_hours(usage.overage)} h of overage this contract year."
    return f"{as_hours(usage.remaining)} h left this contract year."


def _form_kwargs(form) -> dict:
    data = form.cleaned_data
    return {
        "category": data["category"],
        "minutes": data["minutes"],
        "work_date": data["work_date"],
        "ticket": data.get("ticket"),
        "engagement": data.get("engagement") if data["category"] in ENGAGEMENT_CATEGORIES else None,
        "connector": data.get("connector") if data["category"] == Category.INTEGRATION_SUPPORT else None,
        "work_mode": data.get("work_mode", "")
        if data["category"] == Category.ENGAGEMENT_WORK
        or (data["category"] == Category.INTEGRATION_SUPPORT and data.get("engagement"))
        else "",
        "note": data.get("note", ""),
    }


def _refusal_context(refusal: Refusal | None) -> dict:
    if refusal is None or refusal.code != "connector_not_in_contract":
        return {"refusal": refusal}
    body = refusal.extra["quote_request"]["body"]
    return {"refusal": refusal, "quote": body}


@architect_required
def log(request):
    """Log time quickly: remembers the last customer and category; `?ticket=<id>` fills in a ticket's work."""
    ticket = None
    ticket_id = _int_param(request.GET.get("ticket"))
    if ticket_id is not None:
        ticket = get_object_or_404(Ticket.objects.visible_to(request.user), pk=ticket_id)
    last = request.session.get(SESSION_LAST, {})
    initial = {
        "work_date": clock.support_today(),
        "organization": last.get("organization"),
        "category": last.get("category") or Category.SYSTEM_SETUP,
    }
    if ticket is not None:
        initial.update(organization=ticket.organization_id, ticket=ticket.pk)
        if ticket.engagement_id:
            initial.update(engagement=ticket.engagement_id, category=Category.ENGAGEMENT_WORK)
        elif initial["category"] == Category.ENGAGEMENT_WORK:
            initial["category"] = Category.SYSTEM_SETUP
    form = TimeEntryForm(request.POST or None, initial=initial, extra_ticket=ticket)
    refusal = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                entry = services.time_entry_log(architect=request.user, **_form_kwargs(form))
            except Refusal as error:
                refusal = error
                refusal_to_form(form, error)
            except ValidationError as error:
                refusal_to_form(form, error)
            else:
                request.session[SESSION_LAST] = {"organization": entry.organization_id, "category": entry.category}
                messages.success(
                    request,
                    f"Logged {entry.minutes} minutes for {entry.organization} ({entry.minutes_debited} debited). "
                    + _remaining_text(entry),
                )
                return redirect(_safe_next(request, reverse("hours:log")))
        status = 400
    context = {"form": form, "ticket": ticket, "next": request.GET.get("next", ""), **_refusal_context(refusal)}
    return render(request, "hours/log.html", context, status=status)


@login_required
@require_POST
def quote_request(request):
    """One step from a refused Integration Support entry to a new-connector quote ticket."""
    require(roles.may_log_time(request.user) or roles.may_manage_hours(request.user))
    organization = get_object_or_404(Organization, pk=_int_param(request.POST.get("organization")))
    connector_key = (request.POST.get("connector") or "").strip()
    connector = (
        get_object_or_404(Connector, slug=connector_key)
        if not (connector_key.isascii() and connector_key.isdigit())
        else get_object_or_404(Connector, pk=int(connector_key))
    )
    ticket = None
    if _int_param(request.POST.get("ticket")):
        ticket = get_object_or_404(Ticket.objects.visible_to(request.user), pk=int(request.POST["ticket"]))
    quote = services.connector_quote_request(
        architect=request.user, organization=organization, connector=connector, ticket=ticket
    )
    messages.success(request, f"Quote request #{quote.pk} is open for {organization}: {connector} connector.")
    return redirect("tickets:staff_detail", pk=quote.pk)


@architect_required
def week(request):
    """The SA's week as a timesheet; `?week=YYYY-Www` picks another week."""
    today = clock.support_today()
    try:
        monday, sunday = selectors.week_bounds(request.GET.get("week"), today=today)
    except ValueError:
        messages.error(request, "Write the week as YYYY-Www, for example 2026-W48. Showing this week.")
        monday, sunday = selectors.week_bounds(None, today=today)
    sheet = selectors.timesheet(request.user, monday=monday)

    def label(day):
        year, number, _ = day.isocalendar()
        return f"{year}-W{number:02d}"

    context = {
        "sheet": sheet,
        "monday": monday,
        "sunday": sunday,
        "week_label": label(monday),
        "previous_week": label(monday - datetime.timedelta(days=7)),
        "next_week": label(monday + datetime.timedelta(days=7)),
        "lock_date": rules.lock_date(),
        "is_manager": roles.may_manage_hours(request.user),
    }
    return render(request, "hours/week.html", context)


@staff_required
def customers(request):
    """Staff: each customer's remaining hours this contract year, and their engagements'."""
    return render(
        request,
        "hours/customers.html",
        {"rows": selectors.customers_overview(), "is_manager": roles.may_manage_hours(request.user)},
    )


def _entry_for_change(request, pk: int) -> TimeEntry:
    entry = get_object_or_404(
        TimeEntry.objects.visible_to(request.user).select_related("contract", "engagement", "ticket"), pk=pk
    )
    require(roles.may_manage_hours(request.user) or entry.architect_id == request.user.pk)
    return entry


@login_required
def entry_edit(request, pk: int):
    entry = _entry_for_change(request, pk)
    initial = {
        "organization": entry.organization_id,
        "ticket": entry.ticket_id,
        "engagement": entry.engagement_id,
        "category": entry.category,
        "connector": entry.connector_id,
        "work_mode": entry.work_mode,
        "work_date": entry.work_date,
        "minutes": entry.minutes,
        "note": entry.note,
    }
    form = EditEntryForm(request.POST or None, initial=initial, extra_ticket=entry.ticket)
    refusal = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                entry = services.time_entry_edit(actor=request.user, entry=entry, **_form_kwargs(form))
            except Refusal as error:
                refusal = error
                refusal_to_form(form, error)
            except ValidationError as error:
                refusal_to_form(form, error)
            else:
                messages.success(
                    request, f"Entry {entry.pk} changed: its old debit was reversed. " + _remaining_text(entry)
                )
                return redirect(_safe_next(request, reverse("hours:week") + f"?week={_week_of(entry.work_date)}"))
        status = 400
    context = {"form": form, "entry": entry, **_refusal_context(refusal)}
    return render(request, "hours/entry_edit.html", context, status=status)


def _week_of(day: datetime.date) -> str:
    year, number, _ = day.isocalendar()
    return f"{year}-W{number:02d}"


@login_required
def entry_void(request, pk: int):
    entry = _entry_for_change(request, pk)
    form = VoidForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.time_entry_void(actor=request.user, entry=entry, reason=form.cleaned_data["reason"])
        except Refusal as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Entry {entry.pk} voided: its {entry.minutes_debited} minutes were given back.")
        return redirect(_safe_next(request, reverse("hours:week") + f"?week={_week_of(entry.work_date)}"))
    return render(request, "hours/entry_void.html", {"form": form, "entry": entry})


@login_required
def ledger(request, pk: int):
    """Account managers: a contract year's (or an engagement's) ledger, the adjust form and the overage switch."""
    contract = get_object_or_404(Contract.objects.visible_to(request.user).select_related("organization"), pk=pk)
    require(roles.may_manage_hours(request.user))  # after the scope: another organization's contract is a 404
    today = clock.support_today()
    years = [
        p for p in contract_years(contract.term_start, contract.term_end) if p.start <= max(today, contract.term_start)
    ]
    engagement = None
    if _int_param(request.GET.get("engagement")):
        engagement = get_object_or_404(Engagement, pk=int(request.GET["engagement"]), contract=contract)
    chosen_start = _date_param(request.GET.get("period"))
    period = next((p for p in years if p.start == chosen_start), None)
    if period is None and years:
        period = next((p for p in years if today in p), years[-1])
    form = AdjustForm(request.POST or None, contract=contract, initial={"engagement": engagement})
    if request.method == "POST" and form.is_valid():
        try:
            services.hours_adjust(
                actor=request.user,
                contract=contract,
                minutes=form.cleaned_data["minutes"],
                reason=form.cleaned_data["reason"],
                engagement=form.cleaned_data["engagement"],
                on=period.start if period and not form.cleaned_data["engagement"] else None,
            )
        except (Refusal, ValidationError) as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, "The adjustment was written to the ledger.")
            return redirect(request.get_full_path())
    if engagement is not None:
        usage = selectors.engagement_usage(engagement)
        rows = selectors.ledger_for(contract, engagement=engagement)
    else:
        usage = selectors.year_usage(contract, period) if period else None
        rows = selectors.ledger_for(contract, period_start=period.start) if period else []
    context = {
        "contract": contract,
        "years": years,
        "period": period,
        "engagement": engagement,
        "engagements": contract.engagements.all(),
        "usage": usage,
        "rows": rows,
        "form": form,
    }
    return render(request, "hours/ledger.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def overage(request, pk: int):
    contract = get_object_or_404(Contract.objects.visible_to(request.user).select_related("organization"), pk=pk)
    require(roles.may_manage_hours(request.user))
    approved = request.POST.get("approved") == "1"
    services.overage_set(actor=request.user, contract=contract, approved=approved)
    messages.success(
        request,
        f"Overage is {'approved' if approved else 'no longer approved'} for {contract.organization}.",
    )
    return redirect("hours:ledger", pk=contract.pk)


def _statement_organization(request) -> Organization:
    """Staff pick any organization; a customer admin reads their own (another id is a 404, a member a 403)."""
    wanted = request.GET.get("organization")
    if roles.is_support_staff(request.user):
        if _int_param(wanted) is None:
            raise Http404("Choose an organization.")
        return get_object_or_404(Organization, pk=int(wanted))
    organization = request.user.organization
    if organization is None or (wanted and _int_param(wanted) != organization.pk):
        raise Http404("No such organization.")
    require(roles.may_read_statement(request.user, organization))
    return organization


@login_required
def statement(request):
    if roles.is_support_staff(request.user) and not request.GET.get("organization"):
        return redirect("hours:customers")
    organization = _statement_organization(request)
    data = selectors.statement(organization, period_start=_date_param(request.GET.get("period")))
    query = {"organization": organization.pk} if roles.is_support_staff(request.user) else {}
    return render(request, "hours/statement.html", {**data, "query": query})


def _csv_cell(value) -> str:
    text = "" if value is None else str(value)
    # A cell that starts like a formula is read as text by spreadsheets (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@login_required
def statement_csv(request):
    organization = _statement_organization(request)
    data = selectors.statement(organization, period_start=_date_param(request.GET.get("period")))
    selected = data["selected"]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    period_text = selected["period"].start.isoformat() if selected else "none"
    response["Content-Disposition"] = f'attachment; filename="hours-{organization.slug}-{period_text}.csv"'
    writer = csv.writer(response)
    writer.writerow(
        ["date", "category", "connector", "ticket", "architect", "minutes", "minutes_debited", "hours_debited", "note"]
    )
    for entry in selected["entries"] if selected else []:
        writer.writerow(
            [
                _csv_cell(value)
                for value in (
                    entry.work_date.isoformat(),
                    entry.get_category_display(),
                    entry.connector or "",
                    entry.ticket_id or "",
                    entry.architect,
                    entry.minutes,
                    entry.minutes_debited,
                    as_hours(entry.minutes_debited),
                    entry.note,
                )
            ]
        )
    return response
