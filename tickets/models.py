"""Tickets, their threads and timelines, and the first-response clock's snapshot."""

import hashlib
import hmac
import os
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce

from contracts.models import CalendarKind, Connector, Engagement, Priority, TargetSource
from portal.models import Organization, PostgresOnlyGinIndex
from portal.tenancy import VisibleToQuerySet


class Kind(models.TextChoices):
    QUESTION = "question", "Question"
    INCIDENT = "incident", "Incident or bug"
    FEATURE_REQUEST = "feature_request", "Feature request"
    CONFIGURATION_REQUEST = "configuration_request", "Configuration request"
    CONNECTOR_QUOTE = "connector_quote", "New connector (quote request)"


class TicketChannel(models.TextChoices):
    PORTAL = "portal", "Portal"
    EMAIL = "email", "Email"
    SLACK = "slack", "Slack"
    API = "api", "API"
    ESCALATION = "escalation", "Escalation"


class Status(models.TextChoices):
    NEW = "new", "New"
    OPEN = "open", "Open"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    ON_HOLD = "on_hold", "On hold"
    SOLVED = "solved", "Solved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER, Status.ON_HOLD)
# A solved ticket closes by itself this many days after it was solved (or last answered), without a reply.
SOLVED_CLOSE_DAYS = 7

# Status changes go through Ticket.can_move_to(); anything not listed is refused.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.OPEN, Status.PENDING_CUSTOMER, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
    Status.OPEN: {Status.PENDING_CUSTOMER, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
    Status.PENDING_CUSTOMER: {Status.OPEN, Status.ON_HOLD, Status.SOLVED, Status.CLOSED},
    Status.ON_HOLD: {Status.OPEN, Status.PENDING_CUSTOMER, Status.SOLVED, Status.CLOSED},
    Status.SOLVED: {Status.OPEN, Status.CLOSED},
    Status.CLOSED: set(),
}


class WaitingOn(models.TextChoices):
    """Whose turn it is in the conversation: set by public messages, cleared when the ticket is solved or closed."""

    US = "us", "Waiting on us"
    CUSTOMER = "customer", "Waiting on the customer"


# The queue's stored sort keys. The database computes them from the row on every write (generated columns),
# so whatever changes a ticket, its place in the queue is right, and an index serves the queue's order.
_OPEN = Q(status__in=OPEN_STATUSES)
_CLOCK_RUNNING = _OPEN & Q(first_response_at__isnull=True, first_response_due_at__isnull=False)


class QueueRank(models.IntegerChoices):
    CLOCK_RUNNING = 0, "First response due"
    WAITING_ON_US = 1, "Waiting on us"
    WAITING_ON_CUSTOMER = 2, "Waiting on the customer"
    AT_REST = 3, "Solved, closed or waiting on nobody"


QUEUE_RANK = Case(
    When(_CLOCK_RUNNING, then=Value(QueueRank.CLOCK_RUNNING)),
    When(_OPEN & Q(waiting_on=WaitingOn.US), then=Value(QueueRank.WAITING_ON_US)),
    When(_OPEN & Q(waiting_on=WaitingOn.CUSTOMER), then=Value(QueueRank.WAITING_ON_CUSTOMER)),
    default=Value(QueueRank.AT_REST),
)
# Within a rank: the deadline while the first-response clock runs, else since when the current turn lasts.
QUEUE_AT = Coalesce(
    Case(When(_CLOCK_RUNNING, then=F("first_response_due_at"))),
    F("waiting_since"),
    F("received_at"),
)
PRIORITY_RANK = Case(
    *(When(priority=value, then=Value(rank)) for rank, value in enumerate(Priority.values)),
    default=Value(len(Priority.values)),
)


class SlaState(models.TextChoices):
    NONE = "none", "No target"
    RUNNING = "running", "Running"
    AT_RISK = "at_risk", "At risk"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"


