"""Account managers' writes: credits and debits of hours with a reason, and overage approval."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import Contract, Engagement
from hours import rules
from hours.models import LedgerEntry
from hours.services import ledger
from portal import clock, roles
from portal.models import User
from portal.refusals import Refusal

MAX_ADJUSTMENT_MINUTES = 1000 * 60


def _require_manager(actor: User) -> None:
    if not roles.may_manage_hours(actor):
        raise PermissionDenied("Only account managers adjust hours and approve overage.")


@transaction.atomic
def hours_adjust(
    *,
    actor: User,
    contract: Contract,
    minutes,
    reason: str,
    on: datetime.date | None = None,
    engagement: Engagement | None = None,
    now: datetime.datetime | None = None,
) -> LedgerEntry:
    """An account manager's credit (+) or debit (-) of a contract year (the one containing `on`) or an engagement."""
    now = now or timezone.now()
    _require_manager(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: the customer reads the reason on their statement."})
    try:
        minutes = rules.whole_minutes(minutes, signed=True)
    except ValueError:
        raise ValidationError({"minutes": rules.WHOLE_SIGNED_MINUTES}) from None
    if minutes == 0 or abs(minutes) > MAX_ADJUSTMENT_MINUTES:
        raise ValidationError(
            {"minutes": f"Enter a non-zero number of minutes, at most {MAX_ADJUSTMENT_MINUTES} either way."}
        )
    if engagement is not None:
        if engagement.contract_id != contract.pk:
            raise ValidationError({"engagement": "The engagement belongs to another contract."})
        balance = ledger.lock_engagement(engagement=engagement, now=now)
        period_start = None
    else:
        _, allotment = rules.balance_year(contract, on=on or clock.support_today(now))
        balance = ledger.lock_year(contract=contract, allotment=allotment, now=now)
        period_start = allotment.period_start
    if minutes < 0 and balance.balance_minutes + minutes < 0:
        raise Refusal(
            "allotment_exhausted",
            f"A debit of {-minutes} minutes would take the balance below zero: {balance.remaining_minutes} minutes "
            "are left.",
            remaining_minutes=balance.remaining_minutes,
        )
    row = ledger.write(
        LedgerEntry(
            contract=contract,
            engagement=engagement,
            period_start=period_start,
            kind=LedgerEntry.Kind.ADJUSTMENT,
            minutes=minutes,
            reason=reason[:300],
            actor=actor,
            created_at=now,
        )
    )
    remaining_before = balance.remaining_minutes
    balance.adjusted_minutes += minutes
    balance.save(update_fields=["adjusted_minutes", "updated_at"])
    ledger.carry_forward(balance, remaining_before, now=now)
    ledger.usage_check_after_commit(contract.pk, period_start)
    return row


@transaction.atomic
def overage_set(*, actor: User, contract: Contract, approved: bool) -> Contract:
    """Approves (or withdraws) overage on a contract; the contract's history records who and when."""
    _require_manager(actor)
    return contract_services.contract_update_fields(actor=actor, contract=contract, overage_approved=approved)
