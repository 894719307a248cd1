"""Models of the intake channels (email, Slack): the raw messages kept, and the quarantine."""

from django.conf import settings
from django.db import models
from django.utils import timezone

# What staff read for each reason a message was set aside (the codes stay in the data and the API).
REASON_LABELS = {
    "malformed": "Unreadable message",
    "loop": "Mail loop",
    "automatic": "Automatic message",
    "no_sender": "No sender address",
    "not_allowed": "Sender may not write to this ticket",
    "unknown_sender": "Unknown sender",
    "staff_new": "Staff wrote without naming a ticket",
    "no_organization": "Sender has no organization",
    "processing_error": "Processing failed",
    "rejected": "Reply refused by the ticket",
    "channel_refused": "Email is not in the customer's contract",
}


class InboundEmail(models.Model):
    """One message as it arrived (raw bytes, kept for good), and what became of it."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not processed yet"
        TICKET_CREATED = "ticket_created", "Ticket created"
        COMMENT_ADDED = "comment_added", "Comment added"
        QUARANTINED = "quarantined", "Quarantined"
        REFUSED = "refused", "Refused (channel not in the contract)"
        ACCEPTED = "accepted", "Accepted by staff"
        DISCARDED = "discarded", "Discarded by staff"

    class Source(models.TextChoices):
        MAILGATE = "mailgate", "Mail server pipe"
        HTTP = "http", "HTTP inbound"

    # What staff still have to look at: quarantined and refused messages, and any left unprocessed.
    NEEDS_REVIEW = (Status.QUARANTINED, Status.REFUSED)
    # Staff decisions; processing itself only ever leaves RECEIVED.
    REVIEW_TRANSITIONS = {
        Status.RECEIVED: {Status.ACCEPTED, Status.DISCARDED},
        Status.QUARANTINED: {Status.ACCEPTED, Status.DISCARDED},
        Status.REFUSED: {Status.ACCEPTED, Status.DISCARDED},
    }

    raw = models.BinaryField(help_text="The message exactly as the mail server handed it over.")
    raw_size = models.PositiveIntegerField()
    raw_sha256 = models.CharField(max_length=64, db_index=True)
    message_id = models.CharField(
        max_length=255,
        unique=True,
        help_text="The Message-ID without angle brackets; derived from the raw bytes' sha256 when missing.",
    )
    message_id_derived = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MAILGATE)
    sender = models.CharField(max_length=254, blank=True, help_text="The From address, when there is one.")
    subject = models.CharField(max_length=300, blank=True)
    authentication = models.CharField(
        max_length=20,
        blank=True,
        help_text="How the sender was authenticated: reply_address, dmarc, dkim; blank when not (docs/intake.md).",
    )
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    reason_code = models.CharField(max_length=40, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    organization = models.ForeignKey(
        "portal.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_emails"
    )
    comment = models.ForeignKey(
        "tickets.Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="inbound_emails"
    )
    refusal_sent_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tickets_inboundemail"  # made when these models lived in the tickets app
        ordering = ["-received_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.message_id} ({self.get_status_display()})"

    @property
    def reason_label(self) -> str:
        """The reason code in words (an unknown code is shown as it is, never hidden)."""
        return REASON_LABELS.get(self.reason_code, self.reason_code.replace("_", " ").capitalize())

    @property
    def raw_bytes(self) -> bytes:
        # PostgreSQL hands BinaryField back as a memoryview.
        return bytes(self.raw)

    def can_become(self, status: str) -> bool:
        return status in self.REVIEW_TRANSITIONS.get(self.status, set())


class SlackEvent(models.Model):
    """One Slack Events API delivery (by its event_id, so Slack's retries are recognised)."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received, not processed yet"
        TICKET_CREATED = "ticket_created", "Ticket created"
        COMMENT_ADDED = "comment_added", "Comment added"
        REFUSED = "refused", "Refused (Slack not in the contract)"
        IGNORED = "ignored", "Ignored"
        ERROR = "error", "Processing error"

    NEEDS_REVIEW = (Status.REFUSED, Status.ERROR)

    event_id = models.CharField(max_length=64, unique=True)
    event_type = models.CharField(max_length=64, blank=True)
    team = models.CharField(max_length=32, blank=True)
    channel = models.CharField(max_length=32, blank=True)
    user = models.CharField(max_length=32, blank=True)
    ts = models.CharField(max_length=32, blank=True)
    thread_ts = models.CharField(max_length=32, blank=True, help_text="The thread's first message; blank on it.")
    payload = models.JSONField()
    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.RECEIVED, db_index=True)
    reason = models.CharField(max_length=500, blank=True)
    organization = models.ForeignKey(
        "portal.Organization", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="slack_events"
    )
    comment = models.ForeignKey(
        "tickets.Comment", on_delete=models.SET_NULL, null=True, blank=True, related_name="slack_events"
    )
    refusal_replied_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "tickets_slackevent"
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["channel", "thread_ts"], name="slackevent_thread")]

    def __str__(self) -> str:
        return f"{self.event_id} ({self.get_status_display()})"

    @property
    def thread_root(self) -> str:
        return self.thread_ts or self.ts

    @property
    def text(self) -> str:
        event = self.payload.get("event") if isinstance(self.payload, dict) else None
        return str((event or {}).get("text") or "")


class SlackThread(models.Model):
    """One ticket per Slack thread: the thread's first message opened it, replies become comments."""

    channel_id = models.CharField(max_length=32)
    thread_ts = models.CharField(max_length=32)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="slack_threads")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "tickets_slackthread"
        constraints = [models.UniqueConstraint(fields=["channel_id", "thread_ts"], name="one_ticket_per_slack_thread")]

    def __str__(self) -> str:
        return f"{self.channel_id}/{self.thread_ts} → #{self.ticket_id}"
