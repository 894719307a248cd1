"""`Model.objects.visible_to(user)`: one gate, the same answer for every model a customer can reach."""

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts import services as contract_services
from contracts.models import Contract, Engagement
from hours import services as hours_services
from hours.models import LedgerEntry, TimeEntry
from portal import services as portal_services
from portal.models import Article, Category, Invitation, Membership, Organization
from tests.clock import NOW, TODAY
from tickets import services as ticket_services
from tickets.models import Attachment, Comment, Kind, Ticket, TicketEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen_clock")]

TENANT_MODELS = [Ticket, Comment, Attachment, TicketEvent, Contract, Engagement, Membership, Invitation, TimeEntry,
                 LedgerEntry, Organization]  # fmt: skip


def _populate(organization, admin, *, account_manager, solution_architect):
    """One of everything a customer can reach, for one organization."""
    contract = contract_services.contract_save(
        actor=account_manager,
        organization=organization,
        plan="enterprise",
        term_start=datetime.date(2026, 8, 19),
        term_end=datetime.date(2027, 8, 18),
        sa_hours_per_year=Decimal("10"),
    )
    contract_services.engagement_save(
        actor=account_manager,
        contract=contract,
        name=f"{organization} onboarding",
        scope="Set up.",
        quoted_hours=Decimal("5"),
        status=Engagement.Status.ACTIVE,
    )
    ticket = ticket_services.ticket_open(
        organization=organization,
        requester=solution_architect,
        subject="Configure",
        description="d",
        kind=Kind.CONFIGURATION_REQUEST,
        attachments=[SimpleUploadedFile("a.txt", b"x")],
        now=NOW - datetime.timedelta(days=1),
    )
    ticket_services.comment_add(ticket=ticket, author=solution_architect, body="Internal", public=False, now=NOW)
    hours_services.time_entry_log(
        architect=solution_architect, category="system_setup", minutes=30, work_date=TODAY, ticket=ticket, now=NOW
    )
    portal_services.invitation_create(actor=admin, organization=organization, email=f"new@{organization.slug}.test",
                                      role="member")  # fmt: skip


@pytest.fixture
def two_tenants(alice, gina, bob, account_manager, solution_architect, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    _populate(alice.organization, alice, account_manager=account_manager, solution_architect=solution_architect)
    _populate(gina.organization, gina, account_manager=account_manager, solution_architect=solution_architect)
    return alice.organization, gina.organization


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_a_customer_admin_sees_only_their_organizations_rows(two_tenants, alice, model):
    acme, globex = two_tenants
    visible = model.objects.visible_to(alice)
    assert visible.exists()
    path = model.tenant_path
    assert not visible.exclude(**{path: acme.pk}).exists()
    assert model.objects.filter(**{path: globex.pk}).exists()  # there was something to hide


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m.__name__)
def test_staff_see_every_organizations_rows_and_strangers_none(two_tenants, account_manager, model):
    from django.contrib.auth.models import AnonymousUser

    assert model.objects.visible_to(account_manager).count() == model.objects.count()
    assert model.objects.visible_to(AnonymousUser()).count() == 0


def test_what_only_staff_or_admins_read_is_hidden_from_the_rest(two_tenants, alice, bob, support_engineer):
    acme, _ = two_tenants
    # Internal notes, and the timeline lines staff keep, never reach a customer.
    assert Comment.objects.filter(ticket__organization=acme, public=False).exists()
    assert not Comment.objects.visible_to(alice).filter(public=False).exists()
    assert not TicketEvent.objects.visible_to(alice).filter(public=False).exists()
    # Time entries, the ledger and invitations are for the organization's administrators, not its members.
    for model in (TimeEntry, LedgerEntry, Invitation):
        assert model.objects.visible_to(alice).exists(), model
        assert not model.objects.visible_to(bob).exists(), model
    # A Support Engineer reads no time entry: those are for Solution Architects and account managers.
    assert not TimeEntry.objects.visible_to(support_engineer).exists()


def test_articles_are_shared_by_customers_and_drafts_by_staff(alice, support_engineer):
    from django.contrib.auth.models import AnonymousUser

    category = Category.objects.create(name="Guides")
    for title, visibility, status in [
        ("Public", "public", "published"),
        ("Customers", "customers", "published"),
        ("Draft", "public", "draft"),
    ]:
        portal_services.article_save(actor=support_engineer, title=title, category=category, body_markdown="x",
                                     visibility=visibility, status=status)  # fmt: skip

    def titles(user):
        return sorted(Article.objects.visible_to(user).values_list("title", flat=True))

    assert titles(support_engineer) == ["Customers", "Draft", "Public"]
    assert titles(alice) == ["Customers", "Public"]
    assert titles(AnonymousUser()) == ["Public"]