class TicketQuerySet(VisibleToQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def queue_order(self):
        """Most urgent first: running first-response clocks by deadline, then the longest waiting on us, then
        those waiting on the customer; served by the stored keys and their index."""
        return self.order_by("queue_rank", "queue_at", "pk")


class OrganizationRef(NamedTuple):
    id: int
    name: str


class Ticket(models.Model):
    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="tickets")
    organization_name = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The organization's name, kept with the ticket so the queue sorts by it through an index "
        "(set when the ticket is saved; Organization.save() renames its tickets).",
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="requested_tickets"
    )
    requester_label = models.CharField(
        max_length=200, blank=True, help_text="Who wrote, when they have no account (a Slack user, say)."
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="raised_tickets",
        help_text="Staff who opened it on the customer's behalf (a quote request from a refused time entry, say).",
    )
    subject = models.CharField(max_length=200)
    description = models.TextField()
    kind = models.CharField(max_length=30, choices=Kind.choices, default=Kind.QUESTION)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(max_length=12, choices=TicketChannel.choices, default=TicketChannel.PORTAL)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="assigned_tickets"
    )
    ccs = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="cc_tickets")
    engagement = models.ForeignKey(Engagement, on_delete=models.SET_NULL, null=True, blank=True, related_name="tickets")
    connector = models.ForeignKey(
        Connector, on_delete=models.SET_NULL, null=True, blank=True, help_text="For quote requests."
    )
    received_at = models.DateTimeField(db_index=True)
    tier = models.CharField(
        max_length=12, blank=True, help_text="The support tier when the ticket arrived (blank: no active contract)."
    )

    # The deadline snapshot: what applied when the ticket arrived (or when staff last moved it).
    sla_policy = models.CharField(max_length=12, choices=TargetSource.choices, blank=True)
    sla_target_minutes = models.PositiveIntegerField(null=True, blank=True)
    sla_calendar = models.CharField(max_length=10, choices=CalendarKind.choices, blank=True)
    sla_clock_start = models.DateTimeField(null=True, blank=True)
    sla_candidates = models.JSONField(default=list, blank=True)
    sla_cap_at = models.DateTimeField(
        null=True, blank=True, help_text="After a raise of priority: the deadline the ticket had, never extended."
    )
    sla_note = models.CharField(max_length=300, blank=True, help_text="Why there is no target, or how it was set.")
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    at_risk_due_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    at_risk_at = models.DateTimeField(null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    first_response_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minutes of the target's own calendar from arrival to the first response."
    )

    needs_account_review = models.BooleanField(
        default=False, help_text="Arrived without an active contract; its account manager was told."
    )
    premium = models.BooleanField(default=False, help_text="The customer had the Premium add-on when it arrived.")
    sender_verified = models.BooleanField(
        default=True, help_text="False: an email from a known address that no proof authenticated (docs/intake.md)."
    )
    waiting_on = models.CharField(max_length=10, choices=WaitingOn.choices, blank=True)
    waiting_since = models.DateTimeField(null=True, blank=True, help_text="When the current turn began.")
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="When it was escalated to on-call.")
    solved_at = models.DateTimeField(
        null=True, blank=True, help_text="When it was solved (or last answered since): it closes 7 days later."
    )
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_tickets"
    )
    tags = models.ManyToManyField("tickets.Tag", blank=True, related_name="tickets")
    # Subject (A), description (B), public messages (C) and internal notes (D): customers search A-C only.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    queue_rank = models.GeneratedField(expression=QUEUE_RANK, output_field=models.SmallIntegerField(), db_persist=True)
    queue_at = models.GeneratedField(expression=QUEUE_AT, output_field=models.DateTimeField(), db_persist=True)
    priority_rank = models.GeneratedField(
        expression=PRIORITY_RANK, output_field=models.SmallIntegerField(), db_persist=True
    )
    suggested_articles = models.JSONField(default=list, blank=True, help_text="Article ids the form suggested.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        indexes = [
            # The sweep reads only tickets whose marks are due: at-risk marks here, breaches through
            # ticket_deadline_pending below.
            models.Index(
                fields=["at_risk_due_at"],
                name="ticket_at_risk_due",
                condition=Q(first_response_at__isnull=True, at_risk_at__isnull=True, at_risk_due_at__isnull=False),
            ),
            models.Index(fields=["organization", "status"], name="ticket_org_status"),
            models.Index(fields=["status", "first_response_due_at"], name="ticket_queue"),
            # The queue's default order, read a page at a time.
            models.Index(fields=["queue_rank", "queue_at", "id"], name="ticket_queue_order", condition=_OPEN),
            models.Index(fields=["status", "solved_at"], name="ticket_solved", condition=Q(status="solved")),
            # Deadlines still pending (open, unanswered, no breach recorded): the sweep's breaches, and the views
            # that depend on the clock ("breaching within 2 hours", an overdue ticket the sweep has not marked yet).
            # Carries the organization and the arrival, so the account manager's home counts each account's
            # running clocks from the index alone.
            models.Index(
                fields=["first_response_due_at"],
                include=["organization_id", "received_at"],
                name="ticket_deadline_pending",
                condition=_OPEN
                & Q(first_response_at__isnull=True, breached_at__isnull=True, first_response_due_at__isnull=False),
            ),
            # The queue's views and sorts, a page at a time, over open tickets only.
            models.Index(
                fields=["assignee", "queue_rank", "queue_at", "id"], name="ticket_open_assignee", condition=_OPEN
            ),
            models.Index(
                fields=["waiting_on", "queue_rank", "queue_at", "id"], name="ticket_open_waiting_on", condition=_OPEN
            ),
            models.Index(
                fields=["queue_rank", "queue_at", "id"],
                name="ticket_open_escalated",
                condition=_OPEN & Q(escalated_at__isnull=False),
            ),
            models.Index(
                fields=["priority_rank", "queue_rank", "queue_at", "id"], name="ticket_open_priority", condition=_OPEN
            ),
            models.Index(
                fields=["organization_name", "queue_rank", "queue_at", "id"],
                name="ticket_open_organization",
                condition=_OPEN,
            ),
            models.Index(fields=["updated_at", "id"], name="ticket_open_updated", condition=_OPEN),
            # Connector quotes still to answer, on the account manager's home (a few among a million tickets).
            models.Index(
                fields=["received_at", "id"], name="ticket_open_quotes", condition=_OPEN & Q(kind=Kind.CONNECTOR_QUOTE)
            ),
            models.Index(fields=["waiting_since", "id"], name="ticket_open_waiting", condition=_OPEN),
            # A customer's tickets newest first (their list and the API's default order).
            models.Index(fields=["organization", "received_at", "id"], name="ticket_org_received"),
            # A requester's latest tickets (the workspace's side panel), however few and old they are.
            models.Index(fields=["requester", "received_at", "id"], name="ticket_requester_received"),
            PostgresOnlyGinIndex(fields=["search_vector"], name="ticket_search_gin"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    def save(self, *args, **kwargs):
        # The organization's name goes with the ticket (the queue sorts by it): on arrival, and when the ticket
        # moves to another organization (the Django admin allows it).
        moved = self.organization_id != getattr(self, "_loaded_organization_id", None)
        if self.organization_id and (moved or not self.organization_name):
            self.organization_name = self.organization.name
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "organization_name"}
        super().save(*args, **kwargs)
        self._loaded_organization_id = self.organization_id

    @classmethod
    def from_db(cls, db, field_names, values):
        ticket = super().from_db(db, field_names, values)
        ticket._loaded_organization_id = ticket.__dict__.get("organization_id")
        return ticket

    @property
    def reference(self) -> str:
        return ticket_reference(self.pk)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def can_move_to(self, status: str) -> bool:
        return status in ALLOWED_TRANSITIONS.get(self.status, set())

    def sla_state(self, *, now) -> str:
        if self.first_response_due_at is None:
            return SlaState.NONE
        if self.breached_at is not None:
            return SlaState.BREACHED
        if self.first_response_at is not None:
            return SlaState.MET if self.first_response_at <= self.first_response_due_at else SlaState.BREACHED
        if not self.is_open:
            return SlaState.NONE
        if now >= self.first_response_due_at:
            return SlaState.BREACHED
        if self.at_risk_at is not None or (self.at_risk_due_at and now >= self.at_risk_due_at):
            return SlaState.AT_RISK
        return SlaState.RUNNING

    def requester_name(self) -> str:
        return str(self.requester) if self.requester else (self.requester_label or "unknown")

    @property
    def organization_ref(self) -> "OrganizationRef":
        """The ticket's organization as lists name it, from the ticket's own columns: a list needs no join (and
        PostgreSQL no time to plan one) to say whose each ticket is."""
        return OrganizationRef(self.organization_id, self.organization_name)

    @property
    def is_escalated(self) -> bool:
        return self.escalated_at is not None

    def survivor(self) -> "Ticket":
        """The ticket this one was merged into (following every merge), or itself."""
        ticket, seen = self, {self.pk}
        while ticket.merged_into_id is not None and ticket.merged_into_id not in seen:
            seen.add(ticket.merged_into_id)
            ticket = ticket.merged_into
        return ticket


def ticket_reference(pk: int) -> str:
    """'123-9f2c4e1a0b': the ticket number with a keyed hash, so a reference cannot be guessed by counting."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"ticket:{pk}".encode(), hashlib.sha256).hexdigest()[:10]
    return f"{pk}-{digest}"


def ticket_pk_from_reference(reference: str) -> int | None:
    """The ticket number when the reference's hash is right, else None."""
    number, _, _ = reference.partition("-")
    if not (number.isascii() and number.isdigit()):
        return None
    return int(number) if hmac.compare_digest(ticket_reference(int(number)), reference) else None


class PublicToCustomersQuerySet(VisibleToQuerySet):
    """Rows of a ticket that customers read only when public: internal notes are for staff."""

    def for_customer(self, user):
        return self.filter(public=True)


class Comment(models.Model):
    tenant_path = "ticket__organization"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    author_label = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    public = models.BooleanField(default=True)
    is_staff_reply = models.BooleanField(default=False)
    is_automatic = models.BooleanField(default=False, help_text="Sent by the portal itself (an acknowledgement).")
    channel = models.CharField(max_length=12, choices=TicketChannel.choices, default=TicketChannel.PORTAL)
    external_id = models.CharField(max_length=255, blank=True, db_index=True, help_text="Message-ID or Slack ts.")
    created_at = models.DateTimeField(db_index=True)

    objects = PublicToCustomersQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on #{self.ticket_id} by {self.author or self.author_label}"

    def author_name(self) -> str:
        return str(self.author) if self.author else (self.author_label or "Support Portal")


def attachment_size_problem(name: str, size: int) -> str | None:
    """Why a file is too large to attach to a ticket (ATTACHMENT_MAX_BYTES), or None when it fits."""
    limit = settings.ATTACHMENT_MAX_BYTES
    if size <= limit:
        return None
    return f"{name} is larger than the {limit // (1024 * 1024)} MB limit for attachments."


def attachment_path(instance, filename: str) -> str:
    # A random folder name: stored files are never reachable by guessing, and names never collide.
    return f"attachments/{instance.ticket_id}/{os.urandom(8).hex()}/{os.path.basename(filename)[-120:]}"


class Attachment(models.Model):
    tenant_path = "ticket__organization"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, on_delete=models.CASCADE, null=True, blank=True, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=150, blank=True)
    size = models.PositiveBigIntegerField()
    public = models.BooleanField(default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PublicToCustomersQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.filename


class TicketEvent(models.Model):
    """One line of a ticket's timeline, written in the same transaction as the change it records."""

    tenant_path = "ticket__organization"

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        PRIORITY_CHANGED = "priority_changed", "Priority changed"
        DEADLINE_RECOMPUTED = "deadline_recomputed", "Deadline recomputed"
        ASSIGNED = "assigned", "Assigned"
        STATUS_CHANGED = "status_changed", "Status changed"
        FIRST_RESPONSE = "first_response", "First response"
        AT_RISK = "at_risk", "At risk"
        BREACHED = "breached", "Breached"
        ESCALATED = "escalated", "Escalated"
        FLAGGED = "flagged", "Flagged for the account manager"
        MERGED = "merged", "Merged"
        TAGS_CHANGED = "tags_changed", "Tags changed"
        CCS_CHANGED = "ccs_changed", "People copied changed"
        RATED = "rated", "Satisfaction rated"
        EMAIL_ACCEPTED = "email_accepted", "Held email accepted"
        ATTACHMENT_REFUSED = "attachment_refused", "Attachment not taken"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    message = models.CharField(max_length=500)
    public = models.BooleanField(default=True, help_text="Shown to the customer.")
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(db_index=True)

    objects = PublicToCustomersQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind}: {self.message}"


