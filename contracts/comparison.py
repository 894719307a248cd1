"""Comparing support levels for a customer: the levels side by side, and what another level would have meant for
their own recent tickets (the deadline each got, and the one it would have had)."""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from contracts.entitlements import Entitlements, entitlements_as_if
from contracts.models import AddOn, Priority, ResponseTarget, TargetSource, Tier, describe_target

LOOKBACK_DAYS = 90

# The levels a customer can compare theirs with: (key, name, add-ons it takes).
LEVELS = (
    ("enterprise", "Enterprise support", (AddOn.Kind.ENTERPRISE_SUPPORT,)),
    ("premium", "Premium support", (AddOn.Kind.PREMIUM_SUPPORT,)),
    (
        "enterprise_premium",
        "Enterprise support with Premium",
        (AddOn.Kind.ENTERPRISE_SUPPORT, AddOn.Kind.PREMIUM_SUPPORT),
    ),
)


def level_name(entitlements: Entitlements) -> str:
    if entitlements.tier is None:
        return "no contract in force"
    name = f"{Tier(entitlements.tier).label} support"
    return f"{name} with Premium" if entitlements.premium else name


def other_levels(entitlements: Entitlements) -> list[tuple[str, str, tuple[str, ...]]]:
    """The levels that would change something for this customer (those it does not have already)."""
    if entitlements.contract is None:
        return []
    found = []
    for key, name, add_ons in LEVELS:
        as_if = entitlements_as_if(entitlements, add_ons=add_ons)
        if (as_if.tier, as_if.premium) != (entitlements.tier, entitlements.premium):
            found.append((key, name, add_ons))
    return found


def target_table() -> list[dict]:
    """The response-target table by priority, as the portal states each target: one row per priority."""
    by_key = {
        (t.source, t.priority): describe_target(t.target_minutes, t.calendar) for t in ResponseTarget.objects.all()
    }
    return [
        {
            "priority": label,
            "standard": by_key.get((TargetSource.STANDARD, value), "—"),
            "enterprise": by_key.get((TargetSource.ENTERPRISE, value), "—"),
            "premium": by_key.get((TargetSource.PREMIUM, value), "—"),
        }
        for value, label in Priority.choices
    ]


def recent_tickets(organization, *, now: datetime.datetime | None = None) -> QuerySet:
    """The organization's tickets of the last 90 days, newest first."""
    from tickets.models import Ticket

    since = (now or timezone.now()) - datetime.timedelta(days=LOOKBACK_DAYS)
    return Ticket.objects.filter(organization=organization, received_at__gte=since).order_by("-received_at", "-pk")


@dataclass(frozen=True)
class WhatIf:
    """One ticket: the deadline it got, and the one it would have had under the other level."""

    ticket: object
    had: object  # tickets.sla.Deadline
    would_have: object  # tickets.sla.Deadline

    @property
    def gained(self) -> datetime.timedelta | None:
        """How much earlier the other level's deadline is (negative: later); None when either has none."""
        if self.had.due_at is None or self.would_have.due_at is None:
            return None
        return self.had.due_at - self.would_have.due_at

    @property
    def is_earlier(self) -> bool:
        if self.would_have.due_at is None:
            return False
        return self.had.due_at is None or self.would_have.due_at < self.had.due_at

    @property
    def met_then(self) -> bool | None:
        """Whether the first response we gave would have met the other level's deadline (None: no answer yet)."""
        answered = self.ticket.first_response_at
        if answered is None or self.would_have.due_at is None:
            return None
        return answered <= self.would_have.due_at


def what_if(tickets, entitlements: Entitlements, add_ons) -> list[WhatIf]:
    """For each ticket: its deadline, and the deadline the level with `add_ons` would have given it (no query per
    ticket: the closure days are read once)."""
    from tickets import sla
    from tickets.calendars import closure_changes

    as_if = entitlements_as_if(entitlements, add_ons=add_ons)
    changes = closure_changes()
    rows = []
    for ticket in tickets:
        rows.append(
            WhatIf(
                ticket=ticket,
                had=sla.deadline_of(ticket),
                would_have=sla.resolve_deadline(
                    as_if,
                    kind=ticket.kind,
                    channel=ticket.channel,
                    priority=ticket.priority,
                    received_at=ticket.received_at,
                    changes=changes,
                ),
            )
        )
    return rows


def what_if_summary(rows: list[WhatIf]) -> dict:
    earlier = [r for r in rows if r.is_earlier]
    gains = [r.gained for r in earlier if r.gained is not None]
    return {
        "tickets": len(rows),
        "earlier": len(earlier),
        "median_gain": sorted(gains)[len(gains) // 2] if gains else None,
    }
