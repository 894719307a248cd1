"""Everything that writes hours: time entries and the ledger rows that debit, reverse, grant and adjust.

Each public function is one transaction. A write to a balance locks its `HoursBalance` row first
(SELECT ... FOR UPDATE on PostgreSQL), so two Solution Architects logging at the same moment queue on
the lock: the second sees the first's debit and can never overdraw.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from contracts.entitlements import Allotment, Entitlements, entitlements_for
from contracts.models import Connector, Contract, Engagement
from contracts.periods import contract_year
from hours.models import (
    ALLOTMENT_CATEGORIES,
    MAX_ENTRY_MINUTES,
    Category,
    HoursBalance,
    LedgerEntry,
    TimeEntry,
    UsageNotice,
    round_up,
)
from hours.selectors import allotment_on
from portal import roles
from portal.models import Organization, User
from portal.templatetags.portal_format import hours as as_hours
from tickets.models import Kind as TicketKind
from tickets.models import Ticket, TicketChannel

logger = logging.getLogger(__name__)


class HoursRefused(Exception):
    """A rule of SPEC's "Hours" refuses the request; `code` is machine-readable, `message` names the reason."""

    def __init__(self, code: str, message: str, **extra):
        self.code = code
        self.message = message
        self.extra = extra
        super().__init__(message)

    def as_dict(self) -> dict:
        return {"code": self.code, "detail": self.message, **self.extra}


# Clock and calendar -----------------------------------------------------------------------------


def local_today(now: datetime.datetime | None = None) -> datetime.date:
    """Today in the support time zone, where contract days are counted."""
    import zoneinfo

    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE)).date()


def moment_of(day: datetime.date) -> datetime.datetime:
    """Noon of a contract day, aware: what `entitlements_for(at=...)` needs to answer for that day."""
    import zoneinfo

    return datetime.datetime.combine(day, datetime.time(12), tzinfo=zoneinfo.ZoneInfo(settings.SUPPORT_TIME_ZONE))


def lock_date(now: datetime.datetime | None = None) -> datetime.date:
    """Work dated before this day is locked: only an account manager may log or change it."""
    return local_today(now) - datetime.timedelta(days=settings.HOURS_LOCK_DAYS)


def is_locked(work_date: datetime.date, *, now: datetime.datetime | None = None) -> bool:
    return work_date < lock_date(now)


def may_manage(user) -> bool:
    """Account managers (and admins) adjust hours, approve overage and change any entry, locked or not."""
    return roles.is_account_manager(user)


def may_log(user) -> bool:
    return roles.is_solution_architect(user)


# Input --------------------------------------------------------------------------------------------


