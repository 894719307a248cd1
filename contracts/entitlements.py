"""The one place that turns a contract into entitlements: tier, channels, targets, hours.

Every other part of the portal asks `entitlements_for()`; nothing else derives a tier.

Each process keeps the answers it worked out (the `entitlements` cache) by organization, support day and the
contracts' change stamp, a value PostgreSQL replaces in the same transaction as any write to contracts, add-ons,
engagements, connectors, Slack channels or response targets (contracts/migrations/0005). Reading the stamp is one
query; an answer found under it is exactly what the six queries below would give.
"""

import dataclasses
import datetime
from dataclasses import dataclass, field

from django.core.cache import caches
from django.db import connection
from django.utils import timezone

from contracts.models import (
    AddOn,
    Channel,
    Contract,
    Engagement,
    Plan,
    ResponseTarget,
    SlackChannel,
    TargetSource,
    Tier,
    priority_rank,
)
from contracts.periods import ContractYear, contract_year, prorated_minutes
from portal.clock import support_date
from portal.models import Organization


@dataclass(frozen=True)
class TargetRule:
    source: str  # TargetSource
    priority: str
    target_minutes: int
    calendar: str  # CalendarKind


@dataclass(frozen=True)
class Allotment:
    """The Solution Architect hours of one contract year."""

    contract_id: int
    period: ContractYear
    minutes: int
    increment_minutes: int
    rollover: bool
    overage_approved: bool

    @property
    def period_start(self) -> datetime.date:
        return self.period.start

    @property
    def period_end(self) -> datetime.date:
        return self.period.end


@dataclass(frozen=True)
class Entitlements:
    organization: Organization
    contract: Contract | None
    tier: str | None  # Tier, or None without an active contract
    premium: bool = False
    configuration_support: bool = False
    slack_add_on: bool = False
    channels: frozenset[str] = frozenset()
    response_targets: tuple[TargetRule, ...] = ()
    allotment: Allotment | None = None
    engagements: tuple[Engagement, ...] = ()
    connector_ids: frozenset[int] = frozenset()
    slack_channel_ids: tuple[str, ...] = ()
    escalation_channel: str = ""
    add_ons: tuple[str, ...] = field(default=())

    @property
    def has_contract(self) -> bool:
        return self.contract is not None

    @property
    def contract_id_with_allotment(self) -> int | None:
        """The contract whose yearly SA hours apply, or None without an allotment."""
        return self.allotment.contract_id if self.allotment else None

    def allows(self, channel: str) -> bool:
        return channel in self.channels

    def targets_for(self, priority: str) -> list[TargetRule]:
        return [rule for rule in self.response_targets if rule.priority == priority]

    @property
    def slack_engagement(self) -> bool:
        return any(e.via_slack for e in self.engagements)


def support_tier(plan: str, add_on_kinds) -> str:
    """SPEC's rule: the Enterprise plan or the Enterprise add-on gives Enterprise, otherwise Standard."""
    if plan == Plan.ENTERPRISE or AddOn.Kind.ENTERPRISE_SUPPORT in add_on_kinds:
        return Tier.ENTERPRISE
    return Tier.STANDARD


def allowed_channels(*, tier: str | None, premium: bool, slack_add_on: bool, slack_engagement: bool) -> frozenset[str]:
    """SPEC's channel table. Portal, API and email are open to everyone (with no contract: no target)."""
    channels = {Channel.PORTAL, Channel.EMAIL}
    if (tier == Tier.ENTERPRISE and slack_add_on) or slack_engagement:
        channels.add(Channel.SLACK)
    if premium:
        channels.add(Channel.ESCALATION)
    return frozenset(str(c) for c in channels)


def _contracts_in_force(organization_ids, *, on: datetime.date) -> dict[int, Contract]:
    """Each organization's contract in force on a day (the latest one when several overlap): four queries."""
    contracts = (
        Contract.objects.active(on=on)
        .filter(organization_id__in=organization_ids)
        .prefetch_related("add_ons", "connectors", "engagements")
        .order_by("organization_id", "-term_start", "-pk")
    )
    found: dict[int, Contract] = {}
    for contract in contracts:
        found.setdefault(contract.organization_id, contract)
    return found


def entitlements_for(organization: Organization, *, at: datetime.datetime | None = None) -> Entitlements:
    """What the organization is entitled to at a moment (now by default), from its contract in force."""
    return entitlements_for_many([organization], at=at)[organization.pk]


def entitlements_for_many(organizations, *, at: datetime.datetime | None = None) -> dict[int, Entitlements]:
    """`entitlements_for()` of several organizations at one moment, by organization id: one query for the
    contracts' change stamp, and for the organizations this process has no answer for under it, six more and the
    stamp again (an answer is kept only when no contract write committed while it was read).

    Pages and endpoints that list organizations ask this once, never `entitlements_for()` per row.
    """
    at = at or timezone.now()
    if timezone.is_naive(at):
        raise ValueError("entitlements_for() needs an aware datetime.")
    organizations = list(organizations)
    day = support_date(at)
    stamp = contracts_stamp()
    if stamp is None:
        return _entitlements_of(organizations, day)
    cache = caches["entitlements"]
    keys = {o.pk: f"{o.pk}:{day.isoformat()}:{stamp}" for o in organizations}
    kept = cache.get_many(keys.values())
    missing = [o for o in organizations if keys[o.pk] not in kept]
    found = _entitlements_of(missing, day) if missing else {}
    # Each of the six queries sees what was committed when it ran: kept only if no write committed meanwhile.
    if found and contracts_stamp() == stamp:
        # Kept without the organization, which is the caller's: the answer is put back on the instance asked about.
        cache.set_many({keys[pk]: dataclasses.replace(e, organization=None) for pk, e in found.items()})
    for o in organizations:
        if o.pk not in found:
            found[o.pk] = dataclasses.replace(kept[keys[o.pk]], organization=o)
    return found


