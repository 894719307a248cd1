"""A change of a contract's yearly hours, or of its tier, during a contract year: the year's allotment follows at once.

The contract service calls `allotment_change()` in the same transaction as the contract's save, so the statement,
the API and the usage notices read the new allotment as soon as the change is made, and the ledger says who made
it and why. (A change made elsewhere, in the Django admin say, is still caught up when the year's balance is next
locked; that row names no one.)
"""

import dataclasses
import datetime

from django.db import transaction
from django.utils import timezone

from contracts.entitlements import Allotment
from contracts.models import Contract
from hours.models import LedgerEntry
from hours.services import ledger, notices
from portal.models import User


@transaction.atomic
def allotment_change(
    *,
    contract: Contract,
    before: Allotment | None,
    after: Allotment | None,
    actor: User,
    reason: str,
    now: datetime.datetime | None = None,
) -> LedgerEntry | None:
    """Writes the difference between the contract year's allotment and `after` (None: no hours any more) as an
    allotment change, then re-evaluates the year's 75/90/100% notices. Returns the row, or None when nothing moved.

    `before` is the allotment the year had before the change (None when it had none): a year with no ledger yet
    opens with it, so the change shows as its own row.
    """
    now = now or timezone.now()
    if before is None and after is None:
        return None
    if before is not None and after is not None:
        if before.period_start != after.period_start:
            return None  # the term moved: the contract years are new, and each opens with its own grant
        if before.minutes == after.minutes:
            return None  # nothing to write; the year's ledger is opened when its hours are first used
    opening = before or dataclasses.replace(after, minutes=0)
    balance = ledger.lock_year(contract=contract, allotment=opening, now=now)
    expected = after.minutes if after is not None else 0
    delta = expected - balance.allotment_minutes
    if not delta:
        return None
    remaining_before = balance.remaining_minutes
    row = ledger.write(
        LedgerEntry(
            contract=contract,
            period_start=opening.period_start,
            kind=LedgerEntry.Kind.ALLOTMENT_CHANGE,
            minutes=delta,
            reason=reason[:300],
            actor=actor,
            created_at=now,
        )
    )
    balance.granted_minutes += delta
    balance.allotment_minutes = expected
    balance.save(update_fields=["granted_minutes", "allotment_minutes", "updated_at"])
    ledger.carry_forward(balance, remaining_before, now=now)
    notices.usage_notices_recheck(contract=contract, period_start=opening.period_start, now=now)
    return row
