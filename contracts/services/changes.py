"""Requests to change a support level: a customer's admin asks, the account manager answers, a contract edit
applies an accepted request. Every step is one transaction with its history row and its emails (the outbox)."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from contracts import notifications
from contracts.entitlements import entitlements_for
from contracts.models import ChangeRequest
from portal import roles
from portal.models import Organization, User
from portal.refusals import Refusal

MAX_TEXT = 4000
Status = ChangeRequest.Status
# What each side may set: the account manager answers, the customer's admin may only withdraw.
MANAGER_STATUSES = (Status.IN_DISCUSSION, Status.ACCEPTED, Status.DECLINED)
CUSTOMER_STATUSES = (Status.WITHDRAWN,)


def _text(value: str, field: str) -> str:
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise ValidationError({field: f"Keep it under {MAX_TEXT} characters."})
    return value


@transaction.atomic
def change_request_open(
    *, actor: User, change: str, note: str = "", now: datetime.datetime | None = None
) -> ChangeRequest:
    """A customer's admin asks for a change of their support; their account manager is told."""
    now = now or timezone.now()
    if not roles.is_customer_admin(actor):
        raise PermissionDenied("Only your organization's administrators ask for a change of support level.")
    if change not in ChangeRequest.Change.values:
        raise ValidationError({"change": f"Choose one of: {', '.join(ChangeRequest.Change.values)}."})
    note = _text(note, "note")
    if change == ChangeRequest.Change.OTHER and not note:
        raise ValidationError({"note": "Say what you would like to change."})
    organization = actor.organization
    request = ChangeRequest(
        organization=organization,
        contract=entitlements_for(organization, at=now).contract,
        change=change,
        note=note,
        requested_by=actor,
        created_at=now,
        updated_at=now,
    )
    request.full_clean()
    request._history_user = actor
    request.save()
    notifications.change_request_opened(request)
    return request


@transaction.atomic
def change_request_answer(
    *,
    actor: User,
    request: ChangeRequest,
    status: str,
    response: str | None = None,
    now: datetime.datetime | None = None,
) -> ChangeRequest:
    """The account manager answers (in discussion, accepted, declined) or the customer's admin withdraws; the other
    side is emailed."""
    now = now or timezone.now()
    request = ChangeRequest.objects.select_for_update(of=("self",)).select_related("organization").get(pk=request.pk)
    is_manager = roles.may_edit_contracts(actor)
    is_owner = roles.is_customer_admin(actor) and roles.organization_id(actor) == request.organization_id
    if not (is_manager or is_owner):
        raise PermissionDenied("Only the account manager answers a request; its organization's admins may withdraw it.")
    allowed = MANAGER_STATUSES if is_manager else CUSTOMER_STATUSES
    if status not in allowed:
        who = "An account manager" if is_manager else "A customer"
        raise Refusal.on_field(
            "status_not_allowed",
            "status",
            f"{who} may set the status to {', '.join(allowed)} only.",
        )
    if not request.can_move_to(status):
        raise Refusal.on_field(
            "status_not_allowed",
            "status",
            f"This request is {request.get_status_display().lower()}: it cannot become {Status(status).label.lower()}.",
            status=409,
        )
    response = request.response if response is None or not is_manager else _text(response, "response")
    if status == Status.DECLINED and not response:
        raise ValidationError({"response": "Say why the request is declined: the customer reads the answer."})
    old_status, old_response = request.status, request.response
    request.status = status
    request.response = response
    request.updated_at = now
    if is_manager:
        request.answered_by = actor
    if status in ChangeRequest.DECIDED:
        request.decided_at = now
    request._history_user = actor
    request.save()
    if (old_status, old_response) != (request.status, request.response):
        if is_manager:
            notifications.change_request_answered(request)
        else:
            notifications.change_request_withdrawn(request)
    return request


def check_applicable(request: ChangeRequest, *, organization: Organization) -> None:
    """Refuses a request that a contract edit cannot apply: another organization's, not accepted, or applied."""
    if request.organization_id != organization.pk:
        raise ValidationError({"change_request": "This request belongs to another organization."})
    if request.status != Status.ACCEPTED:
        raise ValidationError({"change_request": "Only an accepted request is applied to the contract."})
    if request.is_applied:
        raise ValidationError({"change_request": f"Request #{request.pk} was applied already."})


def mark_applied(request: ChangeRequest, *, actor: User, batch: str, now: datetime.datetime) -> None:
    """Records that the contract change `batch` (its history's id) applied the request; the customer is told."""
    request.applied_at = now
    request.applied_by = actor
    request.applied_batch = batch
    request.updated_at = now
    request._history_user = actor
    request.save()
    notifications.change_request_applied(request)
