import hashlib
import html
import zoneinfo
from datetime import timedelta

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import models, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import Truncator, slugify

from portal import roles
from portal.tenancy import VisibleToQuerySet

TIME_ZONE_CHOICES = [(name, name) for name in sorted(zoneinfo.available_timezones()) if "/" in name] + [("UTC", "UTC")]


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        # Addresses are unique whatever their case, so sign-in ignores case too.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: a customer's employee or one of the vendor's staff."""

    email = models.EmailField("email address", max_length=254, unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="America/Los_Angeles")
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField("may use the Django admin", default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.email

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def is_support_staff(self) -> bool:
        return roles.is_support_staff(self)

    @property
    def organization(self) -> "Organization | None":
        """The customer organization this user belongs to, or None for staff."""
        membership = getattr(self, "membership", None) if self.pk else None
        return membership.organization if membership else None

    @property
    def is_organization_admin(self) -> bool:
        return roles.is_organization_admin(self)


class OrganizationQuerySet(VisibleToQuerySet):
    pass


class Organization(models.Model):
    """A customer account: the tenant every customer-visible row belongs to."""

    tenant_path = "pk"

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True)
    account_manager = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_organizations",
        help_text="Told about breaches, hours usage and tickets that arrive without an active contract.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:200]
        renamed = not self._state.adding and getattr(self, "_saved_name", None) != self.name
        with transaction.atomic():
            super().save(*args, **kwargs)
            if renamed:
                # The tickets keep the name for the queue's sort (tickets.Ticket.organization_name).
                self.tickets.exclude(organization_name=self.name).update(organization_name=self.name)
        self._saved_name = self.name

    @classmethod
    def from_db(cls, db, field_names, values):
        organization = super().from_db(db, field_names, values)
        organization._saved_name = organization.__dict__.get("name")  # a rename is told by comparing with this
        return organization

    def admins(self):
        return User.objects.filter(membership__organization=self, membership__role=Membership.Role.ADMIN)


class MembershipQuerySet(VisibleToQuerySet):
    pass


class Membership(models.Model):
    """Ties a customer to their organization with a role; a person belongs to one organization."""

    tenant_path = "organization"

    class Role(models.TextChoices):
        ADMIN = roles.CUSTOMER_ADMIN, "Administrator"
        MEMBER = "member", "Member"

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["organization", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.organization})"


# Knowledge base -------------------------------------------------------------------------------

SEARCH_CONFIG = "english"


def article_search_vector():
    """The weighted document searched on PostgreSQL; the GIN index is built on this same expression."""
    return (
        SearchVector("title", weight="A", config=SEARCH_CONFIG)
        + SearchVector("tags", weight="B", config=SEARCH_CONFIG)
        + SearchVector("body_markdown", weight="C", config=SEARCH_CONFIG)
    )


