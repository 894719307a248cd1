"""The deadline a ticket gets when it arrives, and how a deadline maps onto a ticket's fields.

A deadline comes from the organization's entitlements (contracts.entitlements), the ticket's kind,
channel and priority, and the moment it was received. Where the tier's business-hours target and
Premium's 24/7 target both apply, the earliest deadline wins.
"""

import datetime
from dataclasses import dataclass, field

from contracts.entitlements import Entitlements, TargetRule
from contracts.models import Priority, ResponseTarget, TargetSource, Tier, describe_target
from tickets.calendars import calendar_for
from tickets.models import Kind, Ticket, TicketChannel


@dataclass(frozen=True)
class Candidate:
    """One policy's target and the deadline it gives."""

    policy: str
    target_minutes: int
    calendar: str
    due_at: datetime.datetime

    @property
    def describe(self) -> str:
        return describe_target(self.target_minutes, self.calendar)

    @property
    def label(self) -> str:
        return TargetSource(self.policy).label

    def as_json(self) -> dict:
        return {"policy": self.policy, "target_minutes": self.target_minutes, "calendar": self.calendar}


@dataclass(frozen=True)
class Deadline:
    """The first-response deadline of a ticket, or why it has none."""

    due_at: datetime.datetime | None
    policy: str | None = None
    target_minutes: int | None = None
    calendar: str | None = None
    clock_start: datetime.datetime | None = None
    at_risk_at: datetime.datetime | None = None
    candidates: tuple[Candidate, ...] = field(default=())
    note: str = ""

    @property
    def has_target(self) -> bool:
        return self.due_at is not None

    @property
    def policy_label(self) -> str:
        return TargetSource(self.policy).label if self.policy else ""

    def describe(self) -> str:
        return describe_target(self.target_minutes, self.calendar) if self.has_target else "no response target"


def intake_priority(channel: str, priority: str) -> str:
    """The priority a ticket arriving through `channel` gets: a direct email is always Normal (SPEC)."""
    return Priority.NORMAL if channel == TicketChannel.EMAIL else priority


# Premium speeds up answers to problems and questions. Configuration assistance (Configuration Support's work) and
# custom development or new features (feature requests, a new connector) are not part of it: whatever the add-ons,
# such a ticket never takes a Premium target and never pages the on-call team.
PREMIUM_EXCLUDED_KINDS = frozenset({Kind.CONFIGURATION_REQUEST, Kind.FEATURE_REQUEST, Kind.CONNECTOR_QUOTE})


def premium_covers(kind: str) -> bool:
    """True when the Premium add-on applies to a ticket of this kind (incidents and questions)."""
    return kind not in PREMIUM_EXCLUDED_KINDS


def target_rules(entitlements: Entitlements, *, kind: str, priority: str) -> list[TargetRule]:
    """The targets that apply to a ticket of this kind and priority: the tier's, and Premium's where it covers it."""
    rules = entitlements.targets_for(priority)
    if premium_covers(kind):
        return rules
    return [rule for rule in rules if rule.source != TargetSource.PREMIUM]


def pages_on_receipt(entitlements: Entitlements, *, kind: str, priority: str) -> bool:
    """True when a new ticket pages the on-call team: an urgent ticket that Premium covers."""
    return entitlements.premium and priority == Priority.URGENT and premium_covers(kind)


def no_target_reason(entitlements: Entitlements, *, kind: str, channel: str) -> str | None:
    """SPEC's list of tickets that are tracked without a response target; None when a target applies."""
    if not entitlements.has_contract:
        return "No active contract: the ticket is accepted without a response target and the account manager is told."
    if channel == TicketChannel.SLACK:
        return "Messages that arrive through Slack are tracked without a response target."
    if kind == Kind.CONNECTOR_QUOTE:
        return "A connector outside the contract is a new project: it is quoted, without a response target."
    if entitlements.tier == Tier.STANDARD and kind == Kind.FEATURE_REQUEST:
        return "Feature requests on Standard support are tracked without a response target."
    if kind == Kind.CONFIGURATION_REQUEST and entitlements.tier != Tier.ENTERPRISE:
        if entitlements.configuration_support:
            return "Configuration Support work is run as a project, without a response target."
        return "Custom configuration work on Standard support is tracked without a response target."
    return None


