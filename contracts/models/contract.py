"""Contracts, add-ons, connectors, Slack channels, engagements and the table of response targets.

Only `contracts.entitlements.entitlements_for()` turns these rows into a tier, channels and targets.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from simple_history.models import HistoricalRecords

from portal.models import Organization
from portal.tenancy import VisibleToQuerySet


class Plan(models.TextChoices):
    STARTER = "starter", "Starter"
    GROWTH = "growth", "Growth"
    ENTERPRISE = "enterprise", "Enterprise"


class Tier(models.TextChoices):
    STANDARD = "standard", "Standard"
    ENTERPRISE = "enterprise", "Enterprise"


class TargetSource(models.TextChoices):
    """Who sets a response target: the support tier, or the Premium add-on on top of it."""

    STANDARD = "standard", "Standard"
    ENTERPRISE = "enterprise", "Enterprise"
    PREMIUM = "premium", "Premium"


class Priority(models.TextChoices):
    """Most urgent first: the order in which the portal always lists them."""

    URGENT = "urgent", "Urgent"
    HIGH = "high", "High"
    NORMAL = "normal", "Normal"
    LOW = "low", "Low"


def priority_rank(priority: str) -> int:
    """0 for Urgent up to 3 for Low: sorting by it lists the most urgent first."""
    return PRIORITY_RANKS[priority]


PRIORITY_RANKS = {priority.value: rank for rank, priority in enumerate(Priority)}


class CalendarKind(models.TextChoices):
    BUSINESS = "business", "Business hours (06:00–18:00 Pacific, Monday to Friday)"
    WALL_CLOCK = "24/7", "Around the clock (24/7)"


class Channel(models.TextChoices):
    PORTAL = "portal", "Portal and API"
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    ESCALATION = "escalation", "Escalation channel"


class Connector(models.Model):
    """A system the product connects to; the catalogue grows as admins add to it."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ContractQuerySet(VisibleToQuerySet):
    def active(self, *, on):
        """Contracts in force on a (local) date."""
        return self.filter(status=Contract.Status.ACTIVE, term_start__lte=on, term_end__gte=on)