class SlaAlert(models.Model):
    """One row per ticket and alert: the unique constraint makes notifications happen once (its message is in
    the outbox under the key `ticket:<id>:<kind>`)."""

    class Kind(models.TextChoices):
        AT_RISK = "at_risk", "At risk"
        BREACHED = "breached", "Breached"
        ESCALATED = "escalated", "Escalated to on-call"
        PAGED = "paged", "Paged on receipt"
        NO_CONTRACT = "no_contract", "No active contract"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "kind"], name="one_alert_per_ticket_kind")]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.kind}"


class ClosureDay(models.Model):
    """An admin's change to the support calendar: a day closed beyond the federal holidays, or a holiday worked."""

    class Action(models.TextChoices):
        CLOSE = "close", "Closed (add a closure day)"
        OPEN = "open", "Open (remove a holiday)"

    date = models.DateField(unique=True)
    action = models.CharField(max_length=6, choices=Action.choices, default=Action.CLOSE)
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_action_display()}: {self.reason}"


# The Support Engineer's workspace ------------------------------------------------------------------------


TAG_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"


class Tag(models.Model):
    """A free label staff put on tickets (never shown to customers): lower case, no spaces."""

    name = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Macro(models.Model):
    """A canned reply staff keep: text with placeholders, and optionally a status and tags it sets."""

    title = models.CharField(max_length=120, unique=True)
    body = models.TextField(help_text="Placeholders: {customer_name}, {ticket_number}, {deadline}, {agent_name}.")
    set_status = models.CharField(
        max_length=20, choices=Status.choices, blank=True, help_text="The status the ticket takes with this reply."
    )
    add_tags = models.CharField(max_length=300, blank=True, help_text="Tags to add, separated by commas.")
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    @property
    def tag_list(self) -> list[str]:
        return [t for t in (part.strip().lower() for part in self.add_tags.split(",")) if t]


