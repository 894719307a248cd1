"""Quotes: a connector outside the contract is a new project, quoted by the account manager and accepted by the
customer, which adds the connector to the contract and starts its onboarding engagement."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from contracts.models.contract import Connector, Contract, Engagement
from portal.models import Organization
from portal.tenancy import VisibleToQuerySet


class Currency(models.TextChoices):
    USD = "USD", "US dollar"
    EUR = "EUR", "Euro"
    GBP = "GBP", "Pound sterling"
    CAD = "CAD", "Canadian dollar"
    AUD = "AUD", "Australian dollar"


class QuoteQuerySet(VisibleToQuerySet):
    """Staff read every quote; a customer organization's admins read the quotes sent to them (never a draft)."""

    def for_customer(self, user):
        return self.for_customer_admins(user).exclude(status=Quote.Status.DRAFT)

    def waiting_on_staff(self):
        return self.filter(status=Quote.Status.DRAFT)


class Quote(models.Model):
    """The price and scope of onboarding a connector the contract does not include."""

    tenant_path = "organization"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SENT = "sent", "Sent"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="quotes")
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="quotes", help_text="The contract the connector joins."
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.PROTECT, related_name="quotes", help_text="The quote request it answers."
    )
    connector = models.ForeignKey(Connector, on_delete=models.PROTECT, related_name="quotes")
    hours = models.DecimalField(
        "quoted hours",
        max_digits=7,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.25")), MaxValueValidator(Decimal("10000"))],
    )
    price = models.DecimalField(
        max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0")), MaxValueValidator(10**9)]
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    valid_until = models.DateField(help_text="The last day the customer can accept it.")
    scope = models.TextField(help_text="What the onboarding covers; it becomes the engagement's scope.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    customer_note = models.TextField(blank=True, help_text="The customer's words when they accepted or declined.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    engagement = models.OneToOneField(
        Engagement,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="quote",
        help_text="The onboarding engagement its acceptance created.",
    )

    objects = QuoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="quote_price_not_negative"),
            models.CheckConstraint(condition=models.Q(hours__gt=0), name="quote_hours_positive"),
            models.CheckConstraint(
                condition=~models.Q(status="accepted") | models.Q(engagement__isnull=False),
                name="quote_accepted_has_engagement",
            ),
        ]

    def __str__(self) -> str:
        return f"Quote #{self.pk}: {self.connector} for {self.organization}"

    def is_expired(self, today: datetime.date) -> bool:
        """True once the validity has run out without an answer (the periodic sweep then records it)."""
        return self.status == self.Status.EXPIRED or (self.status == self.Status.SENT and today > self.valid_until)

    def status_on(self, today: datetime.date) -> str:
        """The status as of `today`: a sent quote past its validity reads as expired before the sweep records it."""
        return self.Status.EXPIRED if self.is_expired(today) else self.status
