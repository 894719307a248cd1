"""Contracts: what each customer organization bought, and so what support it is entitled to.

- `contract`: contracts, add-ons, connectors, Slack channels, engagements and the response-target table.
- `changes`: a customer's request to change their support level.
- `plans`: the milestones of an engagement's plan.
- `quotes`: quotes for connectors outside the contract.

Only `contracts.entitlements.entitlements_for()` turns these rows into a tier, channels and targets.
"""

from contracts.models.changes import ChangeRequest, ChangeRequestQuerySet
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
from contracts.models.plans import Milestone, MilestoneQuerySet
from contracts.models.quotes import Currency, Quote, QuoteQuerySet

__all__ = [
    "PRIORITY_RANKS",
    "AddOn",
    "CalendarKind",
    "ChangeRequest",
    "ChangeRequestQuerySet",
    "Channel",
    "Connector",
    "Contract",
    "Currency",
    "ContractQuerySet",
    "Engagement",
    "EngagementQuerySet",
    "Milestone",
    "MilestoneQuerySet",
    "Plan",
    "Priority",
    "Quote",
    "QuoteQuerySet",
    "ResponseTarget",
    "SlackChannel",
    "TargetSource",
    "Tier",
    "describe_target",
    "priority_rank",
]