class Rating(models.TextChoices):
    GOOD = "good", "Good, I'm satisfied"
    BAD = "bad", "Bad, I'm unsatisfied"


class SatisfactionRating(models.Model):
    """The requester's answer to "how did it go?" once a ticket is solved: one per ticket, final."""

    tenant_path = "ticket__organization"

    class Via(models.TextChoices):
        LINK = "link", "Email link"
        PORTAL = "portal", "Portal"
        API = "api", "API"

    ticket = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="satisfaction")
    rating = models.CharField(max_length=4, choices=Rating.choices)
    comment = models.TextField(blank=True, max_length=2000)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    via = models.CharField(max_length=6, choices=Via.choices)
    created_at = models.DateTimeField(db_index=True)

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.rating}"

    @property
    def is_good(self) -> bool:
        return self.rating == Rating.GOOD


class QueueTally(models.Model):
    """Open tickets counted under the keys of the queue's views: rows of +1/-1 that a database trigger writes in
    the transaction of each change, summed on read and folded every minute (see tickets.tally)."""

    organization_id = models.BigIntegerField()
    assignee_id = models.BigIntegerField(null=True)
    premium = models.BooleanField()
    waiting_on = models.CharField(max_length=10, blank=True)
    escalated = models.BooleanField()
    breached = models.BooleanField(help_text="Unanswered, with a breach recorded.")
    n = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.n:+d} open (organization {self.organization_id}, assignee {self.assignee_id})"


