"""Every row lock of the hours ledger, in one place and one order.

A write takes its locks in this order: the time entry first, then balance rows by contract, then year
(or engagement); a year's following year comes after it. Each lock takes only the rows meant
(`of=("self",)`): joined rows, such as the contract, are read, never locked, so that two writers on the
same contract wait for each other on one row and never hold two rows in opposite orders.
"""

import datetime

from hours.models import HoursBalance, TimeEntry


def _balances():
    return HoursBalance.objects.select_for_update(of=("self",))


def lock_entry(entry_id: int) -> TimeEntry:
    """The time entry, locked; its contract and organization come along unlocked."""
    return TimeEntry.objects.select_for_update(of=("self",)).select_related("contract", "organization").get(pk=entry_id)


def year_rows(contract_id: int, period_start: datetime.date):
    """The (at most one) balance row of a contract year, to lock with `.first()` or `.get()`."""
    return _balances().filter(contract_id=contract_id, period_start=period_start, engagement__isnull=True)


def engagement_rows(engagement_id: int):
    """The (at most one) balance row of an engagement, to lock with `.first()` or `.get()`."""
    return _balances().filter(engagement_id=engagement_id)


def lock_balances(keys) -> list[HoursBalance]:
    """The balance rows of `(contract_id, engagement_id, period_start)` keys, locked in the one order."""
    balances = []
    for contract_id, engagement_id, period_start in sorted(
        keys, key=lambda k: (k[0], k[1] or 0, k[2] or datetime.date.min)
    ):
        if engagement_id:
            balances.append(engagement_rows(engagement_id).get())
        else:
            balances.append(year_rows(contract_id, period_start).get())
    return balances


def lock_following_year(balance: HoursBalance) -> HoursBalance | None:
    """The balance row of the contract year after `balance`'s, locked; None when that year has not opened."""
    return year_rows(balance.contract_id, balance.period_end + datetime.timedelta(days=1)).first()
