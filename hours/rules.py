"""The rules of SPEC's "Hours" that reads and writes share: whole minutes, the lock window, which balance a
piece of work draws from, what a contract year is granted, and how a debit splits into overage.

Nothing here writes. `hours.selectors` and `hours.services` both build on this module; it imports neither.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from contracts.entitlements import Allotment, Entitlements, entitlements_for
from contracts.models import Connector, Contract, Engagement, Tier
from contracts.periods import ContractYear, contract_year
from hours.models import ALLOTMENT_CATEGORIES, ENGAGEMENT_CATEGORIES, MAX_ENTRY_MINUTES, Category, WorkMode
from portal import clock
from portal.models import Organization
from portal.refusals import Refusal
from tickets.models import Kind as TicketKind
from tickets.models import Ticket

# Whole minutes ----------------------------------------------------------------------------------

WHOLE_MINUTES = "Enter the minutes as a whole number, such as 45."
WHOLE_SIGNED_MINUTES = "Enter the minutes as a whole number, negative for a debit."


def whole_minutes(value, *, signed: bool = False) -> int:
    """An integer of minutes from what a person typed: 45, "45" (and "-45" when signed); ValueError otherwise.

    Time is whole minutes: 1.5, "1.5", "2.0", "١٢" (other digits), true and "abc" are all refused, never rounded.
    """
    if isinstance(value, bool | float):
        raise ValueError(value)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        digits = text[1:] if signed and text.startswith("-") else text
        if not (digits.isascii() and digits.isdigit()):
            raise ValueError(value)
        number = int(text)
    if number < 0 and not signed:
        raise ValueError(value)
    return number


def entry_minutes(value) -> int:
    """The minutes of one time entry: a whole number from 1 to a long working day; a ValidationError otherwise."""
    try:
        minutes = whole_minutes(value, signed=True)
    except ValueError:
        text = str(value).strip()[:20]
        raise ValidationError({"minutes": f"Enter the minutes as a whole number, such as 45 (got {text!r})."}) from None
    if minutes < 1:
        raise ValidationError({"minutes": "Minutes must be at least 1."})
    if minutes > MAX_ENTRY_MINUTES:
        raise ValidationError(
            {"minutes": f"One entry holds at most {MAX_ENTRY_MINUTES} minutes (16 hours); split longer work by day."}
        )
    return minutes


def work_date_checked(work_date, *, now=None) -> datetime.date:
    if not isinstance(work_date, datetime.date) or isinstance(work_date, datetime.datetime):
        raise ValidationError({"work_date": "Enter the work date as YYYY-MM-DD."})
    if work_date > clock.support_today(now):
        raise ValidationError({"work_date": f"The work date {work_date} is in the future."})
    return work_date


# The lock window --------------------------------------------------------------------------------


def lock_date(now: datetime.datetime | None = None) -> datetime.date:
    """Work dated before this day is locked: only an account manager may log or change it."""
    return clock.support_today(now) - datetime.timedelta(days=settings.HOURS_LOCK_DAYS)


def is_locked(work_date: datetime.date, *, now: datetime.datetime | None = None) -> bool:
    return work_date < lock_date(now)


# What a contract year is granted ------------------------------------------------------------------


def engagement_minutes(engagement: Engagement) -> int:
    """An engagement's quoted hours, in minutes."""
    return int(engagement.quoted_hours * 60)


def allotment_on(contract: Contract, period: ContractYear) -> Allotment | None:
    """The allotment of one of the contract's years, as the entitlements function states it."""
    ent = entitlements_for(contract.organization, at=clock.support_noon(period.start))
    if ent.contract is None or ent.contract.pk != contract.pk:
        return None
    return ent.allotment


@dataclass(frozen=True)
class Grant:
    """What a contract year starts with: its allotment, and what the previous year rolls over into it."""

    allotment: int
    rollover: int

    @property
    def total(self) -> int:
        return self.allotment + self.rollover


def previous_year(contract: Contract, period: ContractYear) -> ContractYear | None:
    """The contract year whose unused minutes roll into `period`; None without rollover or before the first year."""
    if not contract.rollover or period.start <= contract.term_start:
        return None
    return contract_year(contract.term_start, contract.term_end, period.start - datetime.timedelta(days=1))


def year_grant(
    contract: Contract,
    period: ContractYear,
    allotment: Allotment,
    *,
    remaining_of: Callable[[Allotment], int],
) -> Grant:
    """The grant of a contract year: its allotment plus, with rollover, the minutes the previous year left.

    `remaining_of(previous_allotment)` reads what the previous year left: the ledger opening a year locks
    that year's balance row, a page only reads it.
    """
    previous = previous_year(contract, period)
    if previous is None:
        return Grant(allotment.minutes, 0)
    previous_allotment = allotment_on(contract, previous)
    rollover = remaining_of(previous_allotment) if previous_allotment is not None else 0
    return Grant(allotment.minutes, rollover)


