"""Quote pages: the account manager writes and sends a quote in answer to a quote request; the customer's admin
reads it and accepts or declines it."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contracts import services
from contracts.forms import DecisionForm, QuoteForm
from contracts.models import Connector, Quote
from portal import clock, roles
from portal.decorators import require, role_required
from portal.refusals import Refusal, messages_of, refusal_to_form
from tickets.models import Kind as TicketKind
from tickets.models import Ticket

PAGE_SIZE = 20
VALID_FOR_DAYS = 30
editor_required = role_required(roles.may_edit_contracts)


def _quote(request, pk: int) -> Quote:
    return get_object_or_404(
        Quote.objects.visible_to(request.user).select_related(
            "organization", "contract", "ticket", "connector", "engagement", "created_by", "decided_by"
        ),
        pk=pk,
    )


def _fields(form) -> dict:
    return {name: form.cleaned_data[name] for name in form.Meta.fields}


@login_required
def quote_list(request):
    """A customer's admins: the quotes sent to their organization. Staff: every quote, drafts first."""
    is_staff = roles.is_support_staff(request.user)
    require(is_staff or roles.is_customer_admin(request.user))
    rows = Quote.objects.visible_to(request.user).select_related("organization", "connector")
    page = Paginator(rows.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/quote_list.html",
        {"page": page, "is_staff": is_staff, "today": clock.support_today()},
    )


@editor_required
def quote_create(request):
    """`?ticket=<id>`: a quote answering that quote request."""
    wanted = request.GET.get("ticket") or request.POST.get("ticket") or ""
    ticket = get_object_or_404(
        Ticket.objects.select_related("organization", "connector"),
        pk=int(wanted) if wanted.isascii() and wanted.isdigit() else None,
        kind=TicketKind.CONNECTOR_QUOTE,
    )
    initial = {
        "connector": ticket.connector,
        "currency": "USD",
        "valid_until": clock.support_today() + datetime.timedelta(days=VALID_FOR_DAYS),
    }
    form = QuoteForm(request.POST or None, initial=initial)
    form.fields["connector"].queryset = Connector.objects.filter(is_active=True)
    if request.method == "POST" and form.is_valid():
        try:
            quote = services.quote_create(actor=request.user, ticket=ticket, **_fields(form))
        except (Refusal, ValidationError) as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, f"Quote #{quote.pk} is a draft: read it over, then send it to the customer.")
            return redirect("contracts:quote_detail", pk=quote.pk)
    return render(
        request,
        "contracts/quote_form.html",
        {"form": form, "ticket": ticket, "quote": None},
        status=400 if form.errors else 200,
    )


@editor_required
def quote_edit(request, pk: int):
    quote = _quote(request, pk)
    form = QuoteForm(request.POST or None, instance=quote)
    if request.method == "POST" and form.is_valid():
        try:
            services.quote_update(actor=request.user, quote=quote, **_fields(form))
        except (Refusal, ValidationError) as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, f"Quote #{quote.pk} was saved.")
            return redirect("contracts:quote_detail", pk=quote.pk)
    return render(
        request,
        "contracts/quote_form.html",
        {"form": form, "ticket": quote.ticket, "quote": quote},
        status=400 if form.errors else 200,
    )


@login_required
def quote_detail(request, pk: int):
    quote = _quote(request, pk)
    today = clock.support_today()
    is_owner = roles.is_customer_admin(request.user) and roles.organization_id(request.user) == quote.organization_id
    return render(
        request,
        "contracts/quote_detail.html",
        {
            "quote": quote,
            "status": quote.status_on(today),
            "is_manager": roles.may_edit_contracts(request.user),
            "may_decide": is_owner and quote.status == Quote.Status.SENT and not quote.is_expired(today),
            "accept_form": DecisionForm(prefix="accept"),
            "decline_form": DecisionForm(prefix="decline"),
        },
    )


def _act(request, pk: int, do, done: str, *, prefix: str | None = None):
    quote = _quote(request, pk)
    extra = {}
    if prefix is not None:
        form = DecisionForm(request.POST, prefix=prefix)
        extra["note"] = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        quote = do(actor=request.user, quote=quote, **extra)
    except (Refusal, ValidationError) as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(request, done.format(quote=quote))
    return redirect("contracts:quote_detail", pk=quote.pk)


@editor_required
@require_POST
def quote_send(request, pk: int):
    return _act(request, pk, services.quote_send, "Quote #{quote.pk} was sent to {quote.organization}'s admins.")


@login_required
@require_POST
def quote_accept(request, pk: int):
    return _act(
        request,
        pk,
        services.quote_accept,
        "You accepted quote #{quote.pk}: the {quote.connector} connector is now in your contract, and its onboarding "
        "has started.",
        prefix="accept",
    )


@login_required
@require_POST
def quote_decline(request, pk: int):
    return _act(
        request,
        pk,
        services.quote_decline,
        "You declined quote #{quote.pk}. Your account manager was told.",
        prefix="decline",
    )
