"""Solution Architect hours: time entries, and the append-only ledger that is the truth of every balance.

Minutes are whole numbers everywhere; they become hours only on screen (the `hours` template filter).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from contracts.models import Connector, Contract, Engagement
from portal import roles
from portal.models import Organization
from portal.tenancy import VisibleToQuerySet

MAX_ENTRY_MINUTES = 16 * 60  # the longest working day an entry may hold


class Category(models.TextChoices):
    SYSTEM_SETUP = "system_setup", "System Setup"
    INTEGRATION_SUPPORT = "integration_support", "Integration Support"
    WORKFLOW_OPTIMIZATION = "workflow_optimization", "Workflow Optimization"
    CUSTOM_FIELD_MAPPING = "custom_field_mapping", "Custom Field Mapping"
    ENGAGEMENT_WORK = "engagement_work", "Engagement work"


ALLOTMENT_CATEGORIES = (
    Category.SYSTEM_SETUP,
    Category.INTEGRATION_SUPPORT,
    Category.WORKFLOW_OPTIMIZATION,
    Category.CUSTOM_FIELD_MAPPING,
)


class WorkMode(models.TextChoices):
    """How engagement work was done (Configuration Support runs as online calls and offline work)."""

    ONLINE_CALL = "online_call", "Online call"
    OFFLINE_WORK = "offline_work", "Offline work"


# What may be logged against an engagement: its own work, and Integration Support for a connector the contract
# has (a connector an accepted quote added, onboarded under the engagement the quote created).
ENGAGEMENT_CATEGORIES = (Category.ENGAGEMENT_WORK, Category.INTEGRATION_SUPPORT)


def round_up(minutes: int, increment: int) -> int:
    """Minutes rounded up to the next multiple of the increment: 50 by 15 -> 60, 45 by 15 -> 45."""
    increment = max(1, int(increment))
    return -(-int(minutes) // increment) * increment


class TimeEntryQuerySet(VisibleToQuerySet):
    """Account managers see every entry; a Solution Architect their own; customer admins their organization's."""

    def active(self):
        return self.filter(voided_at__isnull=True)

    def for_staff(self, user):
        if roles.is_account_manager(user):
            return self.all()
        if roles.is_solution_architect(user):
            return self.filter(architect=user)
        return self.none()

    def for_customer(self, user):
        return self.for_customer_admins(user)


class TimeEntry(models.Model):
    """Time a Solution Architect spent on one customer's configuration work; its debits live in the ledger."""

    tenant_path = "organization"

    architect = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries")
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="time_entries")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="time_entries")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, null=True, blank=True, related_name="time_entries"
    )
    engagement = models.ForeignKey(
        Engagement, on_delete=models.PROTECT, null=True, blank=True, related_name="time_entries"
    )
    category = models.CharField(max_length=30, choices=Category.choices)
    connector = models.ForeignKey(
        Connector, on_delete=models.PROTECT, null=True, blank=True, help_text="For Integration Support."
    )
    work_date = models.DateField()
    minutes = models.PositiveIntegerField(help_text="As entered.")
    minutes_debited = models.PositiveIntegerField(help_text="Rounded up to the contract's increment.")
    period_start = models.DateField(null=True, blank=True, help_text="The contract year debited (allotment work).")
    work_mode = models.CharField(
        max_length=12,
        choices=WorkMode.choices,
        blank=True,
        help_text="Engagement work: an online call or offline work.",
    )
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    void_reason = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords()
    objects = TimeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-work_date", "-pk"]
        verbose_name_plural = "time entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=MAX_ENTRY_MINUTES), name="time_entry_minutes_range"
            ),
            models.CheckConstraint(condition=Q(minutes_debited__gte=models.F("minutes")), name="time_entry_rounded_up"),
            models.CheckConstraint(
                condition=Q(ticket__isnull=False) | Q(engagement__isnull=False), name="time_entry_has_work_item"
            ),
            models.CheckConstraint(
                condition=Q(category__in=["engagement_work", "integration_support"], engagement__isnull=False)
                | (~Q(category="engagement_work") & Q(engagement__isnull=True)),
                name="time_entry_engagement_category",
            ),
            models.CheckConstraint(
                condition=Q(engagement__isnull=False) | Q(work_mode=""), name="time_entry_work_mode_on_engagements"
            ),
        ]
        indexes = [
            models.Index(fields=["architect", "work_date"], name="time_entry_architect_day"),
            models.Index(fields=["organization", "work_date"], name="time_entry_org_day"),
        ]

    def __str__(self) -> str:
        return f"{self.architect} · {self.organization} · {self.work_date} · {self.minutes} min"

    def clean(self) -> None:
        super().clean()
        if self.category == Category.INTEGRATION_SUPPORT and self.connector_id is None:
            raise ValidationError({"connector": "Integration Support names the connector worked on."})
        if self.category != Category.INTEGRATION_SUPPORT and self.connector_id is not None:
            raise ValidationError({"connector": "Only Integration Support names a connector."})

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None

    @property
    def work_item(self) -> str:
        if self.engagement_id:
            return f"Engagement: {self.engagement}"
        return f"Ticket #{self.ticket_id}"