def clean_minutes(value) -> int:
    """A positive whole number of minutes, at most a long working day; anything else is a ValidationError."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int):
        minutes = value
    else:
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) and not (
            text.startswith("-") and (text[1:].isascii() and text[1:].isdigit())
        ):
            raise ValidationError({"minutes": f"Enter the minutes as a whole number, such as 45 (got {text[:20]!r})."})
        minutes = int(text)
    if minutes < 1:
        raise ValidationError({"minutes": "Minutes must be at least 1."})
    if minutes > MAX_ENTRY_MINUTES:
        raise ValidationError(
            {"minutes": f"One entry holds at most {MAX_ENTRY_MINUTES} minutes (16 hours); split longer work by day."}
        )
    return minutes


def clean_work_date(work_date, *, now=None) -> datetime.date:
    if not isinstance(work_date, datetime.date) or isinstance(work_date, datetime.datetime):
        raise ValidationError({"work_date": "Enter the work date as YYYY-MM-DD."})
    if work_date > local_today(now):
        raise ValidationError({"work_date": f"The work date {work_date} is in the future."})
    return work_date


# Where an entry's minutes go ------------------------------------------------------------------------


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


def _term_text(contract: Contract) -> str:
    return f"{contract.term_start} to {contract.term_end}"


def _no_contract_on(organization: Organization, work_date: datetime.date) -> HoursRefused:
    contracts = list(organization.contracts.exclude(status=Contract.Status.DRAFT).order_by("term_start"))
    if contracts:
        terms = "; ".join(_term_text(c) for c in contracts)
        return HoursRefused(
            "outside_contract",
            f"The work date {work_date} is outside {organization}'s contract ({terms}): "
            "time is logged only on days the contract covers.",
        )
    return HoursRefused(
        "no_allotment", f"{organization} has no contract: there are no Solution Architect hours to debit."
    )


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
            raise HoursRefused(
                "not_configuration_work",
                f"Ticket #{ticket.pk} is an incident or bug: bug fixing and incidents are not part of Configuration "
                f"Support, so they cannot be logged against the engagement “{engagement}”. "
                "Support Engineers handle it through the ticket queue.",
            )
        raise HoursRefused(
            "not_configuration_work",
            f"Ticket #{ticket.pk} is an incident or bug, not configuration work: Solution Architect hours cover "
            "System Setup, Integration Support, Workflow Optimization and Custom Field Mapping.",
        )
    if engagement is None and ticket.kind != TicketKind.CONFIGURATION_REQUEST:
        raise HoursRefused(
            "not_configuration_work",
            f"Ticket #{ticket.pk} is a {ticket.get_kind_display().lower()}, not a configuration request: "
            "Solution Architect hours are logged against configuration requests or engagements.",
        )


def resolve_target(
    *,
    ticket: Ticket | None,
    engagement: Engagement | None,
    category: str,
    connector: Connector | None,
    work_date: datetime.date,
) -> Target:
    """Which balance the work debits, or the rule that refuses it (HoursRefused) or a ValidationError."""
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
    if engagement is not None and category != Category.ENGAGEMENT_WORK:
        raise ValidationError({"category": "Work on an engagement is logged as Engagement work."})
    if engagement is None and category == Category.ENGAGEMENT_WORK:
        raise ValidationError({"engagement": "Engagement work names the engagement."})
    if category == Category.INTEGRATION_SUPPORT and connector is None:
        raise ValidationError({"connector": "Integration Support names the connector worked on."})
    if category != Category.INTEGRATION_SUPPORT and connector is not None:
        raise ValidationError({"connector": "Only Integration Support names a connector."})

    organization = engagement.contract.organization if engagement else ticket.organization
    if ticket is not None:
        _check_ticket_kind(ticket, engagement=engagement)
    ent = entitlements_for(organization, at=moment_of(work_date))

    if engagement is not None:
        contract = engagement.contract
        if not contract.covers(work_date):
            raise HoursRefused(
                "outside_contract",
                f"The work date {work_date} is outside the contract of the engagement “{engagement}” "
                f"({_term_text(contract)}).",
            )
        if engagement.pk not in {e.pk for e in ent.engagements}:
            raise HoursRefused(
                "no_allotment",
                f"The engagement “{engagement}” is {engagement.get_status_display().lower()}, not active: "
                "it has no hours to debit.",
            )
        return Target(
            organization, contract, contract.rounding_increment_minutes, engagement=engagement, entitlements=ent
        )

    if ent.contract is None:
        raise _no_contract_on(organization, work_date)
    if ent.allotment is None:
        if ent.premium and ent.tier != "enterprise" and not ent.engagements:
            raise HoursRefused(
                "no_allotment",
                f"{organization}'s only add-on is Premium support, which does not include configuration "
                "assistance: there are no Solution Architect hours to debit. Configuration work needs a quoted "
                "Configuration Support engagement.",
            )
        if ent.engagements:
            names = ", ".join(f"“{e}”" for e in ent.engagements)
            raise HoursRefused(
                "no_allotment",
                f"{organization} has no yearly Solution Architect hours; its configuration work runs through the "
                f"engagement {names}: log the time against the engagement.",
            )
        raise HoursRefused(
            "no_allotment",
            f"{organization}'s contract ({(ent.tier or 'no').title()} support) includes no Solution Architect hours "
            "and no Configuration Support engagement: configuration work needs a quote first.",
        )
    if category == Category.INTEGRATION_SUPPORT and connector.pk not in ent.connector_ids:
        raise HoursRefused(
            "connector_not_in_contract",
            f"The {connector} connector is not in {organization}'s contract: Integration Support covers the "
            "contract's connectors only. A new connector is a new project: request a quote instead.",
            **quote_offer(organization, connector, ticket),
        )
    if category not in ALLOTMENT_CATEGORIES:  # pragma: no cover - guarded above
        raise ValidationError({"category": "This category does not debit the allotment."})
    return Target(
        organization,
        ent.contract,
        ent.allotment.increment_minutes,
        allotment=ent.allotment,
        entitlements=ent,
    )


# Balances and the ledger -----------------------------------------------------------------------


# Rows are built from objects this transaction has just read, so their foreign keys need no second look-up;
# and their check constraints, which the service has already applied, are enforced by the database.
_LEDGER_FKS = ["contract", "engagement", "entry", "reverses", "actor"]
_ENTRY_FKS = ["architect", "organization", "contract", "ticket", "engagement", "connector", "voided_by"]


def _write(row: LedgerEntry) -> LedgerEntry:
    row.full_clean(exclude=_LEDGER_FKS, validate_unique=False, validate_constraints=False)
    row.save(force_insert=True)
    return row


def _open_year(contract: Contract, allotment: Allotment, *, now) -> HoursBalance:
    """Creates a contract year's balance with its grant (and rollover); an IntegrityError if one exists."""
    rollover = 0
    if contract.rollover and allotment.period_start > contract.term_start:
        previous_period = contract_year(
            contract.term_start, contract.term_end, allotment.period_start - datetime.timedelta(days=1)
        )
        previous_allotment = allotment_on(contract, previous_period)
        if previous_allotment is not None:
            previous = lock_year(contract=contract, allotment=previous_allotment, now=now)
            rollover = previous.remaining_minutes
    with transaction.atomic():
        balance = HoursBalance.objects.create(
            contract=contract,
            period_start=allotment.period_start,
            period_end=allotment.period_end,
            allotment_minutes=allotment.minutes,
            granted_minutes=allotment.minutes + rollover,
        )
        _write(
            LedgerEntry(
                contract=contract,
                period_start=allotment.period_start,
                kind=LedgerEntry.Kind.GRANT,
                minutes=allotment.minutes,
                reason=f"Allotment of the contract year {allotment.period_start} to {allotment.period_end}.",
                created_at=now,
            )
        )
        if rollover:
            _write(
                LedgerEntry(
                    contract=contract,
                    period_start=allotment.period_start,
                    kind=LedgerEntry.Kind.ROLLOVER,
                    minutes=rollover,
                    reason="Unused minutes of the previous contract year (the contract rolls them over).",
                    created_at=now,
                )
            )
    return balance