def contracts_stamp() -> str | None:
    """The contracts' change stamp as this statement sees it (the transaction's own writes included), or None
    where the database keeps none (SQLite, in the demo)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT stamp FROM contracts_entitlements_stamp WHERE id = 1")
        row = cursor.fetchone()
    return str(row[0]) if row else None


def _entitlements_of(organizations: list[Organization], day: datetime.date) -> dict[int, Entitlements]:
    """The six queries: contracts in force with their add-ons, connectors and engagements; Slack channels; targets."""
    ids = [o.pk for o in organizations]
    contracts = _contracts_in_force(ids, on=day)
    slack_ids: dict[int, list[str]] = {}
    for organization_id, channel_id in (
        SlackChannel.objects.filter(organization_id__in=ids)
        .order_by("channel_id")
        .values_list("organization_id", "channel_id")
    ):
        slack_ids.setdefault(organization_id, []).append(channel_id)
    targets = list(ResponseTarget.objects.all())
    return {
        o.pk: _entitlements(o, contracts.get(o.pk), tuple(slack_ids.get(o.pk, ())), targets, day) for o in organizations
    }


def _entitlements(organization, contract, slack_ids, targets, day) -> Entitlements:
    if contract is None:
        return Entitlements(
            organization=organization,
            contract=None,
            tier=None,
            channels=allowed_channels(tier=None, premium=False, slack_add_on=False, slack_engagement=False),
            slack_channel_ids=slack_ids,
        )
    add_ons = tuple(sorted(a.kind for a in contract.add_ons.all() if a.is_active))
    tier = support_tier(contract.plan, add_ons)
    premium = AddOn.Kind.PREMIUM_SUPPORT in add_ons
    engagements = tuple(e for e in contract.engagements.all() if e.status == Engagement.Status.ACTIVE)
    slack_add_on = AddOn.Kind.SLACK_CHANNEL in add_ons
    rules = _rules(targets, tier=tier, premium=premium)
    allotment = None
    if tier == Tier.ENTERPRISE and contract.sa_hours_per_year > 0:
        period = contract_year(contract.term_start, contract.term_end, day)
        yearly_minutes = int(contract.sa_hours_per_year * 60)
        allotment = Allotment(
            contract_id=contract.pk,
            period=period,
            minutes=prorated_minutes(yearly_minutes, contract.term_start, period),
            increment_minutes=contract.rounding_increment_minutes,
            rollover=contract.rollover,
            overage_approved=contract.overage_approved,
        )
    return Entitlements(
        organization=organization,
        contract=contract,
        tier=tier,
        premium=premium,
        configuration_support=AddOn.Kind.CONFIGURATION_SUPPORT in add_ons or bool(engagements),
        slack_add_on=slack_add_on,
        channels=allowed_channels(
            tier=tier,
            premium=premium,
            slack_add_on=slack_add_on,
            slack_engagement=any(e.via_slack for e in engagements),
        ),
        response_targets=rules,
        allotment=allotment,
        engagements=engagements,
        connector_ids=frozenset(c.pk for c in contract.connectors.all()),
        slack_channel_ids=slack_ids,
        escalation_channel=contract.escalation_channel if premium else "",
        add_ons=add_ons,
    )


def _rules(targets: list[ResponseTarget], *, tier: str, premium: bool) -> tuple[TargetRule, ...]:
    sources = [tier] + ([TargetSource.PREMIUM] if premium else [])
    return tuple(
        TargetRule(source=t.source, priority=t.priority, target_minutes=t.target_minutes, calendar=t.calendar)
        for t in _targets_of(targets, sources)
    )


def entitlements_as_if(entitlements: Entitlements, *, add_ons) -> Entitlements:
    """The organization's entitlements had its contract these add-ons as well: the tier, Premium, channels and
    targets a change of support level would give (one query). Without a contract there is nothing to change."""
    if entitlements.contract is None:
        return entitlements
    kinds = tuple(sorted(set(entitlements.add_ons) | set(add_ons)))
    tier = support_tier(entitlements.contract.plan, kinds)
    premium = AddOn.Kind.PREMIUM_SUPPORT in kinds
    slack_add_on = AddOn.Kind.SLACK_CHANNEL in kinds
    return dataclasses.replace(
        entitlements,
        tier=tier,
        premium=premium,
        slack_add_on=slack_add_on,
        add_ons=kinds,
        response_targets=_rules(list(ResponseTarget.objects.all()), tier=tier, premium=premium),
        channels=allowed_channels(
            tier=tier, premium=premium, slack_add_on=slack_add_on, slack_engagement=entitlements.slack_engagement
        ),
    )


def _targets_of(targets: list[ResponseTarget], sources: list[str]) -> list[ResponseTarget]:
    """The targets of the given policies, most urgent priority first, the tier's policy before Premium's."""
    order = {source: i for i, source in enumerate(sources)}
    rows = [t for t in targets if t.source in order]
    return sorted(rows, key=lambda t: (priority_rank(t.priority), order[t.source]))
