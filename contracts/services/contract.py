"""Contracts with their add-ons, connectors and Slack channels, and engagements: each write one transaction."""

import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from contracts.entitlements import Allotment, entitlements_for, support_tier
from contracts.models import AddOn, ChangeRequest, Connector, Contract, Engagement, SlackChannel, Tier
from contracts.services import changes
from portal import clock, roles
from portal.models import Organization, User


def _require_editor(actor: User) -> None:
    if not roles.may_edit_contracts(actor):
        raise PermissionDenied("Only account managers and admins change contracts.")


def _save(instance, actor: User, batch: str = "") -> None:
    instance._history_user = actor
    instance._change_reason = batch
    instance.full_clean()
    instance.save()


def _set_add_ons(contract: Contract, kinds: Iterable[str], actor: User, batch: str = "") -> None:
    wanted = set(kinds)
    unknown = wanted - set(AddOn.Kind.values)
    if unknown:
        raise ValidationError({"add_ons": f"Unknown add-on: {', '.join(sorted(unknown))}."})
    existing = {a.kind: a for a in contract.add_ons.all()}
    for kind in AddOn.Kind.values:
        add_on = existing.get(kind)
        active = kind in wanted
        if add_on is None and active:
            add_on = AddOn(contract=contract, kind=kind, is_active=True)
            _save(add_on, actor, batch)
        elif add_on is not None and add_on.is_active != active:
            add_on.is_active = active
            _save(add_on, actor, batch)


def _validate_rules(contract: Contract, add_on_kinds: set[str]) -> None:
    """Cross-field rules of a contract that one row's clean() cannot see."""
    errors = {}
    tier = support_tier(contract.plan, add_on_kinds)
    if AddOn.Kind.SLACK_CHANNEL in add_on_kinds and tier != Tier.ENTERPRISE:
        errors["add_ons"] = "The Slack channel add-on needs Enterprise support (the plan or the add-on)."
    if contract.sa_hours_per_year and tier != Tier.ENTERPRISE:
        errors["sa_hours_per_year"] = "Solution Architect hours come with Enterprise support only."
    if errors:
        raise ValidationError(errors)


def _set_slack_channels(organization: Organization, channel_ids: Iterable[str], actor: User) -> None:
    wanted = {c.strip().upper() for c in channel_ids if c and c.strip()}
    for channel_id in wanted:
        owner = SlackChannel.objects.filter(channel_id=channel_id).exclude(organization=organization).first()
        if owner:
            raise ValidationError({"slack_channel_ids": f"Slack channel {channel_id} belongs to {owner.organization}."})
    for mapped in organization.slack_channels.exclude(channel_id__in=wanted):
        mapped._history_user = actor
        mapped.delete()
    existing = set(organization.slack_channels.values_list("channel_id", flat=True))
    for channel_id in sorted(wanted - existing):
        _save(SlackChannel(organization=organization, channel_id=channel_id), actor)


@transaction.atomic
def contract_save(
    *,
    actor: User,
    organization: Organization,
    contract: Contract | None = None,
    plan: str,
    term_start,
    term_end,
    status: str = Contract.Status.ACTIVE,
    add_ons: Iterable[str] = (),
    sa_hours_per_year=0,
    rounding_increment_minutes: int = 15,
    rollover: bool = False,
    overage_approved: bool = False,
    connectors: Iterable[Connector] = (),
    escalation_channel: str = "",
    notes: str = "",
    slack_channel_ids: Iterable[str] | None = None,
    change_request: ChangeRequest | None = None,
    now: datetime.datetime | None = None,
) -> Contract:
    """Creates or updates a contract with its add-ons, connectors and Slack channels; history records each.

    A change of the yearly SA hours or of the tier during a contract year changes that year's allotment in the
    hours ledger, in this same transaction. With `change_request` (an accepted one), the save is recorded as the
    change that applies it.
    """
    _require_editor(actor)
    now = now or timezone.now()
    contract = contract or Contract(organization=organization)
    if contract.organization_id != organization.pk:
        raise ValidationError("A contract cannot move to another organization.")
    if change_request is not None:
        changes.check_applicable(change_request, organization=organization)
    existed = contract.pk is not None
    before = _allotment_today(contract, now) if existed else None
    old_hours = contract.sa_hours_per_year if existed else Decimal("0")
    old_tier = support_tier(contract.plan, _active_kinds(contract)) if existed else None
    contract.plan = plan
    contract.term_start = term_start
    contract.term_end = term_end
    contract.status = status
    contract.sa_hours_per_year = sa_hours_per_year
    contract.rounding_increment_minutes = rounding_increment_minutes
    contract.rollover = rollover
    contract.overage_approved = overage_approved
    contract.escalation_channel = escalation_channel
    contract.notes = notes
    add_on_kinds = set(add_ons)
    contract.full_clean()
    _validate_rules(contract, add_on_kinds)
    if AddOn.Kind.PREMIUM_SUPPORT in add_on_kinds and not escalation_channel.strip():
        raise ValidationError({"escalation_channel": "Premium needs the escalation channel agreed at sign-up."})
    # One id for every history record this save writes, so the history shows them as one change.
    batch = f"change {uuid.uuid4().hex[:12]}"
    _save(contract, actor, batch)
    _set_add_ons(contract, add_on_kinds, actor, batch)
    connectors = list(connectors)
    if set(contract.connectors.all()) != set(connectors):
        contract._history_user = actor
        contract._change_reason = batch
        contract.connectors.set(connectors)
    if slack_channel_ids is not None:
        _set_slack_channels(organization, slack_channel_ids, actor)
    if change_request is not None:
        changes.mark_applied(change_request, actor=actor, batch=batch, now=now)
    if existed:  # a new contract's first year is granted when its hours are first used
        after = _allotment_today(contract, now)
        if before is not None or after is not None:
            reason = _allotment_reason(
                old_hours=old_hours, new_hours=contract.sa_hours_per_year, old_tier=old_tier, after=after
            )
            # hours builds on contracts (its services import this module), so it is imported when needed.
            from hours.services.allotments import allotment_change

            allotment_change(contract=contract, before=before, after=after, actor=actor, reason=reason, now=now)
    return contract


