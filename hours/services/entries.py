"""Time entries: a Solution Architect logs, changes and voids time; each change is a debit or a reversal."""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from contracts.models import Connector, Engagement
from hours import rules
from hours.models import ENGAGEMENT_CATEGORIES, Category, TimeEntry, round_up
from hours.services import ledger, locks
from portal import roles
from portal.models import User
from portal.refusals import Refusal
from tickets.models import Ticket

# Rows are built from objects this transaction has just read: their foreign keys need no second look-up.
_ENTRY_FKS = ["architect", "organization", "contract", "ticket", "engagement", "connector", "voided_by"]


def _require_logger(architect: User) -> None:
    if not roles.may_log_time(architect):
        raise PermissionDenied("Only Solution Architects log time.")


def _check_lock(actor: User, *days: datetime.date, now) -> None:
    locked = [d for d in days if rules.is_locked(d, now=now)]
    if locked and not roles.may_manage_hours(actor):
        raise Refusal(
            "locked",
            f"Work dated {min(locked)} is past the {settings.HOURS_LOCK_DAYS}-day lock window (before "
            f"{rules.lock_date(now)}): only an account manager may log or change it.",
        )


def _require_changer(actor: User, entry: TimeEntry) -> None:
    if roles.may_manage_hours(actor):
        return
    if entry.architect_id != actor.pk or not roles.may_log_time(actor):
        raise PermissionDenied("Only the Solution Architect who logged an entry, or an account manager, changes it.")


@transaction.atomic
def time_entry_log(
    *,
    architect: User,
    category: str,
    minutes,
    work_date: datetime.date,
    ticket: Ticket | None = None,
    engagement: Engagement | None = None,
    connector: Connector | None = None,
    work_mode: str = "",
    note: str = "",
    now: datetime.datetime | None = None,
) -> TimeEntry:
    """Records a Solution Architect's time and debits it, rounded up, from the balance it belongs to.

    Work on an engagement says whether it was an online call or offline work (`work_mode`).
    """
    now = now or timezone.now()
    _require_logger(architect)
    minutes = rules.entry_minutes(minutes)
    work_date = rules.work_date_checked(work_date, now=now)
    target = rules.resolve_target(
        ticket=ticket, engagement=engagement, category=category, connector=connector, work_date=work_date
    )
    work_mode = rules.check_work_mode(work_mode, engagement=target.engagement)
    _check_lock(architect, work_date, now=now)
    balance = ledger.lock_target(target, now=now)
    entry = TimeEntry(
        architect=architect,
        organization=target.organization,
        contract=target.contract,
        ticket=ticket,
        engagement=target.engagement,
        category=category,
        connector=connector,
        work_date=work_date,
        minutes=minutes,
        minutes_debited=round_up(minutes, target.increment),
        period_start=target.period_start,
        work_mode=work_mode,
        note=note.strip(),
        created_at=now,
        updated_at=now,
    )
    entry.full_clean(exclude=_ENTRY_FKS, validate_constraints=False)
    entry._history_user = architect
    entry.save()
    ledger.debit(balance, target, entry, actor=architect, now=now)
    ledger.usage_check_after_commit(target.contract.pk, target.period_start)
    return entry


_KEEP = object()


@transaction.atomic
def time_entry_edit(
    *,
    actor: User,
    entry: TimeEntry,
    category: str | None = None,
    minutes=None,
    work_date: datetime.date | None = None,
    ticket=_KEEP,
    engagement=_KEEP,
    connector=_KEEP,
    work_mode: str | None = None,
    note: str | None = None,
    now: datetime.datetime | None = None,
) -> TimeEntry:
    """Changes an entry: a reversal of its old debit and a new debit, in one transaction (nothing is deleted)."""
    now = now or timezone.now()
    entry = locks.lock_entry(entry.pk)
    _require_changer(actor, entry)
    if entry.is_voided:
        raise ValidationError("A voided entry cannot be changed.")
    new_ticket = entry.ticket if ticket is _KEEP else ticket
    new_engagement = entry.engagement if engagement is _KEEP else engagement
    new_category = category or entry.category
    if new_category not in ENGAGEMENT_CATEGORIES and engagement is _KEEP:
        new_engagement = None
    new_connector = entry.connector if connector is _KEEP else connector
    if new_category != Category.INTEGRATION_SUPPORT and connector is _KEEP:
        new_connector = None
    new_minutes = entry.minutes if minutes is None else rules.entry_minutes(minutes)
    new_date = entry.work_date if work_date is None else rules.work_date_checked(work_date, now=now)
    _check_lock(actor, entry.work_date, new_date, now=now)
    target = rules.resolve_target(
        ticket=new_ticket,
        engagement=new_engagement,
        category=new_category,
        connector=new_connector,
        work_date=new_date,
    )
    new_mode = rules.check_work_mode(
        entry.work_mode if work_mode is None and target.engagement is not None else (work_mode or ""),
        engagement=target.engagement,
    )
    new_debit = round_up(new_minutes, target.increment)
    old_key = (
        ("engagement", entry.engagement_id) if entry.engagement_id else ("year", entry.contract_id, entry.period_start)
    )
    moves = old_key != target.key or new_debit != entry.minutes_debited
    if moves:
        balances = ledger.lock_entry_balances(entry)
        ledger.reverse(entry, balances, actor=actor, reason=f"Entry {entry.pk} edited.", now=now)
        target_balance = ledger.lock_target(target, now=now)
    entry.ticket = new_ticket
    entry.engagement = target.engagement
    entry.organization = target.organization
    entry.contract = target.contract
    entry.category = new_category
    entry.connector = new_connector
    entry.minutes = new_minutes
    entry.minutes_debited = new_debit
    entry.work_date = new_date
    entry.period_start = target.period_start
    entry.work_mode = new_mode
    if note is not None:
        entry.note = note.strip()
    entry.updated_at = now
    entry.full_clean(exclude=_ENTRY_FKS, validate_constraints=False)
    entry._history_user = actor
    entry.save()
    if moves:
        ledger.debit(target_balance, target, entry, actor=actor, now=now)
        ledger.usage_check_after_commit(target.contract.pk, target.period_start)
    return entry


@transaction.atomic
def time_entry_void(
    *, actor: User, entry: TimeEntry, reason: str = "", now: datetime.datetime | None = None
) -> TimeEntry:
    """Voids an entry: a reversal gives its minutes back; the entry and its debit stay on record."""
    now = now or timezone.now()
    entry = locks.lock_entry(entry.pk)
    _require_changer(actor, entry)
    if entry.is_voided:
        return entry
    _check_lock(actor, entry.work_date, now=now)
    balances = ledger.lock_entry_balances(entry)
    ledger.reverse(entry, balances, actor=actor, reason=f"Entry {entry.pk} voided. {reason}".strip(), now=now)
    entry.voided_at = now
    entry.voided_by = actor
    entry.void_reason = reason.strip()[:300]
    entry.updated_at = now
    entry.full_clean(exclude=_ENTRY_FKS, validate_constraints=False)
    entry._history_user = actor
    entry.save()
    return entry