class Contract(models.Model):
    tenant_path = "organization"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        ENDED = "ended", "Ended"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="contracts")
    plan = models.CharField(max_length=20, choices=Plan.choices, default=Plan.GROWTH)
    term_start = models.DateField(help_text="First day covered; contract years run from its anniversaries.")
    term_end = models.DateField(help_text="Last day covered.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    sa_hours_per_year = models.DecimalField(
        "Solution Architect hours a year",
        max_digits=7,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("10000"))],
        help_text="Advanced Assistance allotment of each contract year (Enterprise only).",
    )
    rounding_increment_minutes = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(240)],
        help_text="Logged time is rounded up to this many minutes.",
    )
    rollover = models.BooleanField("unused hours roll over", default=False)
    overage_approved = models.BooleanField(
        default=False, help_text="An account manager allows debits past the allotment, recorded as overage."
    )
    connectors = models.ManyToManyField(Connector, blank=True, related_name="contracts")
    escalation_channel = models.CharField(
        max_length=200, blank=True, help_text="How a Premium customer reaches on-call staff, set at sign-up."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(m2m_fields=[connectors])
    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["organization__name", "-term_start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(term_end__gte=models.F("term_start")), name="contract_term_order"
            ),
            models.CheckConstraint(condition=models.Q(sa_hours_per_year__gte=0), name="contract_sa_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.get_plan_display()} ({self.term_start} to {self.term_end})"

    def clean(self) -> None:
        super().clean()
        if self.term_start and self.term_end and self.term_end < self.term_start:
            raise ValidationError({"term_end": "The term must end on or after its start."})

    def covers(self, day) -> bool:
        return self.term_start <= day <= self.term_end


class AddOn(models.Model):
    class Kind(models.TextChoices):
        ENTERPRISE_SUPPORT = "enterprise_support", "Enterprise Support"
        PREMIUM_SUPPORT = "premium_support", "Premium Support"
        CONFIGURATION_SUPPORT = "configuration_support", "Configuration Support"
        SLACK_CHANNEL = "slack_channel", "Slack channel"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="add_ons")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    added_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["kind"]
        constraints = [models.UniqueConstraint(fields=["contract", "kind"], name="addon_once_per_contract")]

    def __str__(self) -> str:
        state = "" if self.is_active else " (inactive)"
        return f"{self.get_kind_display()}{state}"


class SlackChannel(models.Model):
    """A Slack channel id that belongs to an organization (mapped even when the add-on is not active)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="slack_channels")
    channel_id = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["channel_id"]

    def __str__(self) -> str:
        return self.channel_id


class EngagementQuerySet(VisibleToQuerySet):
    pass


class Engagement(models.Model):
    """A quoted Configuration Support project, run by Solution Architects."""

    tenant_path = "contract__organization"

    class Status(models.TextChoices):
        QUOTED = "quoted", "Quoted"
        ACTIVE = "active", "Active"
        DONE = "done", "Done"

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="engagements")
    name = models.CharField(max_length=200)
    scope = models.TextField()
    quoted_hours = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("10000"))],
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUOTED)
    via_ticket = models.BooleanField("agreed channel: tickets", default=True)
    via_email = models.BooleanField("agreed channel: email", default=False)
    via_slack = models.BooleanField("agreed channel: Slack", default=False)
    board_url = models.URLField("project board", blank=True)
    asana_project_gid = models.CharField(
        "Asana project",
        max_length=40,
        blank=True,
        help_text="The gid of the customer's Asana project: with ASANA_TOKEN set, its plan is synced from there.",
    )
    asana_synced_at = models.DateTimeField(null=True, blank=True, help_text="The last sync that succeeded.")
    asana_sync_error = models.TextField(blank=True, help_text="Why the last sync failed (empty when it succeeded).")
    asana_sync_failed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # The sync's own bookkeeping is not a change of the engagement: its history leaves it out.
    history = HistoricalRecords(excluded_fields=["asana_synced_at", "asana_sync_error", "asana_sync_failed_at"])
    objects = EngagementQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def plan_is_synced(self) -> bool:
        """True when the plan comes from Asana: the engagement names a project and the portal has a token."""
        return bool(self.asana_project_gid and settings.ASANA_TOKEN)

    @property
    def agreed_channels(self) -> list[str]:
        flags = [("ticket", self.via_ticket), ("email", self.via_email), ("slack", self.via_slack)]
        return [name for name, on in flags if on]


class ResponseTarget(models.Model):
    """First-response target for one policy and priority; tickets snapshot it when they arrive."""

    source = models.CharField(max_length=12, choices=TargetSource.choices)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    target_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1), MaxValueValidator(60 * 24 * 90)])
    calendar = models.CharField(max_length=10, choices=CalendarKind.choices)

    history = HistoricalRecords()

    class Meta:
        ordering = ["source", "target_minutes"]
        constraints = [models.UniqueConstraint(fields=["source", "priority"], name="one_target_per_source_priority")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.get_priority_display()}: {self.describe()}"

    def clean(self) -> None:
        super().clean()
        if self.source == TargetSource.PREMIUM and self.calendar != CalendarKind.WALL_CLOCK:
            raise ValidationError({"calendar": "Premium targets run around the clock."})
        if self.source != TargetSource.PREMIUM and self.calendar != CalendarKind.BUSINESS:
            raise ValidationError({"calendar": "Standard and Enterprise targets run on business hours."})

    def describe(self) -> str:
        return describe_target(self.target_minutes, self.calendar)


def describe_target(minutes: int, calendar: str) -> str:
    """'4 business hours', '30 minutes', '3 days' — how the portal states a target."""
    if calendar == CalendarKind.BUSINESS:
        hours, rest = divmod(minutes, 60)
        if rest:
            return f"{minutes} business minutes"
        return f"{hours} business hour{'s' if hours != 1 else ''}"
    if minutes % (60 * 24) == 0 and minutes >= 60 * 24:
        days = minutes // (60 * 24)
        return f"{days} day{'s' if days != 1 else ''}"
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"