class TicketPresence(models.Model):
    """Who has a ticket open in the workspace right now, and whether they are typing (staff only)."""

    class State(models.TextChoices):
        VIEWING = "viewing", "viewing"
        TYPING = "typing", "typing a reply"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.VIEWING)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "user"], name="one_presence_per_ticket_user")]

    def __str__(self) -> str:
        return f"{self.user} {self.state} #{self.ticket_id}"


# Report rollups: counts kept in the same transaction as the ticket changes they count -----------------------


class ReportCounts(models.Model):
    """What a report rollup counts, and by what: tickets per tier, Premium, priority, channel, kind and target
    calendar (the day and month tables below each add their period). Counts are signed: a month row takes
    additions and subtractions (tickets.reports.rollups), and a day row is always written whole."""

    tier = models.CharField(max_length=12, blank=True)
    premium = models.BooleanField(default=False)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    channel = models.CharField(max_length=12, choices=TicketChannel.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    calendar = models.CharField(max_length=10, choices=CalendarKind.choices, blank=True)
    tickets = models.IntegerField(default=0)
    with_target = models.IntegerField(default=0)
    responded = models.IntegerField(default=0, help_text="With a target and a first response.")
    met = models.IntegerField(default=0)
    breached = models.IntegerField(default=0)
    rated_good = models.IntegerField(default=0)
    rated_bad = models.IntegerField(default=0)
    # First responses (with a target calendar and minutes) by the share of their target they took.
    share_quarter = models.IntegerField(default=0, help_text="Within 25% of the target.")
    share_half = models.IntegerField(default=0, help_text="Over 25%, within 50% of the target.")
    share_three_quarters = models.IntegerField(default=0, help_text="Over 50%, within 75% of the target.")
    share_in_time = models.IntegerField(default=0, help_text="Over 75%, within the target.")
    share_late = models.IntegerField(default=0, help_text="Over the target.")

    class Meta:
        abstract = True


class ReportRollup(ReportCounts):
    """Tickets received on one support day by one organization, counted per tier, Premium, priority, channel,
    kind and target calendar: what the reports and the customers' attainment page read instead of tickets.
    Kept by tickets.reports.rollups (refreshed with each change it counts; rebuilt by `rebuild_report_rollups`)."""

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="The support-calendar day the tickets arrived.")
    month = models.DateField(help_text="The first day of that day's month (grouped on without date functions).")

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "tier", "premium", "priority", "channel", "kind", "calendar"],
                name="one_report_rollup_per_key",
            )
        ]
        indexes = [models.Index(fields=["day"], name="report_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.organization_id} {self.tier}/{self.priority}/{self.channel}: {self.tickets}"


class ReportMonthRollup(ReportCounts):
    """The sum of one organization's ReportRollup rows of one month, with the same key and counts but the day:
    what the reports read for the months a range covers whole (a few thousand rows a year, whatever the tickets)."""

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="The first day of the month.")

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month", "tier", "premium", "priority", "channel", "kind", "calendar"],
                name="one_report_month_rollup_per_key",
            )
        ]
        indexes = [models.Index(fields=["month"], name="report_month_rollup_month")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.organization_id} {self.tier}/{self.priority}/{self.channel}: {self.tickets}"