def _active_kinds(contract: Contract) -> set[str]:
    return {a.kind for a in contract.add_ons.all() if a.is_active}


def _allotment_today(contract: Contract, now: datetime.datetime) -> Allotment | None:
    """The SA hours allotment of the contract's year that contains today, when it is the contract in force."""
    ent = entitlements_for(contract.organization, at=clock.support_noon(clock.support_today(now)))
    if ent.contract is None or ent.contract.pk != contract.pk:
        return None
    return ent.allotment


def _hours_text(value) -> str:
    return f"{Decimal(value).normalize():f}"


def _allotment_reason(*, old_hours, new_hours, old_tier: str | None, after: Allotment | None) -> str:
    """Why the contract year's allotment changed, in the words the statement and the ledger show."""
    if after is None:
        if old_tier == Tier.ENTERPRISE:
            return "Enterprise support ended: the contract has no Solution Architect hours from now on."
        return "The contract has no Solution Architect hours any more."
    if old_tier != Tier.ENTERPRISE:
        text = f"Enterprise support added with {_hours_text(new_hours)} Solution Architect hours a year."
    else:
        text = f"Yearly Solution Architect hours changed from {_hours_text(old_hours)} to {_hours_text(new_hours)}."
    if after.minutes != int(Decimal(new_hours) * 60):
        text += " This contract year is shorter than a full year: its allotment is prorated."
    return text


@transaction.atomic
def contract_update_fields(*, actor: User, contract: Contract, **changes) -> Contract:
    """Changes some of a contract's fields, keeping the rest as they are (used by the API's PATCH)."""
    current = {
        "plan": contract.plan,
        "term_start": contract.term_start,
        "term_end": contract.term_end,
        "status": contract.status,
        "add_ons": [a.kind for a in contract.add_ons.all() if a.is_active],
        "sa_hours_per_year": contract.sa_hours_per_year,
        "rounding_increment_minutes": contract.rounding_increment_minutes,
        "rollover": contract.rollover,
        "overage_approved": contract.overage_approved,
        "connectors": list(contract.connectors.all()),
        "escalation_channel": contract.escalation_channel,
        "notes": contract.notes,
    }
    current.update(changes)
    return contract_save(actor=actor, organization=contract.organization, contract=contract, **current)


@transaction.atomic
def engagement_save(
    *,
    actor: User,
    contract: Contract,
    engagement: Engagement | None = None,
    change_request: ChangeRequest | None = None,
    now: datetime.datetime | None = None,
    **fields,
) -> Engagement:
    """Creates or updates a Configuration Support engagement; the add-on follows an active engagement.

    With `change_request` (an accepted request for Configuration Support), the save is recorded as applying it.
    """
    _require_editor(actor)
    if change_request is not None:
        changes.check_applicable(change_request, organization=contract.organization)
    batch = f"change {uuid.uuid4().hex[:12]}"
    engagement = engagement_write(actor=actor, contract=contract, engagement=engagement, batch=batch, **fields)
    if change_request is not None:
        changes.mark_applied(change_request, actor=actor, batch=batch, now=now or timezone.now())
    return engagement


def engagement_write(
    *, actor: User, contract: Contract, engagement: Engagement | None = None, batch: str = "", **fields
) -> Engagement:
    """The engagement's write, for services that have already decided the actor may make it (quote acceptance)."""
    engagement = engagement or Engagement(contract=contract)
    for name, value in fields.items():
        setattr(engagement, name, value)
    _save(engagement, actor, batch)
    if engagement.status == Engagement.Status.ACTIVE:
        add_on = AddOn.objects.filter(contract=contract, kind=AddOn.Kind.CONFIGURATION_SUPPORT).first()
        if add_on is None:
            _save(AddOn(contract=contract, kind=AddOn.Kind.CONFIGURATION_SUPPORT), actor, batch)
        elif not add_on.is_active:
            add_on.is_active = True
            _save(add_on, actor, batch)
    return engagement


def connector_add(*, contract: Contract, connector: Connector, actor: User, batch: str) -> None:
    """Adds a connector to the contract, recorded in its history, for services that decided it (quote acceptance)."""
    if contract.connectors.filter(pk=connector.pk).exists():
        return
    contract._history_user = actor
    contract._change_reason = batch
    contract.connectors.add(connector)