def at_risk_moment(calendar, start: datetime.datetime, due: datetime.datetime) -> datetime.datetime:
    """When 75% of the time from the clock's start to the deadline has elapsed, in the target's calendar."""
    return calendar.add(start, (calendar.elapsed(start, due) * 3) // 4)


def candidates_at(rules, start: datetime.datetime, changes=None) -> list[Candidate]:
    """Each rule's deadline counted from `start`; `rules` are TargetRules or stored candidate dicts."""
    found = []
    for rule in rules:
        policy = rule["policy"] if isinstance(rule, dict) else rule.source
        minutes = rule["target_minutes"] if isinstance(rule, dict) else rule.target_minutes
        kind = rule["calendar"] if isinstance(rule, dict) else rule.calendar
        due = calendar_for(kind, changes).add(start, datetime.timedelta(minutes=minutes))
        found.append(Candidate(policy=policy, target_minutes=minutes, calendar=kind, due_at=due))
    return found


def earliest(candidates: list[Candidate]) -> Candidate:
    # On a tie the tier's own policy is named: it was met without the add-on's help.
    return min(candidates, key=lambda c: (c.due_at, c.policy == TargetSource.PREMIUM))


def deadline_from_candidates(
    candidates: list[Candidate], *, start: datetime.datetime, changes=None, note: str = ""
) -> Deadline:
    winner = earliest(candidates)
    calendar = calendar_for(winner.calendar, changes)
    if not note:
        note = f"{winner.label} target of {winner.describe}"
        others = [c for c in candidates if c is not winner]
        if others:
            note += " wins over " + ", ".join(f"{c.label} ({c.describe})" for c in others)
    return Deadline(
        due_at=winner.due_at,
        policy=winner.policy,
        target_minutes=winner.target_minutes,
        calendar=winner.calendar,
        clock_start=start,
        at_risk_at=at_risk_moment(calendar, start, winner.due_at),
        candidates=tuple(candidates),
        note=note,
    )


def resolve_deadline(
    entitlements: Entitlements, *, kind: str, channel: str, priority: str, received_at: datetime.datetime, changes=None
) -> Deadline:
    """The first-response deadline of a ticket received at `received_at`, with the policy that set it."""
    reason = no_target_reason(entitlements, kind=kind, channel=channel)
    if reason:
        return Deadline(due_at=None, clock_start=received_at, note=reason)
    rules = target_rules(entitlements, kind=kind, priority=priority)
    if not rules:
        return Deadline(due_at=None, clock_start=received_at, note=f"No target is set for {priority} priority.")
    return deadline_from_candidates(candidates_at(rules, received_at, changes), start=received_at, changes=changes)


# A deadline on a ticket's fields -------------------------------------------------------------------


def apply_deadline(ticket: Ticket, deadline: Deadline) -> None:
    """Writes a deadline onto the ticket's snapshot fields (the caller saves)."""
    ticket.first_response_due_at = deadline.due_at
    ticket.at_risk_due_at = deadline.at_risk_at
    ticket.sla_policy = deadline.policy or ""
    ticket.sla_target_minutes = deadline.target_minutes
    ticket.sla_calendar = deadline.calendar or ""
    ticket.sla_clock_start = deadline.clock_start
    ticket.sla_candidates = [c.as_json() for c in deadline.candidates]
    ticket.sla_note = deadline.note[:300]


def deadline_of(ticket: Ticket) -> Deadline:
    """The deadline a ticket holds, read back from its snapshot."""
    return Deadline(
        due_at=ticket.first_response_due_at,
        policy=ticket.sla_policy or None,
        target_minutes=ticket.sla_target_minutes,
        calendar=ticket.sla_calendar or None,
        clock_start=ticket.sla_clock_start,
        at_risk_at=ticket.at_risk_due_at,
        note=ticket.sla_note,
    )


def snapshot_rules(ticket: Ticket, priority: str) -> list[TargetRule]:
    """The policies the ticket was given when it arrived, with the targets table's value for `priority`.

    A ticket keeps its policies: a contract ended or changed since does not take its target away.
    """
    sources = [c["policy"] for c in ticket.sla_candidates]
    return [
        TargetRule(source=t.source, priority=t.priority, target_minutes=t.target_minutes, calendar=t.calendar)
        for t in ResponseTarget.objects.filter(source__in=sources, priority=priority)
    ]