def _true_up(balance: HoursBalance, expected: int, *, now, what: str) -> None:
    """Records a change of the contract's hours (or an engagement's quote) made since the grant."""
    base = balance.allotment_minutes
    if base == expected:
        return
    _write(
        LedgerEntry(
            contract_id=balance.contract_id,
            engagement_id=balance.engagement_id,
            period_start=balance.period_start,
            kind=LedgerEntry.Kind.ALLOTMENT_CHANGE,
            minutes=expected - base,
            reason=f"{what} changed from {as_hours(base)} to {as_hours(expected)} hours.",
            created_at=now,
        )
    )
    balance.granted_minutes += expected - base
    balance.allotment_minutes = expected
    balance.save(update_fields=["granted_minutes", "allotment_minutes", "updated_at"])


def lock_year(*, contract: Contract, allotment: Allotment, now=None) -> HoursBalance:
    """The contract year's balance, locked for this transaction; its grant is written the first time."""
    now = now or timezone.now()
    rows = HoursBalance.objects.select_for_update().filter(
        contract=contract, period_start=allotment.period_start, engagement__isnull=True
    )
    balance = rows.first()
    if balance is None:
        try:
            balance = _open_year(contract, allotment, now=now)
        except IntegrityError:
            balance = rows.get()  # another transaction opened the year first; its row is committed now
        else:
            balance = rows.get()
    _true_up(balance, allotment.minutes, now=now, what="The contract's yearly allotment")
    return balance


