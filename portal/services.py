"""Writes of the portal app: knowledge-base articles and votes, invitations, memberships."""

import re
import secrets
import uuid
from datetime import datetime

import markdown
import nh3
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from portal import clock, outbox, roles
from portal.models import (
    Article,
    ArticleVote,
    Category,
    Invitation,
    Membership,
    Organization,
    SuggestionOpen,
    TicketFormVisit,
    User,
    hash_invitation_key,
)
from portal.refusals import Refusal
from portal.text import one_line

# Markdown -------------------------------------------------------------------------------------

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub", "sup", "table", "tbody",
    "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "td": {"align", "colspan", "rowspan"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}
_HEADING = re.compile(r"<(/?)h([1-5])(?=[\s>])", re.IGNORECASE)


def markdown_render(text: str) -> str:
    """Returns the Markdown as sanitized HTML: no scripts, no event handlers, no `javascript:` links.

    Headings move one level down, so an article's own `#` heading never competes with the page's h1.
    """
    html = markdown.markdown(text, extensions=["extra", "sane_lists"], output_format="html")
    html = _HEADING.sub(lambda match: f"<{match.group(1)}h{int(match.group(2)) + 1}", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )


# Knowledge base -------------------------------------------------------------------------------

RESERVED_SLUGS = frozenset({"new", "suggest"})


def tags_normalize(tags: str) -> str:
    """Returns the tags lower-cased, without duplicates or blanks, joined as "a, b, c"."""
    seen: list[str] = []
    for part in tags.split(","):
        tag = " ".join(part.split()).lower()
        if tag and tag not in seen:
            seen.append(tag)
    return ", ".join(seen)


def _unique_slug(title: str, *, exclude_pk: int | None) -> str:
    base = slugify(title)[:190] or "article"
    if base in RESERVED_SLUGS:
        base = f"{base}-article"
    slug, n = base, 2
    while Article.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def article_save(
    *,
    actor: User,
    title: str,
    category: Category,
    body_markdown: str,
    article: Article | None = None,
    slug: str = "",
    tags: str = "",
    visibility: str = Article.Visibility.PUBLIC,
    status: str = Article.Status.DRAFT,
    now: datetime | None = None,
) -> Article:
    """Creates the article (or updates `article`), renders its HTML and stamps its first publication."""
    if not roles.is_support_staff(actor):
        raise PermissionDenied("Only support staff write articles.")
    now = now or timezone.now()
    article = article if article is not None else Article()
    if article.pk is None and article.author_id is None:
        article.author = actor
    slug = slugify(slug)
    if slug in RESERVED_SLUGS:
        raise Refusal.on_field("reserved_slug", "slug", f"“{slug}” is reserved for the knowledge base's own pages.")
    article.title = title.strip()
    article.slug = slug or article.slug or _unique_slug(title, exclude_pk=article.pk)
    article.category = category
    article.body_markdown = body_markdown
    article.body_html = markdown_render(body_markdown)
    article.tags = tags_normalize(tags)
    article.visibility = visibility
    article.status = status
    if status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = now
    article.full_clean()
    article.save()
    return article


def article_vote(*, article: Article, user: User, is_helpful: bool) -> ArticleVote:
    """Records the reader's vote, replacing their earlier one on the same article."""
    if not user.is_authenticated:
        raise PermissionDenied("Sign in to vote.")
    if not Article.objects.visible_to(user).filter(pk=article.pk).exists():
        raise PermissionDenied("This article is not available to you.")
    vote, _ = ArticleVote.objects.update_or_create(article=article, user=user, defaults={"is_helpful": is_helpful})
    return vote


# Invitations and members ----------------------------------------------------------------------


def _require_manager(actor: User, organization: Organization) -> None:
    if not roles.may_manage_members(actor, organization):
        raise PermissionDenied("Only the organization's administrators manage its members.")


def invitation_url(key: str) -> str:
    return settings.SITE_URL + reverse("portal:invitation_accept", args=[key])


