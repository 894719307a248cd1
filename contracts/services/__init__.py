"""Writes to contracts. Each public function is one transaction and records who made the change.

- `contract`: contracts with their add-ons, connectors and Slack channels, and engagements.
- `changes`: requests to change a support level, answered by the account manager, applied by a contract edit.
- `quotes`: quotes for connectors outside the contract, and what accepting one starts.
- `plans`: engagements' milestones, kept in the portal or synced from Asana.
"""

from contracts.services.changes import change_request_answer, change_request_open
from contracts.services.contract import contract_save, contract_update_fields, engagement_save
from contracts.services.plans import asana_sync_all, engagement_plan_sync, milestone_delete, milestone_save
from contracts.services.quotes import (
    quote_accept,
    quote_create,
    quote_decline,
    quote_send,
    quote_update,
    quotes_expire,
)

__all__ = [
    "asana_sync_all",
    "change_request_answer",
    "change_request_open",
    "contract_save",
    "contract_update_fields",
    "engagement_plan_sync",
    "engagement_save",
    "milestone_delete",
    "milestone_save",
    "quote_accept",
    "quote_create",
    "quote_decline",
    "quote_send",
    "quote_update",
    "quotes_expire",
]