# Overage ----------------------------------------------------------------------------------------


def debit_split(debit: int, available: int, recorded_overage: int = 0) -> tuple[int, int]:
    """(within the allotment, overage) of a new debit, given the balance before it and the overage rows still open.

    The overage rows of a year always add up to how far its use passes its allotment. A void can give back
    minutes that were within the allotment while an older entry's overage rows stay on record: that overage
    is counted before any of the new debit is.
    """
    past_after = max(0, debit - available)  # how far use will pass the allotment once the debit is written
    overage = min(debit, max(0, past_after - recorded_overage))
    return debit - overage, overage


# Which balance a piece of work draws from -----------------------------------------------------------


@dataclass
class Target:
    """The balance a piece of work debits: a contract year's allotment, or an engagement's quoted hours."""

    organization: Organization
    contract: Contract
    increment: int
    allotment: Allotment | None = None
    engagement: Engagement | None = None
    entitlements: Entitlements | None = field(default=None, repr=False)

    @property
    def period_start(self) -> datetime.date | None:
        return self.allotment.period_start if self.allotment else None

    @property
    def key(self) -> tuple:
        return ("engagement", self.engagement.pk) if self.engagement else ("year", self.contract.pk, self.period_start)

    @property
    def label(self) -> str:
        if self.engagement is not None:
            return f"the engagement “{self.engagement}”"
        return f"{self.organization}'s contract year {self.allotment.period_start} to {self.allotment.period_end}"


def term_text(contract: Contract) -> str:
    return f"{contract.term_start} to {contract.term_end}"


def _no_contract_on(organization: Organization, work_date: datetime.date) -> Refusal:
    contracts = list(organization.contracts.exclude(status=Contract.Status.DRAFT).order_by("term_start"))
    if contracts:
        terms = "; ".join(term_text(c) for c in contracts)
        return Refusal(
            "outside_contract",
            f"The work date {work_date} is outside {organization}'s contract ({terms}): "
            "time is logged only on days the contract covers.",
        )
    return Refusal("no_allotment", f"{organization} has no contract: there are no Solution Architect hours to debit.")


def quote_offer(organization: Organization, connector: Connector, ticket: Ticket | None = None) -> dict:
    """How to raise the quote request that replaces a refused Integration Support entry."""
    body = {"organization": organization.pk, "connector": connector.slug}
    if ticket is not None:
        body["ticket"] = ticket.pk
    return {
        "quote_request": {
            "method": "POST",
            "url": reverse("time-entry-quote-request"),
            "page": reverse("hours:quote_request"),
            "body": body,
        }
    }


def _check_ticket_kind(ticket: Ticket, *, engagement: Engagement | None) -> None:
    if ticket.kind == TicketKind.INCIDENT:
        if engagement is not None:
            raise Refusal(
                "not_configuration_work",
                f"Ticket #{ticket.pk} is an incident or bug: bug fixing and incidents are not part of Configuration "
                f"Support, so they cannot be logged against the engagement “{engagement}”. "
                "Support Engineers handle it through the ticket queue.",
            )
        raise Refusal(
            "not_configuration_work",
            f"Ticket #{ticket.pk} is an incident or bug, not configuration work: Solution Architect hours cover "
            "System Setup, Integration Support, Workflow Optimization and Custom Field Mapping.",
        )
    if engagement is None and ticket.kind != TicketKind.CONFIGURATION_REQUEST:
        raise Refusal(
            "not_configuration_work",
            f"Ticket #{ticket.pk} is a {ticket.get_kind_display().lower()}, not a configuration request: "
            "Solution Architect hours are logged against configuration requests or engagements.",
        )


def check_work_mode(work_mode: str, *, engagement: Engagement | None) -> str:
    """Engagement work says whether it was an online call or offline work; other work says neither."""
    work_mode = work_mode or ""
    if work_mode and work_mode not in WorkMode.values:
        raise ValidationError({"work_mode": f"Choose one of: {', '.join(WorkMode.values)}."})
    if engagement is not None and not work_mode:
        raise ValidationError(
            {"work_mode": "Say whether the work on the engagement was an online call or offline work."}
        )
    if engagement is None and work_mode:
        raise ValidationError({"work_mode": "Only work on an engagement is an online call or offline work."})
    return work_mode