class HoursBalance(models.Model):
    """Running sums of one ledger: a contract year's allotment, or an engagement's quoted hours.

    Every write to the ledger locks this row first (SELECT ... FOR UPDATE) and updates it in the same
    transaction, so two debits can never both see the same remaining minutes. The ledger stays the truth:
    `selectors.ledger_totals()` recomputes these sums from the rows.
    """

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="hours_balances")
    engagement = models.OneToOneField(
        Engagement, on_delete=models.PROTECT, null=True, blank=True, related_name="hours_balance"
    )
    period_start = models.DateField(null=True, blank=True)
    period_end = models.DateField(null=True, blank=True)
    allotment_minutes = models.IntegerField(
        default=0, help_text="The contract's allotment (or the engagement's quote) as last granted."
    )
    granted_minutes = models.IntegerField(default=0, help_text="Grant, rollover and allotment changes.")
    adjusted_minutes = models.IntegerField(default=0, help_text="Account managers' credits (+) and debits (-).")
    used_minutes = models.IntegerField(default=0, help_text="Debits and overage, net of reversals.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start"],
                condition=Q(engagement__isnull=True),
                name="hours_balance_one_per_contract_year",
            ),
            models.CheckConstraint(
                condition=Q(engagement__isnull=True, period_start__isnull=False)
                | Q(engagement__isnull=False, period_start__isnull=True),
                name="hours_balance_year_or_engagement",
            ),
        ]

    def __str__(self) -> str:
        what = f"engagement {self.engagement_id}" if self.engagement_id else f"year from {self.period_start}"
        return f"Contract {self.contract_id}, {what}: {self.balance_minutes} min"

    @property
    def allotted_minutes(self) -> int:
        return self.granted_minutes + self.adjusted_minutes

    @property
    def balance_minutes(self) -> int:
        """The ledger's sum: negative once overage has been recorded."""
        return self.allotted_minutes - self.used_minutes

    @property
    def remaining_minutes(self) -> int:
        return max(0, self.balance_minutes)


class LedgerQuerySet(VisibleToQuerySet):
    """Staff read every ledger; customer admins their organization's (their statement shows it)."""

    def for_customer(self, user):
        return self.for_customer_admins(user)

    def update(self, **kwargs):
        raise TypeError("The hours ledger is append-only: write a reversal or an adjustment instead.")

    def delete(self):
        raise TypeError("The hours ledger is append-only: write a reversal or an adjustment instead.")


class LedgerEntry(models.Model):
    """One signed movement of minutes. Rows are only ever added: never changed, never deleted."""

    tenant_path = "contract__organization"

    class Kind(models.TextChoices):
        GRANT = "grant", "Grant"
        ROLLOVER = "rollover", "Rollover"
        ALLOTMENT_CHANGE = "allotment_change", "Allotment changed"
        DEBIT = "debit", "Debit"
        OVERAGE = "overage", "Overage"
        REVERSAL = "reversal", "Reversal"
        ADJUSTMENT = "adjustment", "Adjustment"

    GRANTING = (Kind.GRANT, Kind.ROLLOVER, Kind.ALLOTMENT_CHANGE)
    USING = (Kind.DEBIT, Kind.OVERAGE, Kind.REVERSAL)

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="ledger_entries")
    engagement = models.ForeignKey(
        Engagement, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    period_start = models.DateField(null=True, blank=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    minutes = models.IntegerField(help_text="Signed: grants and credits add, debits subtract.")
    entry = models.ForeignKey(TimeEntry, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries")
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by")
    reason = models.CharField(max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name_plural = "ledger entries"
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start", "kind"],
                condition=Q(kind__in=["grant", "rollover"], engagement__isnull=True),
                name="ledger_one_grant_per_contract_year",
            ),
            models.UniqueConstraint(
                fields=["engagement"],
                condition=Q(kind="grant", engagement__isnull=False),
                name="ledger_one_grant_per_engagement",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""), name="ledger_adjustment_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(kind="reversal") | Q(reverses__isnull=False), name="ledger_reversal_names_its_row"
            ),
        ]
        indexes = [
            # Covers the balance query: the sum of one contract year reads the index alone.
            models.Index(
                fields=["contract", "period_start", "kind", "minutes"],
                condition=Q(engagement__isnull=True),
                name="ledger_contract_year",
            ),
            models.Index(fields=["engagement", "kind", "minutes"], name="ledger_engagement"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.minutes:+d} min (contract {self.contract_id})"

    def save(self, *args, **kwargs):
        if self.pk is not None and not kwargs.get("force_insert"):
            raise TypeError("The hours ledger is append-only: write a reversal or an adjustment instead.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The hours ledger is append-only: write a reversal or an adjustment instead.")


class UsageNotice(models.Model):
    """One row per contract year and threshold: the unique constraint makes each notice go out once."""

    THRESHOLDS = (75, 90, 100)

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="hours_notices")
    period_start = models.DateField()
    threshold = models.PositiveSmallIntegerField()
    used_minutes = models.IntegerField()
    allotted_minutes = models.IntegerField()
    recipients = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contract", "period_start", "threshold"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start", "threshold"], name="usage_notice_once_per_year_threshold"
            )
        ]

    def __str__(self) -> str:
        return f"Contract {self.contract_id}, year from {self.period_start}: {self.threshold}%"