def invitation_message(*, invitation_id: int, secret_key: str = ""):
    """The outbox builder of an invitation's email: the one-time key travels only in it (the outbox forgets it once
    sent, so a resend builds nothing: invite again). None once the invitation is gone or used."""
    from django.core.mail import EmailMessage

    key = secret_key
    invitation = Invitation.objects.select_related("organization", "invited_by").filter(pk=invitation_id).first()
    if invitation is None or invitation.is_used or not key:
        return None
    context = {
        "invitation": invitation,
        "organization": invitation.organization,
        "invited_by": invitation.invited_by,
        "url": invitation_url(key),
    }
    with timezone.override(clock.support_zone()):  # the invited person has no time zone of their own yet
        subject = render_to_string("portal/email/invitation_subject.txt", context).strip()
        body = render_to_string("portal/email/invitation_body.txt", context)
    return EmailMessage(subject=one_line(subject), body=body, to=[invitation.email])


@transaction.atomic
def invitation_create(
    *, actor: User, organization: Organization, email: str, role: str, now: datetime | None = None
) -> Invitation:
    """Invites `email` into the organization and mails the link once the transaction commits.

    The returned invitation carries the one-time `key` as a plain attribute; only its hash is stored.
    A new invitation to the same address and organization replaces the pending one.
    """
    _require_manager(actor, organization)
    now = now or timezone.now()
    email = User.objects.normalize_email(email.strip()).lower()
    if role not in Membership.Role.values:
        raise Refusal.on_field("invalid_role", "role", "Choose Administrator or Member.")
    # Whether the address already has an account is not the inviter's to learn: the invitation goes out either way,
    # and a person who has one is asked to sign in to accept it.
    Invitation.objects.pending(now=now).filter(organization=organization, email__iexact=email).delete()
    key = secrets.token_urlsafe(32)
    invitation = Invitation(
        organization=organization,
        email=email,
        role=role,
        key_hash=hash_invitation_key(key),
        invited_by=actor,
        created_at=now,
        expires_at=now + Invitation.VALID_FOR,
    )
    invitation.full_clean()
    invitation.save()
    invitation.key = key
    outbox.enqueue(
        "portal.services.invitation_message",
        summary=f"Invitation of {email} to {organization}",
        invitation_id=invitation.pk,
        secret_key=key,
    )
    return invitation


def invitation_check(*, invitation: Invitation, now: datetime | None = None) -> None:
    """Raises a Refusal when the invitation can no longer be used."""
    if invitation.is_used:
        raise Refusal("used", "This invitation has already been used. Sign in with the account it created.")
    if invitation.is_expired(now=now):
        raise Refusal(
            "expired", f"This invitation has expired. Ask an administrator of {invitation.organization} for a new one."
        )


def invitation_account(invitation: Invitation) -> User | None:
    """The account that owns the invited address: its own address, or one it verified. Unverified claims count not."""
    from allauth.account.models import EmailAddress

    owner = User.objects.filter(email__iexact=invitation.email).first()
    if owner is not None:
        return owner
    verified = EmailAddress.objects.filter(email__iexact=invitation.email, verified=True).select_related("user").first()
    return verified.user if verified is not None else None


@transaction.atomic
def invitation_release_address(*, invitation: Invitation) -> int:
    """Removes unverified claims of the invited address by other accounts: the link's holder proves the address,
    so nobody can block an invitation by adding it, unverified, to their own account. Returns how many."""
    from allauth.account.models import EmailAddress

    claims = EmailAddress.objects.filter(email__iexact=invitation.email, verified=False).exclude(
        user__email__iexact=invitation.email
    )
    return claims.delete()[0]


