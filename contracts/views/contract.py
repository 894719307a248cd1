from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from contracts import services
from contracts.comparison import level_name
from contracts.entitlements import entitlements_for, entitlements_for_many
from contracts.forms import ContractForm, EngagementForm
from contracts.models import ChangeRequest, Contract, Engagement, Quote
from contracts.selectors import contract_history, entitlement_summary, organizations_with_contracts
from hours import selectors as hours_selectors
from portal import roles
from portal.decorators import role_required, staff_required
from portal.models import Organization
from portal.refusals import refusal_to_form

editor_required = role_required(roles.may_edit_contracts)


@staff_required
def account_list(request):
    organizations = list(organizations_with_contracts())
    entitlements = entitlements_for_many(organizations)
    used = hours_selectors.used_minutes_of(e.allotment for e in entitlements.values())
    accounts = [
        {
            "organization": organization,
            "entitlements": entitlements[organization.pk],
            "contracts": organization.contracts.all(),
            "used_minutes": used.get(entitlements[organization.pk].contract_id_with_allotment),
        }
        for organization in organizations
    ]
    return render(
        request,
        "contracts/account_list.html",
        {"accounts": accounts, "can_edit": roles.may_edit_contracts(request.user)},
    )


@staff_required
def contract_detail(request, pk: int):
    contract = get_object_or_404(Contract.objects.visible_to(request.user).select_related("organization"), pk=pk)
    ent = entitlements_for(contract.organization)
    context = {
        "contract": contract,
        "is_current": ent.contract is not None and ent.contract.pk == contract.pk,
        "can_edit": roles.may_edit_contracts(request.user),
        "history": contract_history(contract) if roles.may_edit_contracts(request.user) else None,
        "change_requests": ChangeRequest.objects.filter(organization=contract.organization)
        .select_related("requested_by")
        .order_by("-created_at")[:10],
        "quotes": Quote.objects.filter(contract=contract).select_related("connector").order_by("-created_at")[:10],
        **entitlement_summary(ent),
    }
    return render(request, "contracts/contract_detail.html", context)


def _save_contract_from_form(request, form, *, organization, contract=None):
    data = form.cleaned_data
    return services.contract_save(
        actor=request.user,
        organization=organization,
        contract=contract,
        plan=data["plan"],
        term_start=data["term_start"],
        term_end=data["term_end"],
        status=data["status"],
        add_ons=data["add_ons"],
        sa_hours_per_year=data["sa_hours_per_year"],
        rounding_increment_minutes=data["rounding_increment_minutes"],
        rollover=data["rollover"],
        overage_approved=data["overage_approved"],
        connectors=data["connectors"],
        escalation_channel=data["escalation_channel"],
        notes=data["notes"],
        slack_channel_ids=data["slack_channel_ids"],
        change_request=data.get("change_request"),
    )


@editor_required
def contract_edit(request, pk: int):
    contract = get_object_or_404(Contract.objects.visible_to(request.user).select_related("organization"), pk=pk)
    return _contract_form(request, organization=contract.organization, contract=contract)


@editor_required
def contract_create(request, organization_id: int):
    organization = get_object_or_404(Organization, pk=organization_id)
    return _contract_form(request, organization=organization, contract=None)


def _applying(request, organization) -> ChangeRequest | None:
    """The accepted change request this edit applies (`?change_request=<id>`), or None."""
    wanted = request.POST.get("change_request") or request.GET.get("change_request") or ""
    if not (wanted.isascii() and wanted.isdigit()):
        return None
    return get_object_or_404(
        ChangeRequest.objects.select_related("requested_by"), pk=int(wanted), organization=organization
    )


def _contract_form(request, *, organization, contract):
    applying = _applying(request, organization)
    form = ContractForm(request.POST or None, instance=contract, organization=organization, applying=applying)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save_contract_from_form(request, form, organization=organization, contract=contract)
        except ValidationError as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, f"The contract of {organization} was saved.")
            return redirect("contracts:contract_detail", pk=saved.pk)
    return render(
        request,
        "contracts/contract_form.html",
        {"form": form, "organization": organization, "contract": contract, "applying": applying},
    )


@editor_required
def engagement_form(request, contract_pk: int, pk: int | None = None):
    contract = get_object_or_404(Contract.objects.visible_to(request.user), pk=contract_pk)
    engagement = get_object_or_404(Engagement, pk=pk, contract=contract) if pk else None
    applying = _applying(request, contract.organization)
    form = EngagementForm(request.POST or None, instance=engagement, applying=applying)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.engagement_save(
                actor=request.user, contract=contract, engagement=engagement, change_request=applying, **fields
            )
        except ValidationError as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, "The engagement was saved.")
            return redirect("contracts:contract_detail", pk=contract.pk)
    return render(
        request,
        "contracts/engagement_form.html",
        {"form": form, "contract": contract, "engagement": engagement, "applying": applying},
    )


@login_required
def my_contract(request):
    """A customer's read-only summary of what their contract includes."""
    organization = request.user.organization
    if organization is None:
        raise Http404("Only customers have a contract page.")
    ent = entitlements_for(organization)
    is_admin = roles.is_customer_admin(request.user)
    return render(
        request,
        "contracts/my_contract.html",
        {
            "organization": organization,
            "now": timezone.now(),
            "is_admin": is_admin,
            "level": level_name(ent),
            "change_requests": ChangeRequest.objects.visible_to(request.user).order_by("-created_at")[:5]
            if is_admin
            else [],
            "quotes": Quote.objects.visible_to(request.user).select_related("connector").order_by("-created_at")[:5]
            if is_admin
            else [],
            "engagements": Engagement.objects.visible_to(request.user)
            .exclude(status=Engagement.Status.QUOTED)
            .order_by("-created_at"),
            **entitlement_summary(ent),
        },
    )
