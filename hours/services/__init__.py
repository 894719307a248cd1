"""Everything that writes hours: time entries and the ledger rows that debit, reverse, grant and adjust.

Each public function is one transaction. A write to a balance locks its `HoursBalance` row first
(hours.services.locks: SELECT ... FOR UPDATE on PostgreSQL), so two Solution Architects logging at the same
moment queue on the lock: the second sees the first's debit and can never overdraw.

- `entries`: log, change and void time entries.
- `adjustments`: account managers' credits and debits, and overage approval.
- `notices`: the 75/90/100% usage notices.
- `allotments`: a change of the contract's yearly hours or tier, written to the current year's ledger.
- `quotes`: quote requests for connectors outside the contract.
- `ledger` and `locks`: the ledger's own writes and every row lock, used by the modules above.
"""

from hours.services.adjustments import hours_adjust, overage_set
from hours.services.allotments import allotment_change
from hours.services.entries import time_entry_edit, time_entry_log, time_entry_void
from hours.services.ledger import lock_engagement, lock_year
from hours.services.notices import usage_notices_check, usage_notices_recheck, usage_notices_sweep
from hours.services.quotes import connector_quote_request

__all__ = [
    "allotment_change",
    "connector_quote_request",
    "hours_adjust",
    "lock_engagement",
    "lock_year",
    "overage_set",
    "time_entry_edit",
    "time_entry_log",
    "time_entry_void",
    "usage_notices_check",
    "usage_notices_recheck",
    "usage_notices_sweep",
]
