"""The ledger's own writes: opening a balance with its grant, debits, reversals, and keeping rollover true.

Callers hold a transaction; every balance is locked (hours.services.locks) before its rows are written, and
the balance's running sums change in the same transaction as the rows they sum.
"""

import contextlib
import datetime
import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from contracts.entitlements import Allotment
from contracts.models import Contract, Engagement
from hours import rules, tasks
from hours.models import HoursBalance, LedgerEntry, TimeEntry
from hours.services import locks
from portal.models import User
from portal.refusals import Refusal
from portal.templatetags.portal_format import hours as as_hours

logger = logging.getLogger(__name__)

# Rows are built from objects this transaction has just read, so their foreign keys need no second look-up;
# and their check constraints, which the service has already applied, are enforced by the database.
_LEDGER_FKS = ["contract", "engagement", "entry", "reverses", "actor"]


def write(row: LedgerEntry) -> LedgerEntry:
    row.full_clean(exclude=_LEDGER_FKS, validate_unique=False, validate_constraints=False)
    row.save(force_insert=True)
    return row


def _open_year(contract: Contract, allotment: Allotment, *, now) -> None:
    """Creates a contract year's balance with its grant (and rollover); an IntegrityError if one exists."""
    grant = rules.year_grant(
        contract,
        allotment.period,
        allotment,
        remaining_of=lambda previous: lock_year(contract=contract, allotment=previous, now=now).remaining_minutes,
    )
    with transaction.atomic():
        HoursBalance.objects.create(
            contract=contract,
            period_start=allotment.period_start,
            period_end=allotment.period_end,
            allotment_minutes=grant.allotment,
            granted_minutes=grant.total,
        )
        write(
            LedgerEntry(
                contract=contract,
                period_start=allotment.period_start,
                kind=LedgerEntry.Kind.GRANT,
                minutes=grant.allotment,
                reason=f"Allotment of the contract year {allotment.period_start} to {allotment.period_end}.",
                created_at=now,
            )
        )
        if grant.rollover:
            write(
                LedgerEntry(
                    contract=contract,
                    period_start=allotment.period_start,
                    kind=LedgerEntry.Kind.ROLLOVER,
                    minutes=grant.rollover,
                    reason="Unused minutes of the previous contract year (the contract rolls them over).",
                    created_at=now,
                )
            )


def _true_up(balance: HoursBalance, expected: int, *, now, what: str) -> None:
    """Records a change of the contract's hours (or an engagement's quote) made since the grant."""
    base = balance.allotment_minutes
    if base == expected:
        return
    write(
        LedgerEntry(
            contract_id=balance.contract_id,
            engagement_id=balance.engagement_id,
            period_start=balance.period_start,
            kind=LedgerEntry.Kind.ALLOTMENT_CHANGE,
            minutes=expected - base,
            reason=f"{what} changed from {as_hours(base)} to {as_hours(expected)} hours.",
            created_at=now,
        )
    )
    balance.granted_minutes += expected - base
    balance.allotment_minutes = expected
    balance.save(update_fields=["granted_minutes", "allotment_minutes", "updated_at"])


def lock_year(*, contract: Contract, allotment: Allotment, now=None) -> HoursBalance:
    """The contract year's balance, locked for this transaction; its grant is written the first time."""
    now = now or timezone.now()
    rows = locks.year_rows(contract.pk, allotment.period_start)
    balance = rows.first()
    if balance is None:
        # Another transaction may open the year first (an IntegrityError here): its row is committed then.
        with contextlib.suppress(IntegrityError):
            _open_year(contract, allotment, now=now)
        balance = rows.get()
    _true_up(balance, allotment.minutes, now=now, what="The contract's yearly allotment")
    return balance


def lock_engagement(*, engagement: Engagement, now=None) -> HoursBalance:
    """The engagement's balance (its quoted hours), locked for this transaction; granted the first time."""
    now = now or timezone.now()
    rows = locks.engagement_rows(engagement.pk)
    balance = rows.first()
    quoted = rules.engagement_minutes(engagement)
    if balance is None:
        # Another transaction may open the engagement first (an IntegrityError here): its row is committed then.
        with contextlib.suppress(IntegrityError), transaction.atomic():
            HoursBalance.objects.create(
                contract=engagement.contract,
                engagement=engagement,
                allotment_minutes=quoted,
                granted_minutes=quoted,
            )
            write(
                LedgerEntry(
                    contract=engagement.contract,
                    engagement=engagement,
                    kind=LedgerEntry.Kind.GRANT,
                    minutes=quoted,
                    reason=f"Quoted hours of the engagement “{engagement}”.",
                    created_at=now,
                )
            )
        balance = rows.get()
    _true_up(balance, quoted, now=now, what="The engagement's quote")
    return balance


def lock_target(target: rules.Target, *, now) -> HoursBalance:
    if target.engagement is not None:
        return lock_engagement(engagement=target.engagement, now=now)
    return lock_year(contract=target.contract, allotment=target.allotment, now=now)