class PostgresOnlyGinIndex(GinIndex):
    """A GIN index that exists on PostgreSQL only: SQLite (development, tests) has no GIN and skips it.

    Skipping here rather than in one migration also covers SQLite's table rebuilds, which recreate
    every index in Meta.indexes whenever a later migration alters the table.
    """

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return f"-- {self.name}: GIN indexes exist on PostgreSQL only"
        return super().create_sql(model, schema_editor, using=using, **kwargs)

    def remove_sql(self, model, schema_editor, **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return f"-- {self.name}: GIN indexes exist on PostgreSQL only"
        return super().remove_sql(model, schema_editor, **kwargs)


class Category(models.Model):
    """A shelf of the knowledge base: Getting started, Connectors, ..."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Categories are listed by this number.")

    class Meta:
        ordering = ["position", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        if not self.slug:
            self.slug = slugify(self.name)[:100]
        super().save(*args, **kwargs)


class ArticleQuerySet(VisibleToQuerySet):
    """Staff read every article, drafts included; customers published ones; everyone else public ones."""

    def published(self):
        return self.filter(status=Article.Status.PUBLISHED)

    def for_anonymous(self):
        return self.published().filter(visibility=Article.Visibility.PUBLIC)

    def for_unaffiliated(self, user):
        return self.for_anonymous()

    def for_customer(self, user):
        return self.published()

    def with_tag(self, tag: str):
        """Articles carrying exactly this tag (tags are stored normalised: "a, b, c")."""
        tag = tag.strip().lower()
        return self.filter(
            models.Q(tags=tag)
            | models.Q(tags__startswith=f"{tag}, ")
            | models.Q(tags__endswith=f", {tag}")
            | models.Q(tags__contains=f", {tag}, ")
        )


class Article(models.Model):
    """A help article written in Markdown; `body_html` is its sanitized rendering, made at save."""

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        CUSTOMERS = "customers", "Customers only"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    body_markdown = models.TextField("body (Markdown)")
    body_html = models.TextField(editable=False, default="")
    tags = models.CharField(max_length=300, blank=True, help_text="Comma-separated, e.g. shopify, webhooks.")
    visibility = models.CharField(max_length=10, choices=Visibility.choices, default=Visibility.PUBLIC)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    author = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="articles")
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    tenant_path = None  # shared by every customer
    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [
            models.Index(fields=["status", "visibility"], name="article_status_visibility"),
            PostgresOnlyGinIndex(article_search_vector(), name="article_search_gin"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("portal:kb_article", args=[self.slug])

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in (part.strip() for part in self.tags.split(",")) if tag]

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    def excerpt(self, words: int = 30) -> str:
        """The article's opening words as plain text, for lists and suggestions."""
        return Truncator(html.unescape(strip_tags(self.body_html)).replace("\n", " ")).words(words)

    @property
    def is_customers_only(self) -> bool:
        return self.visibility == self.Visibility.CUSTOMERS


class ArticleVote(models.Model):
    """A reader's answer to "was this helpful?": one per reader and article, which they may change."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="article_votes")
    is_helpful = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="article_vote_one_per_user")]

    def __str__(self) -> str:
        return f"{self.user} on {self.article}: {'helpful' if self.is_helpful else 'not helpful'}"


# Invitations ----------------------------------------------------------------------------------


def hash_invitation_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class InvitationQuerySet(VisibleToQuerySet):
    """Staff see every invitation; an organization's administrators their own organization's; members none."""

    def for_customer(self, user):
        return self.for_customer_admins(user)

    def for_key(self, key: str):
        return self.filter(key_hash=hash_invitation_key(key))

    def pending(self, *, now=None):
        return self.filter(accepted_at__isnull=True, expires_at__gt=now or timezone.now())


class Invitation(models.Model):
    """An invitation to join an organization; its link works once, until it expires.

    Only the SHA-256 of the key is stored: the key itself travels in the email alone.
    """

    VALID_FOR = timedelta(days=7)
    tenant_path = "organization"

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=10, choices=Membership.Role.choices, default=Membership.Role.MEMBER)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="invitations_accepted"
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} to {self.organization} ({self.get_role_display()})"

    def is_expired(self, *, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def is_used(self) -> bool:
        return self.accepted_at is not None


class TicketFormVisit(models.Model):
    """One opening of the Support Request Form: what it suggested, what was read, whether it was sent.

    Deflection is measured from these rows, not guessed: a visit whose customer opened a suggested
    article and never sent the form is a request the knowledge base answered.
    """

    token = models.UUIDField(unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="ticket_form_visits")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="ticket_form_visits")
    started_at = models.DateTimeField(db_index=True)
    shown_article_ids = models.JSONField(default=list, blank=True)
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Form visit {self.token} by {self.user}"


class SuggestionOpen(models.Model):
    visit = models.ForeignKey(TicketFormVisit, on_delete=models.CASCADE, related_name="opens")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="suggestion_opens")
    opened_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "article"], name="suggestion_open_once")]

    def __str__(self) -> str:
        return f"{self.article} opened from {self.visit.token}"


# Outbox ---------------------------------------------------------------------------------------


class OutboxMessage(models.Model):
    """A message to send (an email, a webhook call, a Slack reply), written in the transaction that causes it.

    The row is the promise: it is built and sent after the commit by portal.outbox, retried with backoff
    until it is sent, and marked sent once. A message that keeps failing stays visible to staff.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed: gave up retrying"

    builder = models.CharField(max_length=200, help_text="The function that builds the message from `args`.")
    args = models.JSONField(default=dict, blank=True)
    key = models.CharField(
        max_length=200,
        unique=True,
        null=True,
        blank=True,
        help_text="Makes the message once: a second write is a no-op.",
    )
    summary = models.CharField(max_length=300, blank=True, help_text="What it is, for staff: 'Receipt of #42'.")
    ticket_number = models.PositiveBigIntegerField(null=True, blank=True, help_text="The ticket it is about, if any.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    recipients = models.JSONField(default=list, blank=True, help_text="Where it went, once sent.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["next_attempt_at"], name="outbox_pending_due", condition=models.Q(status="pending")),
        ]

    def __str__(self) -> str:
        return f"{self.summary or self.builder} ({self.get_status_display()})"


# Operations ---------------------------------------------------------------------------------------


class Heartbeat(models.Model):
    """The last sign of life of a background process (each Celery worker, the beat) or of a periodic job (the
    response-target sweep): /healthz tells a monitor from these whether work is being done."""

    class Kind(models.TextChoices):
        WORKER = "worker", "Celery worker"
        SCHEDULER = "scheduler", "Celery beat"
        JOB = "job", "Periodic job"

    name = models.CharField(max_length=200, unique=True, help_text="The worker's node name, 'beat', or the job.")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    seen_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["kind", "-seen_at"], name="heartbeat_latest")]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}) at {self.seen_at:%Y-%m-%d %H:%M:%S}"
