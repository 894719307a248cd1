"""An engagement's plan: milestones that Solution Architects and account managers keep in the portal, or that the
periodic sync takes from the customer's Asana project (then they are read-only here)."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from contracts import asana
from contracts.models import Engagement, Milestone
from portal import clock, roles
from portal.models import User
from portal.refusals import Refusal

Status = Milestone.Status


def may_edit_plans(user) -> bool:
    """Solution Architects and account managers (and admins) keep engagement plans."""
    return roles.is_solution_architect(user) or roles.may_edit_contracts(user)


def _require_planner(actor: User, engagement: Engagement) -> None:
    if not may_edit_plans(actor):
        raise PermissionDenied("Solution Architects and account managers keep engagement plans.")
    if engagement.plan_is_synced:
        raise Refusal(
            "plan_synced",
            f"The plan of “{engagement}” is synced from Asana (project {engagement.asana_project_gid}): change it "
            "in Asana; the portal shows it within a quarter of an hour.",
            status=409,
        )


def _check_owner(owner: User | None, engagement: Engagement) -> None:
    if owner is None or roles.is_support_staff(owner):
        return
    if roles.organization_id(owner) != engagement.contract.organization_id:
        raise ValidationError({"owner": "The owner is one of our staff or a person of the customer's organization."})


@transaction.atomic
def milestone_save(
    *,
    actor: User,
    engagement: Engagement,
    milestone: Milestone | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Milestone:
    """Adds a milestone to the plan (at its end) or changes one; `fields`: title, due_on, status, owner, section."""
    now = now or timezone.now()
    _require_planner(actor, engagement)
    unknown = set(fields) - {"title", "due_on", "status", "owner", "section"}
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be set."))
    if milestone is None:
        last = engagement.milestones.aggregate(last=Max("position"))["last"]
        milestone = Milestone(engagement=engagement, created_at=now, position=0 if last is None else last + 1)
    elif milestone.engagement_id != engagement.pk:
        raise ValidationError("The milestone belongs to another engagement.")
    for name, value in fields.items():
        setattr(milestone, name, value.strip() if isinstance(value, str) else value)
    _check_owner(milestone.owner, engagement)
    if milestone.status == Status.DONE and milestone.completed_at is None:
        milestone.completed_at = now
    elif milestone.status != Status.DONE:
        milestone.completed_at = None
    milestone.updated_at = now
    milestone.full_clean()
    milestone.save()
    return milestone


@transaction.atomic
def milestone_delete(*, actor: User, milestone: Milestone) -> None:
    _require_planner(actor, milestone.engagement)
    milestone.delete()


# Asana ------------------------------------------------------------------------------------------------


def _status_of(task: asana.AsanaTask, today: datetime.date) -> str:
    if task.completed:
        return Status.DONE
    if task.start_on is not None and task.start_on <= today:
        return Status.IN_PROGRESS
    return Status.PLANNED


def engagement_plan_sync(*, engagement: Engagement, now: datetime.datetime | None = None) -> dict[str, int] | None:
    """Takes the engagement's plan from its Asana project: each task becomes (or updates) a milestone, a task gone
    from the project takes its milestone away. Returns the counts; None when Asana could not be read, in which
    case the plan stays as it was and the engagement keeps the reason and the moment, for staff to see."""
    now = now or timezone.now()
    if not engagement.plan_is_synced:
        return None
    fetched = asana.project_plan(engagement.asana_project_gid)
    if fetched.error:
        Engagement.objects.filter(pk=engagement.pk).update(
            asana_sync_error=fetched.error[:2000], asana_sync_failed_at=now
        )
        return None
    return _apply_plan(engagement, fetched.tasks, now=now)


@transaction.atomic
def _apply_plan(engagement: Engagement, tasks, *, now: datetime.datetime) -> dict[str, int]:
    today = clock.support_today(now)
    engagement = Engagement.objects.select_for_update(of=("self",)).get(pk=engagement.pk)
    existing = {m.asana_gid: m for m in engagement.milestones.exclude(asana_gid="")}
    owners = {
        u.email.lower(): u
        for u in User.objects.filter(email__in=[t.assignee_email for t in tasks if t.assignee_email], is_active=True)
    }
    counts = {"created": 0, "updated": 0, "deleted": 0, "unchanged": 0}
    seen = set()
    for task in tasks:
        seen.add(task.gid)
        values = {
            "title": task.name[:300],
            "section": task.section[:300],
            "position": task.position,
            "due_on": task.due_on,
            "status": _status_of(task, today),
            "owner": owners.get(task.assignee_email.lower()) if task.assignee_email else None,
            "owner_name": task.assignee_name[:200],
            "completed_at": (task.completed_at or now) if task.completed else None,
        }
        milestone = existing.get(task.gid)
        if milestone is None:
            Milestone.objects.create(
                engagement=engagement, asana_gid=task.gid, created_at=now, updated_at=now, **values
            )
            counts["created"] += 1
            continue
        if milestone.status == Status.DONE and task.completed:
            values["completed_at"] = milestone.completed_at or values["completed_at"]
        changed = {name: value for name, value in values.items() if getattr(milestone, name) != value}
        if not changed:
            counts["unchanged"] += 1
            continue
        for name, value in changed.items():
            setattr(milestone, name, value)
        milestone.updated_at = now
        milestone.save()
        counts["updated"] += 1
    gone = [m.pk for gid, m in existing.items() if gid not in seen]
    counts["deleted"] = Milestone.objects.filter(pk__in=gone).delete()[0] if gone else 0
    # An update, not a save: a sync is not a change of the engagement for its history.
    Engagement.objects.filter(pk=engagement.pk).update(
        asana_synced_at=now, asana_sync_error="", asana_sync_failed_at=None
    )
    return counts


def asana_sync_all(*, now: datetime.datetime | None = None) -> int:
    """Syncs every engagement linked to an Asana project (none without ASANA_TOKEN); returns how many succeeded."""
    if not settings.ASANA_TOKEN:
        return 0
    linked = Engagement.objects.exclude(asana_project_gid="").exclude(status=Engagement.Status.DONE).order_by("pk")
    return sum(engagement_plan_sync(engagement=e, now=now) is not None for e in linked)