def carry_forward(balance: HoursBalance, remaining_before: int, *, now) -> None:
    """Keeps a rolled-over amount true when its year changes after the next year has opened.

    Late entries (inside the lock window), voids and adjustments can change a closed year; with
    rollover on, the next year's grant follows through an allotment-change row, never silently.
    """
    if balance.engagement_id is not None:
        return
    delta = balance.remaining_minutes - remaining_before
    if not delta or not Contract.objects.filter(pk=balance.contract_id, rollover=True).exists():
        return
    following = locks.lock_following_year(balance)
    if following is None:
        return
    following_before = following.remaining_minutes
    write(
        LedgerEntry(
            contract_id=balance.contract_id,
            period_start=following.period_start,
            kind=LedgerEntry.Kind.ALLOTMENT_CHANGE,
            minutes=delta,
            reason=(
                f"Rollover corrected: the contract year {balance.period_start} to {balance.period_end} "
                "changed after this year opened."
            ),
            created_at=now,
        )
    )
    following.granted_minutes += delta
    following.save(update_fields=["granted_minutes", "updated_at"])
    carry_forward(following, following_before, now=now)


def debit(balance: HoursBalance, target: rules.Target, entry: TimeEntry, *, actor: User, now) -> list[LedgerEntry]:
    """Writes the entry's debit (and overage, when approved) to a locked balance, or refuses an overdraw."""
    minutes = entry.minutes_debited
    available = balance.balance_minutes
    remaining_before = balance.remaining_minutes
    # Read the flag under the lock: an account manager may have changed it since the entitlements were read.
    overage_approved = Contract.objects.filter(pk=target.contract.pk).values_list("overage_approved", flat=True)[0]
    overdraws = minutes > max(0, available)
    if overdraws and not overage_approved:
        raise Refusal(
            "allotment_exhausted",
            f"Only {as_hours(max(0, available))} h ({max(0, available)} minutes) are left in {target.label}; "
            f"this entry needs {minutes} minutes. An account manager can approve overage or add hours.",
            remaining_minutes=max(0, available),
            needed_minutes=minutes,
        )
    within, excess = rules.debit_split(minutes, available, _open_overage(balance) if overdraws else 0)
    common = {
        "contract": target.contract,
        "engagement": target.engagement,
        "period_start": target.period_start,
        "entry": entry,
        "actor": actor,
        "created_at": now,
    }
    rows = []
    if within:
        rows.append(write(LedgerEntry(kind=LedgerEntry.Kind.DEBIT, minutes=-within, **common)))
    if excess:
        rows.append(
            write(
                LedgerEntry(
                    kind=LedgerEntry.Kind.OVERAGE,
                    minutes=-excess,
                    reason="Past the balance, with overage approved by an account manager.",
                    **common,
                )
            )
        )
    balance.used_minutes += minutes
    balance.save(update_fields=["used_minutes", "updated_at"])
    carry_forward(balance, remaining_before, now=now)
    return rows


def _open_overage(balance: HoursBalance) -> int:
    """Minutes of the balance's overage rows that no reversal has given back."""
    rows = LedgerEntry.objects.filter(
        contract_id=balance.contract_id, kind=LedgerEntry.Kind.OVERAGE, reversed_by__isnull=True
    )
    if balance.engagement_id:
        rows = rows.filter(engagement_id=balance.engagement_id)
    else:
        rows = rows.filter(engagement__isnull=True, period_start=balance.period_start)
    return -sum(rows.values_list("minutes", flat=True))


def _open_rows(entry: TimeEntry):
    return entry.ledger_entries.filter(
        kind__in=[LedgerEntry.Kind.DEBIT, LedgerEntry.Kind.OVERAGE], reversed_by__isnull=True
    ).order_by("pk")


def lock_entry_balances(entry: TimeEntry) -> list[HoursBalance]:
    """The balance rows the entry's open debits sit on, locked."""
    return locks.lock_balances(set(_open_rows(entry).values_list("contract_id", "engagement_id", "period_start")))


def reverse(entry: TimeEntry, balances: list[HoursBalance], *, actor: User, reason: str, now) -> int:
    """Writes a reversal for each open debit of the entry; returns the minutes given back."""
    by_key = {(b.engagement_id, b.period_start): b for b in balances}
    remaining_before = {b.pk: b.remaining_minutes for b in balances}
    returned = 0
    for row in list(_open_rows(entry)):
        write(
            LedgerEntry(
                contract_id=row.contract_id,
                engagement_id=row.engagement_id,
                period_start=row.period_start,
                kind=LedgerEntry.Kind.REVERSAL,
                minutes=-row.minutes,
                entry=entry,
                reverses=row,
                reason=reason[:300],
                actor=actor,
                created_at=now,
            )
        )
        balance = by_key[(row.engagement_id, None if row.engagement_id else row.period_start)]
        balance.used_minutes += row.minutes  # the row's minutes are negative
        returned -= row.minutes
    for balance in balances:
        balance.save(update_fields=["used_minutes", "updated_at"])
        carry_forward(balance, remaining_before[balance.pk], now=now)
    return returned


def usage_check_after_commit(contract_id: int, period_start: datetime.date | None) -> None:
    """Queues the 75/90/100% check of a contract year once the transaction commits."""
    if period_start is None:
        return

    def enqueue():
        try:
            tasks.usage_notices_check.delay(contract_id, period_start.isoformat())
        except Exception:  # the periodic sweep sends what this missed
            logger.exception("Could not enqueue the hours usage check of contract %s", contract_id)

    transaction.on_commit(enqueue)