def _check_shape(*, ticket, engagement, category, connector) -> Engagement | None:
    """The input's own consistency (a ValidationError per field); returns the engagement the work is on."""
    if category not in Category.values:
        raise ValidationError({"category": f"Choose one of: {', '.join(Category.values)}."})
    if ticket is None and engagement is None:
        raise ValidationError({"ticket": "Name the configuration ticket or the engagement worked on."})
    if engagement is None and ticket is not None and category == Category.ENGAGEMENT_WORK:
        engagement = ticket.engagement
        if engagement is None:
            raise ValidationError({"engagement": f"Ticket #{ticket.pk} belongs to no engagement."})
    if (
        engagement is not None
        and ticket is not None
        and (
            ticket.engagement_id not in (None, engagement.pk)
            or ticket.organization_id != engagement.contract.organization_id
        )
    ):
        raise ValidationError({"ticket": f"Ticket #{ticket.pk} is not part of the engagement “{engagement}”."})
    if engagement is not None and category not in ENGAGEMENT_CATEGORIES:
        raise ValidationError(
            {
                "category": "Work on an engagement is logged as Engagement work, or as Integration Support for one "
                "of the contract's connectors."
            }
        )
    if engagement is None and category == Category.ENGAGEMENT_WORK:
        raise ValidationError({"engagement": "Engagement work names the engagement."})
    if category == Category.INTEGRATION_SUPPORT and connector is None:
        raise ValidationError({"connector": "Integration Support names the connector worked on."})
    if category != Category.INTEGRATION_SUPPORT and connector is not None:
        raise ValidationError({"connector": "Only Integration Support names a connector."})
    return engagement


def resolve_target(
    *,
    ticket: Ticket | None,
    engagement: Engagement | None,
    category: str,
    connector: Connector | None,
    work_date: datetime.date,
) -> Target:
    """Which balance the work debits, or the rule that refuses it (a Refusal) or a ValidationError."""
    engagement = _check_shape(ticket=ticket, engagement=engagement, category=category, connector=connector)
    organization = engagement.contract.organization if engagement else ticket.organization
    if ticket is not None:
        _check_ticket_kind(ticket, engagement=engagement)
    ent = entitlements_for(organization, at=clock.support_noon(work_date))

    if engagement is not None:
        contract = engagement.contract
        if not contract.covers(work_date):
            raise Refusal(
                "outside_contract",
                f"The work date {work_date} is outside the contract of the engagement “{engagement}” "
                f"({term_text(contract)}).",
            )
        if engagement.pk not in {e.pk for e in ent.engagements}:
            raise Refusal(
                "no_allotment",
                f"The engagement “{engagement}” is {engagement.get_status_display().lower()}, not active: "
                "it has no hours to debit.",
            )
        if category == Category.INTEGRATION_SUPPORT and connector.pk not in ent.connector_ids:
            raise Refusal(
                "connector_not_in_contract",
                f"The {connector} connector is not in {organization}'s contract: an engagement's Integration Support "
                "covers the contract's connectors only. A new connector is a new project: request a quote instead.",
                **quote_offer(organization, connector, ticket),
            )
        return Target(
            organization, contract, contract.rounding_increment_minutes, engagement=engagement, entitlements=ent
        )

    if ent.contract is None:
        raise _no_contract_on(organization, work_date)
    if ent.allotment is None:
        if ent.premium and ent.tier != Tier.ENTERPRISE and not ent.engagements:
            raise Refusal(
                "no_allotment",
                f"{organization}'s only add-on is Premium support, which does not include configuration "
                "assistance: there are no Solution Architect hours to debit. Configuration work needs a quoted "
                "Configuration Support engagement.",
            )
        if ent.engagements:
            names = ", ".join(f"“{e}”" for e in ent.engagements)
            raise Refusal(
                "no_allotment",
                f"{organization} has no yearly Solution Architect hours; its configuration work runs through the "
                f"engagement {names}: log the time against the engagement.",
            )
        raise Refusal(
            "no_allotment",
            f"{organization}'s contract ({(ent.tier or 'no').title()} support) includes no Solution Architect hours "
            "and no Configuration Support engagement: configuration work needs a quote first.",
        )
    if category == Category.INTEGRATION_SUPPORT and connector.pk not in ent.connector_ids:
        raise Refusal(
            "connector_not_in_contract",
            f"The {connector} connector is not in {organization}'s contract: Integration Support covers the "
            "contract's connectors only. A new connector is a new project: request a quote instead.",
            **quote_offer(organization, connector, ticket),
        )
    if category not in ALLOTMENT_CATEGORIES:  # pragma: no cover - guarded above
        raise ValidationError({"category": "This category does not debit the allotment."})
    return Target(
        organization, ent.contract, ent.allotment.increment_minutes, allotment=ent.allotment, entitlements=ent
    )


def balance_year(contract: Contract, *, on: datetime.date) -> tuple[ContractYear, Allotment]:
    """The contract year containing `on` and its allotment; a Refusal when the day or the contract has none."""
    if not contract.covers(on):
        raise Refusal("outside_contract", f"{on} is outside the contract ({term_text(contract)}).")
    period = contract_year(contract.term_start, contract.term_end, on)
    allotment = allotment_on(contract, period)
    if allotment is None:
        raise Refusal(
            "no_allotment", f"The contract of {contract.organization} has no Solution Architect hours on {on}."
        )
    return period, allotment
