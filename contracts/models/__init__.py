"""Contracts: what each customer organization bought, and so what support it is entitled to.

- `contract`: contracts, add-ons, connectors, Slack channels, engagements and the response-target table.

Only `contracts.entitlements.entitlements_for()` turns these rows into a tier, channels and targets.
"""

from contracts.models.contract import (
    PRIORITY_RANKS,
    AddOn,
    CalendarKind,
    Channel,
    Connector,
    Contract,
    ContractQuerySet,
    Engagement,
    EngagementQuerySet,
    Plan,
    Priority,
    ResponseTarget,
    SlackChannel,
    TargetSource,
    Tier,
    describe_target,
    priority_rank,
)

__all__ = [
    "PRIORITY_RANKS",
    "AddOn",
    "CalendarKind",
    "Channel",
    "Connector",
    "Contract",
    "ContractQuerySet",
    "Engagement",
    "EngagementQuerySet",
    "Plan",
    "Priority",
    "ResponseTarget",
    "SlackChannel",
    "TargetSource",
    "Tier",
    "describe_target",
    "priority_rank",
]
