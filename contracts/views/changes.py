"""Pages to compare support levels and to ask for a change; the account manager answers on the request's page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from contracts import comparison, services
from contracts.entitlements import entitlements_for
from contracts.forms import AnswerForm, ChangeRequestForm
from contracts.models import ChangeRequest, Contract
from portal import roles
from portal.decorators import require
from portal.refusals import Refusal, messages_of, refusal_to_form

PAGE_SIZE = 20
# The change a level on the comparison page is asked for with.
CHANGE_OF_LEVEL = {
    "enterprise": ChangeRequest.Change.ENTERPRISE_SUPPORT,
    "premium": ChangeRequest.Change.PREMIUM_SUPPORT,
    "enterprise_premium": ChangeRequest.Change.ENTERPRISE_SUPPORT,
}


def _customer_organization(request):
    organization = request.user.organization
    if organization is None or roles.is_support_staff(request.user):
        raise Http404("Comparing levels is a customer's page; staff read the contract.")
    return organization


@login_required
def levels(request):
    """The support levels side by side, and what another level would have meant for the organization's tickets."""
    organization = _customer_organization(request)
    ent = entitlements_for(organization)
    options = comparison.other_levels(ent)
    chosen = next((o for o in options if o[0] == request.GET.get("level")), options[0] if options else None)
    rows, summary, page = [], None, None
    if chosen is not None:
        recent = comparison.recent_tickets(organization)
        page = Paginator(recent, PAGE_SIZE).get_page(request.GET.get("page"))
        rows = comparison.what_if(page.object_list, ent, chosen[2])
        summary = comparison.what_if_summary(comparison.what_if(recent, ent, chosen[2]))
    is_admin = roles.is_customer_admin(request.user)
    form = None
    if is_admin:
        form = ChangeRequestForm(initial={"change": CHANGE_OF_LEVEL.get(chosen[0]) if chosen else None})
    return render(
        request,
        "contracts/levels.html",
        {
            "organization": organization,
            "entitlements": ent,
            "level": comparison.level_name(ent),
            "options": options,
            "chosen": chosen,
            "rows": rows,
            "summary": summary,
            "page": page,
            "targets": comparison.target_table(),
            "lookback_days": comparison.LOOKBACK_DAYS,
            "is_admin": is_admin,
            "form": form,
        },
    )


@login_required
def change_request_list(request):
    """A customer's admins: their organization's requests. Staff: every request, those waiting first."""
    is_staff = roles.is_support_staff(request.user)
    require(is_staff or roles.is_customer_admin(request.user))
    rows = ChangeRequest.objects.visible_to(request.user).select_related("organization", "requested_by")
    waiting_only = is_staff and request.GET.get("all") != "1"
    if waiting_only:
        rows = rows.waiting()
    page = Paginator(rows.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "contracts/change_request_list.html",
        {"page": page, "is_staff": is_staff, "waiting_only": waiting_only},
    )


@login_required
def change_request_create(request):
    organization = _customer_organization(request)
    require(roles.is_customer_admin(request.user))
    initial = {"change": request.GET.get("change")} if request.GET.get("change") in ChangeRequest.Change.values else {}
    form = ChangeRequestForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.change_request_open(actor=request.user, **form.cleaned_data)
        except (Refusal, ValidationError) as error:
            refusal_to_form(form, error)
        else:
            messages.success(
                request,
                f"Your request for {created.get_change_display().lower()} was sent to your account manager "
                f"(request #{created.pk}).",
            )
            return redirect("contracts:change_request_detail", pk=created.pk)
    return render(
        request,
        "contracts/change_request_form.html",
        {"form": form, "organization": organization},
        status=400 if form.errors else 200,
    )


def apply_url(change_request: ChangeRequest) -> str | None:
    """Where the account manager applies an accepted request: the contract edit (or a new engagement)."""
    if change_request.status != ChangeRequest.Status.ACCEPTED or change_request.is_applied:
        return None
    contract = change_request.contract
    if contract is None:
        contract = (
            Contract.objects.filter(organization_id=change_request.organization_id).order_by("-term_start").first()
        )
    if contract is None:
        return reverse("contracts:contract_create", args=[change_request.organization_id])
    name = (
        "contracts:engagement_create"
        if change_request.change == ChangeRequest.Change.CONFIGURATION_SUPPORT
        else "contracts:contract_edit"
    )
    return reverse(name, args=[contract.pk]) + f"?change_request={change_request.pk}"


@login_required
def change_request_detail(request, pk: int):
    """The request and its answer; the account manager answers here, the customer's admin may withdraw."""
    change_request = get_object_or_404(
        ChangeRequest.objects.visible_to(request.user).select_related(
            "organization", "requested_by", "answered_by", "applied_by", "contract"
        ),
        pk=pk,
    )
    may_answer = roles.may_edit_contracts(request.user) and change_request.is_waiting
    may_withdraw = (
        roles.is_customer_admin(request.user)
        and roles.organization_id(request.user) == change_request.organization_id
        and change_request.is_waiting
    )
    form = AnswerForm(request.POST or None, initial={"response": change_request.response}) if may_answer else None
    if request.method == "POST":
        require(may_answer or may_withdraw)
        try:
            if request.POST.get("action") == "withdraw":
                require(may_withdraw)
                services.change_request_answer(actor=request.user, request=change_request, status="withdrawn")
                messages.success(request, "Your request was withdrawn.")
                return redirect("contracts:change_request_detail", pk=change_request.pk)
            if form is not None and form.is_valid():
                answered = services.change_request_answer(
                    actor=request.user, request=change_request, **form.cleaned_data
                )
                messages.success(
                    request, f"Answered: {answered.get_status_display().lower()}. The customer was emailed."
                )
                return redirect("contracts:change_request_detail", pk=change_request.pk)
        except (Refusal, ValidationError) as error:
            if form is not None:
                refusal_to_form(form, error)
            else:
                messages.error(request, messages_of(error))
    return render(
        request,
        "contracts/change_request_detail.html",
        {
            "change_request": change_request,
            "form": form,
            "may_withdraw": may_withdraw,
            "apply_url": apply_url(change_request) if roles.may_edit_contracts(request.user) else None,
            "is_staff": roles.is_support_staff(request.user),
        },
        status=400 if form is not None and form.errors else 200,
    )