def engagement_minutes(engagement: Engagement) -> int:
    return int(engagement.quoted_hours * 60)


def lock_engagement(*, engagement: Engagement, now=None) -> HoursBalance:
    """The engagement's balance (its quoted hours), locked for this transaction; granted the first time."""
    now = now or timezone.now()
    rows = HoursBalance.objects.select_for_update().filter(engagement=engagement)
    balance = rows.first()
    if balance is None:
        try:
            with transaction.atomic():
                HoursBalance.objects.create(
                    contract=engagement.contract,
                    engagement=engagement,
                    allotment_minutes=engagement_minutes(engagement),
                    granted_minutes=engagement_minutes(engagement),
                )
                _write(
                    LedgerEntry(
                        contract=engagement.contract,
                        engagement=engagement,
                        kind=LedgerEntry.Kind.GRANT,
                        minutes=engagement_minutes(engagement),
                        reason=f"Quoted hours of the engagement “{engagement}”.",
                        created_at=now,
                    )
                )
        except IntegrityError:
            pass
        balance = rows.get()
    _true_up(balance, engagement_minutes(engagement), now=now, what="The engagement's quote")
    return balance


def _lock(target: Target, *, now) -> HoursBalance:
    if target.engagement is not None:
        return lock_engagement(engagement=target.engagement, now=now)
    return lock_year(contract=target.contract, allotment=target.allotment, now=now)


def _balance_label(target: Target) -> str:
    if target.engagement is not None:
        return f"the engagement “{target.engagement}”"
    return f"{target.organization}'s contract year {target.allotment.period_start} to {target.allotment.period_end}"


def _carry_forward(balance: HoursBalance, remaining_before: int, *, now) -> None:
    """Keeps a rolled-over amount true when its year changes after the next year has opened.

    Late entries (inside the lock window), voids and adjustments can change a closed year; with
    rollover on, the next year's grant follows through an allotment-change row, never silently.
    """
    if balance.engagement_id is not None:
        return
    delta = balance.remaining_minutes - remaining_before
    if not delta or not Contract.objects.filter(pk=balance.contract_id, rollover=True).exists():
        return
    following = (
        HoursBalance.objects.select_for_update()
        .filter(
            contract_id=balance.contract_id,
            engagement__isnull=True,
            period_start=balance.period_end + datetime.timedelta(days=1),
        )
        .first()
    )
    if following is None:
        return
    following_before = following.remaining_minutes
    _write(
        LedgerEntry(
            contract_id=balance.contract_id,
            period_start=following.period_start,
            kind=LedgerEntry.Kind.ALLOTMENT_CHANGE,
            minutes=delta,
            reason=(
                f"Rollover corrected: the contract year {balance.period_start} to {balance.period_end} "
                "changed after this year opened."
            ),
            created_at=now,
        )
    )
    following.granted_minutes += delta
    following.save(update_fields=["granted_minutes", "updated_at"])
    _carry_forward(following, following_before, now=now)


def _debit(balance: HoursBalance, target: Target, entry: TimeEntry, *, actor: User, now) -> list[LedgerEntry]:
    """Writes the entry's debit (and overage, when approved) to a locked balance, or refuses an overdraw."""
    debit = entry.minutes_debited
    available = balance.balance_minutes
    remaining_before = balance.remaining_minutes
    # Read the flag under the lock: an account manager may have changed it since the entitlements were read.
    overage_approved = Contract.objects.filter(pk=target.contract.pk).values_list("overage_approved", flat=True)[0]
    within = debit if debit <= available else max(0, available)
    excess = debit - within
    if excess and not overage_approved:
        raise HoursRefused(
            "allotment_exhausted",
            f"Only {as_hours(max(0, available))} h ({max(0, available)} minutes) are left in {_balance_label(target)}; "
            f"this entry needs {debit} minutes. An account manager can approve overage or add hours.",
            remaining_minutes=max(0, available),
            needed_minutes=debit,
        )
    common = {
        "contract": target.contract,
        "engagement": target.engagement,
        "period_start": target.period_start,
        "entry": entry,
        "actor": actor,
        "created_at": now,
    }
    rows = []
    if within:
        rows.append(_write(LedgerEntry(kind=LedgerEntry.Kind.DEBIT, minutes=-within, **common)))
    if excess:
        rows.append(
            _write(
                LedgerEntry(
                    kind=LedgerEntry.Kind.OVERAGE,
                    minutes=-excess,
                    reason="Past the balance, with overage approved by an account manager.",
                    **common,
                )
            )
        )
    balance.used_minutes += debit
    balance.save(update_fields=["used_minutes", "updated_at"])
    _carry_forward(balance, remaining_before, now=now)
    return rows


