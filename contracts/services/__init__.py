"""Writes to contracts. Each public function is one transaction and records who made the change.

- `contract`: contracts with their add-ons, connectors and Slack channels, and engagements.
"""

from contracts.services.contract import contract_save, contract_update_fields, engagement_save

__all__ = ["contract_save", "contract_update_fields", "engagement_save"]
