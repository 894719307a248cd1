"""A customer's request to change their support level, and its answer by the account manager."""

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from contracts.models.contract import Contract
from portal import roles
from portal.models import Organization
from portal.tenancy import VisibleToQuerySet


class ChangeRequestQuerySet(VisibleToQuerySet):
    """Staff read every request; a customer organization's admins read theirs (members are kept out)."""

    def for_customer(self, user):
        return self.for_customer_admins(user)

    def waiting(self):
        """Requests the account manager has still to answer."""
        return self.filter(status__in=ChangeRequest.WAITING)


class ChangeRequest(models.Model):
    """What a customer's admin asked to change in their support, and where the account manager's answer stands."""

    tenant_path = "organization"

    class Change(models.TextChoices):
        ENTERPRISE_SUPPORT = "enterprise_support", "Enterprise support"
        PREMIUM_SUPPORT = "premium_support", "Premium support"
        SLACK_CHANNEL = "slack_channel", "A Slack channel"
        CONFIGURATION_SUPPORT = "configuration_support", "Configuration Support"
        MORE_SA_HOURS = "more_sa_hours", "More Solution Architect hours"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        IN_DISCUSSION = "in_discussion", "In discussion"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"

    WAITING = (Status.REQUESTED, Status.IN_DISCUSSION)
    DECIDED = (Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN)
    # Status changes go through the service, which consults this map; anything not listed is refused.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.REQUESTED: frozenset({Status.IN_DISCUSSION, Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN}),
        Status.IN_DISCUSSION: frozenset({Status.IN_DISCUSSION, Status.ACCEPTED, Status.DECLINED, Status.WITHDRAWN}),
        Status.ACCEPTED: frozenset(),
        Status.DECLINED: frozenset(),
        Status.WITHDRAWN: frozenset(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="change_requests")
    contract = models.ForeignKey(
        Contract,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="change_requests",
        help_text="The contract in force when the request was made.",
    )
    change = models.CharField(max_length=30, choices=Change.choices)
    note = models.TextField(blank=True, help_text="The customer's words: what they need and why.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    response = models.TextField(blank=True, help_text="The account manager's answer, which the customer reads.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="change_requests"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(
        null=True, blank=True, help_text="When the contract edit that applies it was saved."
    )
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    applied_batch = models.CharField(
        max_length=40, blank=True, help_text="The contract history's change that applied the request."
    )

    history = HistoricalRecords()
    objects = ChangeRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "organization"], name="change_request_waiting")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_change_display()} for {self.organization} ({self.get_status_display()})"

    @property
    def is_waiting(self) -> bool:
        return self.status in self.WAITING

    @property
    def is_applied(self) -> bool:
        return self.applied_at is not None

    def can_move_to(self, status: str) -> bool:
        return status in self.TRANSITIONS.get(self.status, frozenset())

    def may_answer(self, user) -> bool:
        return roles.may_edit_contracts(user) and self.is_waiting