def _open_rows(entry: TimeEntry):
    return entry.ledger_entries.filter(
        kind__in=[LedgerEntry.Kind.DEBIT, LedgerEntry.Kind.OVERAGE], reversed_by__isnull=True
    ).order_by("pk")


def _entry_balance_rows(entry: TimeEntry):
    """The balance rows the entry's open debits sit on, locked."""
    keys = set(_open_rows(entry).values_list("contract_id", "engagement_id", "period_start"))
    balances = []
    for contract_id, engagement_id, period_start in keys:
        rows = HoursBalance.objects.select_for_update()
        if engagement_id:
            balances.append(rows.get(engagement_id=engagement_id))
        else:
            balances.append(rows.get(contract_id=contract_id, period_start=period_start, engagement__isnull=True))
    return balances


def _reverse(entry: TimeEntry, balances: list[HoursBalance], *, actor: User, reason: str, now) -> int:
    """Writes a reversal for each open debit of the entry; returns the minutes given back."""
    by_key = {(b.engagement_id, b.period_start): b for b in balances}
    remaining_before = {b.pk: b.remaining_minutes for b in balances}
    returned = 0
    for row in list(_open_rows(entry)):
        _write(
            LedgerEntry(
                contract_id=row.contract_id,
                engagement_id=row.engagement_id,
                period_start=row.period_start,
                kind=LedgerEntry.Kind.REVERSAL,
                minutes=-row.minutes,
                entry=entry,
                reverses=row,
                reason=reason[:300],
                actor=actor,
                created_at=now,
            )
        )
        balance = by_key[(row.engagement_id, None if row.engagement_id else row.period_start)]
        balance.used_minutes += row.minutes  # the row's minutes are negative
        returned -= row.minutes
    for balance in balances:
        balance.save(update_fields=["used_minutes", "updated_at"])
        _carry_forward(balance, remaining_before[balance.pk], now=now)
    return returned


def _after_commit(contract_id: int, period_start: datetime.date | None) -> None:
    if period_start is None:
        return

    def enqueue():
        from hours import tasks

        try:
            tasks.usage_notices_check.delay(contract_id, period_start.isoformat())
        except Exception:  # the periodic sweep sends what this missed
            logger.exception("Could not enqueue the hours usage check of contract %s", contract_id)

    transaction.on_commit(enqueue)


def _require_logger(architect: User) -> None:
    if not may_log(architect):
        raise PermissionDenied("Only Solution Architects log time.")


def _check_lock(actor: User, *days: datetime.date, now) -> None:
    locked = [d for d in days if is_locked(d, now=now)]
    if locked and not may_manage(actor):
        raise HoursRefused(
            "locked",
            f"Work dated {min(locked)} is past the {settings.HOURS_LOCK_DAYS}-day lock window (before "
            f"{lock_date(now)}): only an account manager may log or change it.",
        )


# Time entries -------------------------------------------------------------------------------------