def invitation_lock(invitation: Invitation) -> Invitation:
    """The invitation row locked (only it) for the rest of the transaction, refused when used or expired: two
    submissions of one invitation go one after the other, and the second finds it used."""
    locked = Invitation.objects.select_for_update(of=("self",)).select_related("organization").get(pk=invitation.pk)
    invitation_check(invitation=locked)
    return locked


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User, now: datetime | None = None) -> Membership:
    """Makes the newly signed-up `user` a member of the invitation's organization; the link then stops working."""
    now = now or timezone.now()
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("organization").get(pk=invitation.pk)
    if invitation.is_used:
        raise Refusal("used", "This invitation has already been used.")
    if invitation.is_expired(now=now):
        raise Refusal("expired", "This invitation has expired.")
    if invitation_account(invitation) != user:
        raise Refusal("wrong_email", f"This invitation is for {invitation.email}.")
    if Membership.objects.filter(user=user).exists():
        raise Refusal(
            "already_member",
            "This account already belongs to an organization. A person belongs to one organization; "
            "ask support to move your account.",
        )
    membership = Membership.objects.create(user=user, organization=invitation.organization, role=invitation.role)
    invitation.accepted_at = now
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def invitation_revoke(*, actor: User, invitation: Invitation) -> None:
    """Deletes a pending invitation, so its link stops working."""
    _require_manager(actor, invitation.organization)
    if invitation.is_used:
        raise Refusal("used", "This invitation was already accepted.")
    invitation.delete()


def password_set(*, user: User, password: str) -> None:
    """Sets a new password and revokes the person's API tokens: whoever held one must sign in again to get another."""
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        user.set_password(password)
        user.save()
        Token.objects.filter(user=user).delete()


def _lock_admins(organization: Organization) -> list[int]:
    # Locks the organization's admin rows, so two admins demoting each other at once cannot leave none.
    return list(
        Membership.objects.select_for_update()
        .filter(organization=organization, role=Membership.Role.ADMIN)
        .order_by("pk")  # always the same order: two admins locking at once cannot deadlock
        .values_list("pk", flat=True)
    )


@transaction.atomic
def membership_change_role(*, actor: User, membership: Membership, role: str) -> Membership:
    """Gives the member a new role; the organization always keeps at least one administrator."""
    _require_manager(actor, membership.organization)
    if role not in Membership.Role.values:
        raise Refusal.on_field("invalid_role", "role", "Choose Administrator or Member.")
    admin_ids = _lock_admins(membership.organization)
    if role != Membership.Role.ADMIN and admin_ids == [membership.pk]:
        raise Refusal(
            "last_admin",
            f"{membership.user} is the only administrator of {membership.organization}: "
            "make someone else an administrator first.",
        )
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, actor: User, membership: Membership) -> None:
    """Removes the person from the organization and deactivates their account, so they can no longer sign in."""
    _require_manager(actor, membership.organization)
    admin_ids = _lock_admins(membership.organization)
    if admin_ids == [membership.pk]:
        raise Refusal(
            "last_admin",
            f"{membership.user} is the only administrator of {membership.organization}: "
            "make someone else an administrator first.",
        )
    user = membership.user
    membership.delete()
    user.is_active = False
    user.save(update_fields=["is_active"])


# Deflection: what the Support Request Form suggested, and what came of it ---------------------


def form_visit_start(*, user: User, organization: Organization, now: datetime | None = None) -> TicketFormVisit:
    return TicketFormVisit.objects.create(
        token=uuid.uuid4(), user=user, organization=organization, started_at=now or timezone.now()
    )


def form_visit_for(*, token: str | None, user: User) -> TicketFormVisit | None:
    """The user's own visit with that token, or None (a stranger's token counts for nothing)."""
    try:
        value = uuid.UUID(str(token))
    except (TypeError, ValueError):
        return None
    return TicketFormVisit.objects.filter(token=value, user=user).first() if user.is_authenticated else None


@transaction.atomic
def form_visit_record_shown(*, visit: TicketFormVisit, article_ids: list[int]) -> None:
    visit = TicketFormVisit.objects.select_for_update().get(pk=visit.pk)
    shown = list(dict.fromkeys([*visit.shown_article_ids, *article_ids]))
    if shown != visit.shown_article_ids:
        visit.shown_article_ids = shown
        visit.save(update_fields=["shown_article_ids"])


def form_visit_record_open(*, visit: TicketFormVisit, article: Article, now: datetime | None = None) -> None:
    SuggestionOpen.objects.get_or_create(visit=visit, article=article, defaults={"opened_at": now or timezone.now()})


def form_visit_submit(*, visit: TicketFormVisit, ticket, now: datetime | None = None) -> None:
    TicketFormVisit.objects.filter(pk=visit.pk, ticket__isnull=True).update(
        ticket=ticket, submitted_at=now or timezone.now()
    )