class ResponseRollup(models.Model):
    """How many tickets received on one support day by one organization, per tier, priority and target calendar,
    got their first response after a number of minutes of that calendar within one bucket (see
    tickets.reports.rollups.minute_bucket; `bucket` is its lower bound): the medians come from these rows."""

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    month = models.DateField()
    tier = models.CharField(max_length=12, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    calendar = models.CharField(max_length=10, choices=CalendarKind.choices)
    bucket = models.PositiveIntegerField(help_text="The lower bound, in minutes, of the minutes' bucket.")
    tickets = models.PositiveIntegerField(default=0)

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "day", "tier", "priority", "calendar", "bucket"],
                name="one_response_rollup_per_key",
            )
        ]
        indexes = [models.Index(fields=["day"], name="response_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.organization_id} {self.bucket} min × {self.tickets}"


class ResponseMonthRollup(models.Model):
    """The sum of one organization's ResponseRollup rows of one month."""

    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()
    tier = models.CharField(max_length=12, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    calendar = models.CharField(max_length=10, choices=CalendarKind.choices)
    bucket = models.PositiveIntegerField()
    tickets = models.IntegerField(default=0)

    objects = VisibleToQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month", "tier", "priority", "calendar", "bucket"],
                name="one_response_month_rollup_per_key",
            )
        ]
        indexes = [
            # Medians read the months' rows in this order (PostgreSQL: an index-only scan, no sort).
            models.Index(
                fields=["month", "tier", "priority", "calendar", "bucket"],
                include=["organization", "tickets"],
                name="response_month_rollup_median",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.organization_id} {self.bucket} min × {self.tickets}"


class ResponseMonthTotal(models.Model):
    """The ResponseMonthRollup rows of one month added up over every organization: what the reports that span
    every account read for their medians (a few thousand rows a year, read in this order with no sort)."""

    month = models.DateField()
    tier = models.CharField(max_length=12, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices)
    calendar = models.CharField(max_length=10, choices=CalendarKind.choices)
    bucket = models.PositiveIntegerField()
    tickets = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "tier", "priority", "calendar", "bucket"], name="one_response_month_total_per_key"
            )
        ]
        indexes = [
            # The medians read the rows in this order and need nothing else (PostgreSQL: an index-only scan).
            models.Index(
                fields=["month", "tier", "priority", "calendar", "bucket"],
                include=["tickets"],
                name="response_month_total_median",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.bucket} min × {self.tickets}"


class EngineerRollup(models.Model):
    """One engineer's public replies on one support day, and the first responses among them (met or not),
    per tier of the tickets answered."""

    engineer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    month = models.DateField()
    tier = models.CharField(max_length=12, blank=True)
    replies = models.PositiveIntegerField(default=0)
    first_responses = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["engineer", "day", "tier"], name="one_engineer_rollup_per_key")]
        indexes = [models.Index(fields=["day"], name="engineer_rollup_day")]

    def __str__(self) -> str:
        return f"{self.day} {self.engineer_id}: {self.replies} replies"