@transaction.atomic
def time_entry_log(
    *,
    architect: User,
    category: str,
    minutes,
    work_date: datetime.date,
    ticket: Ticket | None = None,
    engagement: Engagement | None = None,
    connector: Connector | None = None,
    note: str = "",
    now: datetime.datetime | None = None,
) -> TimeEntry:
    """Records a Solution Architect's time and debits it, rounded up, from the balance it belongs to."""
    now = now or timezone.now()
    _require_logger(architect)
    minutes = clean_minutes(minutes)
    work_date = clean_work_date(work_date, now=now)
    target = resolve_target(
        ticket=ticket, engagement=engagement, category=category, connector=connector, work_date=work_date
    )
    _check_lock(architect, work_date, now=now)
    balance = _lock(target, now=now)
    entry = TimeEntry(
        architect=architect,
        organization=target.organization,
        contract=target.contract,
        ticket=ticket,
        engagement=target.engagement,
        category=category,
        connector=connector,
        work_date=work_date,
        minutes=minutes,
        minutes_debited=round_up(minutes, target.increment),
        period_start=target.period_start,
        note=note.strip(),
        created_at=now,
        updated_at=now,
    )
    entry.full_clean(exclude=_ENTRY_FKS, validate_constraints=False)
    entry._history_user = architect
    entry.save()
    _debit(balance, target, entry, actor=architect, now=now)
    _after_commit(target.contract.pk, target.period_start)
    return entry


def _lock_entry(entry: TimeEntry) -> TimeEntry:
    return TimeEntry.objects.select_for_update().select_related("contract", "organization").get(pk=entry.pk)


def _require_changer(actor: User, entry: TimeEntry) -> None:
    if may_manage(actor):
        return
    if entry.architect_id != actor.pk or not may_log(actor):
        raise PermissionDenied("Only the Solution Architect who logged an entry, or an account manager, changes it.")


_KEEP = object()


@transaction.atomic
def time_entry_edit(
    *,
    actor: User,
    entry: TimeEntry,
    category: str | None = None,
    minutes=None,
    work_date: datetime.date | None = None,
    ticket=_KEEP,
    engagement=_KEEP,
    connector=_KEEP,
    note: str | None = None,
    now: datetime.datetime | None = None,
) -> TimeEntry:
    """Changes an entry: a reversal of its old debit and a new debit, in one transaction (nothing is deleted)."""
    now = now or timezone.now()
    entry = _lock_entry(entry)
    _require_changer(actor, entry)
    if entry.is_voided:
        raise ValidationError("A voided entry cannot be changed.")
    new_ticket = entry.ticket if ticket is _KEEP else ticket
    new_engagement = entry.engagement if engagement is _KEEP else engagement
    new_category = category or entry.category
    if new_category != Category.ENGAGEMENT_WORK and engagement is _KEEP:
        new_engagement = None
    new_connector = entry.connector if connector is _KEEP else connector
    if new_category != Category.INTEGRATION_SUPPORT and connector is _KEEP:
        new_connector = None
    new_minutes = entry.minutes if minutes is None else clean_minutes(minutes)
    new_date = entry.work_date if work_date is None else clean_work_date(work_date, now=now)
    _check_lock(actor, entry.work_date, new_date, now=now)
    target = resolve_target(
        ticket=new_ticket,
        engagement=new_engagement,
        category=new_category,
        connector=new_connector,
        work_date=new_date,
    )
    new_debit = round_up(new_minutes, target.increment)
    old_key = (
        ("engagement", entry.engagement_id) if entry.engagement_id else ("year", entry.contract_id, entry.period_start)
    )
    moves = old_key != target.key or new_debit != entry.minutes_debited
    if moves:
        balances = _entry_balance_rows(entry)
        _reverse(entry, balances, actor=actor, reason=f"Entry {entry.pk} edited.", now=now)
        target_balance = _lock(target, now=now)
    entry.ticket = new_ticket
    entry.engagement = target.engagement
    entry.organization = target.organization
    entry.contract = target.contract
    entry.category = new_category
    entry.connector = new_connector
    entry.minutes = new_minutes
    entry.minutes_debited = new_debit
    entry.work_date = new_date
    entry.period_start = target.period_start
    if note is not None:
        entry.note = note.strip()
    entry.updated_at = now
    entry.full_clean(exclude=_ENTRY_FKS, validate_constraints=False)
    entry._history_user = actor
    entry.save()
    if moves:
        _debit(target_balance, target, entry, actor=actor, now=now)
        _after_commit(target.contract.pk, target.period_start)
    return entry


