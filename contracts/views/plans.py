"""An engagement's page: its plan (progress and timeline), the hours used and left, and for staff the plan's edits
and the Asana sync."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from contracts import services
from contracts.forms import MilestoneForm
from contracts.models import Engagement, Milestone
from contracts.selectors import plan_summary
from contracts.services.plans import may_edit_plans
from hours.models import TimeEntry
from hours.selectors import engagement_usage
from portal import clock, roles
from portal.decorators import require
from portal.refusals import Refusal, messages_of, refusal_to_form

ENTRIES_PER_PAGE = 20


def _engagement(request, pk: int) -> Engagement:
    return get_object_or_404(
        Engagement.objects.visible_to(request.user).select_related("contract__organization"), pk=pk
    )


@login_required
def engagement_detail(request, pk: int):
    engagement = _engagement(request, pk)
    usage = engagement_usage(engagement)
    entries = (
        TimeEntry.objects.visible_to(request.user)
        .active()
        .filter(engagement=engagement)
        .select_related("architect", "connector")
        .order_by("-work_date", "-pk")
    )
    return render(
        request,
        "contracts/engagement_detail.html",
        {
            "engagement": engagement,
            "plan": plan_summary(engagement, today=clock.support_today()),
            "usage": usage,
            "hours_bar": min(100, usage.percent),
            "entries": Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("entries")),
            "is_staff": roles.is_support_staff(request.user),
            "may_edit": may_edit_plans(request.user) and not engagement.plan_is_synced,
            "may_sync": may_edit_plans(request.user) and engagement.plan_is_synced,
        },
    )


@login_required
def milestone_form(request, engagement_pk: int, pk: int | None = None):
    engagement = _engagement(request, engagement_pk)
    require(may_edit_plans(request.user))
    milestone = get_object_or_404(Milestone, pk=pk, engagement=engagement) if pk else None
    form = MilestoneForm(request.POST or None, instance=milestone, engagement=engagement)
    if request.method == "POST" and form.is_valid():
        fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
        try:
            services.milestone_save(actor=request.user, engagement=engagement, milestone=milestone, **fields)
        except (Refusal, ValidationError) as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, "The plan was saved.")
            return redirect("contracts:engagement_detail", pk=engagement.pk)
    return render(
        request,
        "contracts/milestone_form.html",
        {"form": form, "engagement": engagement, "milestone": milestone},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def milestone_delete(request, engagement_pk: int, pk: int):
    engagement = _engagement(request, engagement_pk)
    require(may_edit_plans(request.user))
    milestone = get_object_or_404(Milestone, pk=pk, engagement=engagement)
    try:
        services.milestone_delete(actor=request.user, milestone=milestone)
    except Refusal as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(request, f"“{milestone.title}” was removed from the plan.")
    return redirect("contracts:engagement_detail", pk=engagement.pk)


@login_required
@require_POST
def engagement_sync(request, pk: int):
    """Syncs the plan from Asana now, rather than at the next quarter of an hour."""
    engagement = _engagement(request, pk)
    require(may_edit_plans(request.user))
    counts = services.engagement_plan_sync(engagement=engagement)
    if counts is None:
        engagement.refresh_from_db()
        messages.error(request, f"Asana could not be read: {engagement.asana_sync_error or 'the sync is off.'}")
    else:
        messages.success(
            request,
            f"Synced from Asana: {counts['created']} new, {counts['updated']} changed, {counts['deleted']} removed.",
        )
    return redirect("contracts:engagement_detail", pk=engagement.pk)