@transaction.atomic
def time_entry_void(
    *, actor: User, entry: TimeEntry, reason: str = "", now: datetime.datetime | None = None
) -> TimeEntry:
    """Voids an entry: a reversal gives its minutes back; the entry and its debit stay on record."""
    now = now or timezone.now()
    entry = _lock_entry(entry)
    _require_changer(actor, entry)
    if entry.is_voided:
        return entry
    _check_lock(actor, entry.work_date, now=now)
    balances = _entry_balance_rows(entry)
    _reverse(entry, balances, actor=actor, reason=f"Entry {entry.pk} voided. {reason}".strip(), now=now)
    entry.voided_at = now
    entry.voided_by = actor
    entry.void_reason = reason.strip()[:300]
    entry.updated_at = now
    entry.full_clean(exclude=_ENTRY_FKS, validate_constraints=False)
    entry._history_user = actor
    entry.save()
    return entry


# Account managers -------------------------------------------------------------------------------


def _require_manager(actor: User) -> None:
    if not may_manage(actor):
        raise PermissionDenied("Only account managers adjust hours and approve overage.")


@transaction.atomic
def hours_adjust(
    *,
    actor: User,
    contract: Contract,
    minutes,
    reason: str,
    on: datetime.date | None = None,
    engagement: Engagement | None = None,
    now: datetime.datetime | None = None,
) -> LedgerEntry:
    """An account manager's credit (+) or debit (-) of a contract year (the one containing `on`) or an engagement."""
    now = now or timezone.now()
    _require_manager(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Say why: the customer reads the reason on their statement."})
    try:
        minutes = int(str(minutes).strip())
    except ValueError:
        raise ValidationError({"minutes": "Enter the minutes as a whole number, negative for a debit."}) from None
    if minutes == 0 or abs(minutes) > 1000 * 60:
        raise ValidationError({"minutes": "Enter a non-zero number of minutes, at most 60000 either way."})
    if engagement is not None:
        if engagement.contract_id != contract.pk:
            raise ValidationError({"engagement": "The engagement belongs to another contract."})
        balance = lock_engagement(engagement=engagement, now=now)
        period_start = None
    else:
        day = on or local_today(now)
        if not contract.covers(day):
            raise HoursRefused("outside_contract", f"{day} is outside the contract ({_term_text(contract)}).")
        allotment = allotment_on(contract, contract_year(contract.term_start, contract.term_end, day))
        if allotment is None:
            raise HoursRefused(
                "no_allotment", f"The contract of {contract.organization} has no Solution Architect hours on {day}."
            )
        balance = lock_year(contract=contract, allotment=allotment, now=now)
        period_start = allotment.period_start
    if minutes < 0 and balance.balance_minutes + minutes < 0:
        raise HoursRefused(
            "allotment_exhausted",
            f"A debit of {-minutes} minutes would take the balance below zero: {balance.remaining_minutes} minutes "
            "are left.",
            remaining_minutes=balance.remaining_minutes,
        )
    row = _write(
        LedgerEntry(
            contract=contract,
            engagement=engagement,
            period_start=period_start,
            kind=LedgerEntry.Kind.ADJUSTMENT,
            minutes=minutes,
            reason=reason[:300],
            actor=actor,
            created_at=now,
        )
    )
    remaining_before = balance.remaining_minutes
    balance.adjusted_minutes += minutes
    balance.save(update_fields=["adjusted_minutes", "updated_at"])
    _carry_forward(balance, remaining_before, now=now)
    _after_commit(contract.pk, period_start)
    return row


@transaction.atomic
def overage_set(*, actor: User, contract: Contract, approved: bool) -> Contract:
    """Approves (or withdraws) overage on a contract; the contract's history records who and when."""
    from contracts import services as contract_services

    _require_manager(actor)
    return contract_services.contract_update_fields(actor=actor, contract=contract, overage_approved=approved)


# Quote requests ---------------------------------------------------------------------------------


@transaction.atomic
def connector_quote_request(
    *,
    architect: User,
    organization: Organization,
    connector: Connector,
    ticket: Ticket | None = None,
    now: datetime.datetime | None = None,
) -> Ticket:
    """Opens a new-connector quote ticket for the customer (one open request per connector is enough)."""
    from tickets.services import ticket_open

    if not roles.is_support_staff(architect):
        raise PermissionDenied("Only staff raise quote requests on a customer's behalf.")
    existing = (
        Ticket.objects.open()
        .filter(organization=organization, kind=TicketKind.CONNECTOR_QUOTE, connector=connector)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    origin = f" It came up while working on ticket #{ticket.pk} ({ticket.subject})." if ticket else ""
    return ticket_open(
        organization=organization,
        requester=architect,
        subject=f"Quote request: {connector} connector",
        description=(
            f"{organization} needs Integration Support for the {connector} connector, which its contract does not "
            f"include. A new connector is a new project: please quote it.{origin}"
        ),
        kind=TicketKind.CONNECTOR_QUOTE,
        channel=TicketChannel.PORTAL,
        connector=connector,
        now=now,
    )


# Usage notices ----------------------------------------------------------------------------------


def _recipients(organization: Organization) -> list[str]:
    addresses = [u.email for u in organization.admins().filter(is_active=True)]
    manager = organization.account_manager
    if manager is not None and manager.is_active:
        addresses.append(manager.email)
    return sorted(set(addresses))


@transaction.atomic
def usage_notices_check(*, contract: Contract, period_start: datetime.date, now=None) -> int:
    """Tells the AM and the customer's admins once when a contract year passes 75%, 90% and 100% use."""
    from hours.selectors import year_usage

    now = now or timezone.now()
    period = contract_year(contract.term_start, contract.term_end, period_start)
    if period is None:
        return 0
    usage = year_usage(contract, period)
    if usage is None or usage.allotted <= 0:
        return 0
    reached = [t for t in UsageNotice.THRESHOLDS if usage.used * 100 >= t * usage.allotted]
    created = []
    for threshold in reached:
        notice, is_new = UsageNotice.objects.get_or_create(
            contract=contract,
            period_start=period.start,
            threshold=threshold,
            defaults={"used_minutes": usage.used, "allotted_minutes": usage.allotted, "created_at": now},
        )
        if is_new:
            created.append(notice)
    if not created:
        return 0
    highest = max(n.threshold for n in created)
    organization = contract.organization
    recipients = _recipients(organization)
    context = {
        "organization": organization,
        "threshold": highest,
        "usage": usage,
        "period": period,
        "url": settings.SITE_URL + reverse("hours:statement"),
    }
    if recipients:
        send_mail(
            render_to_string("hours/email/usage_notice_subject.txt", context).strip(),
            render_to_string("hours/email/usage_notice.txt", context),
            None,
            recipients,
        )
    UsageNotice.objects.filter(pk__in=[n.pk for n in created]).update(sent_at=now, recipients=recipients)
    return len(created)


def usage_notices_sweep(*, now=None) -> int:
    """For every contract in force: writes the current year's grant if due, then sends any notice due."""
    now = now or timezone.now()
    today = local_today(now)
    sent = 0
    recent = today - datetime.timedelta(days=settings.HOURS_LOCK_DAYS + 1)
    for contract in Contract.objects.active(on=today).select_related("organization"):
        ent = entitlements_for(contract.organization, at=moment_of(today))
        if ent.allotment is None or ent.contract.pk != contract.pk:
            continue
        with transaction.atomic():
            lock_year(contract=contract, allotment=ent.allotment, now=now)
        sent += usage_notices_check(contract=contract, period_start=ent.allotment.period_start, now=now)
    # Late entries (within the lock window) can still push a year that has just ended over a threshold.
    for balance in HoursBalance.objects.filter(engagement__isnull=True, period_end__gte=recent, period_end__lt=today):
        sent += usage_notices_check(contract=balance.contract, period_start=balance.period_start, now=now)
    return sent
