"""The account manager's home: what waits on them across their accounts, each list paged, in a fixed number of
queries whatever the number of organizations (entitlements and hours are read for all of them at once)."""

import datetime

from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from contracts.entitlements import entitlements_for_many
from contracts.models import ChangeRequest, Contract, Quote
from hours.selectors import hours_summaries
from portal import clock, roles
from portal.models import Organization, User
from tickets.models import Kind as TicketKind
from tickets.models import Ticket
from tickets.selectors import attainment_by_organization

PAGE_SIZE = 10
ENDING_WITHIN_DAYS = 90
USAGE_WARNING = 75
NO_TICKETS = {"met": 0, "breached": 0, "waiting": 0, "attainment": None}
# Each list's page parameter in the address.
PAGES = ("requests", "quotes", "ending", "usage", "overage", "uncovered", "accounts")


def accounts_of(user: User, *, everyone: bool) -> QuerySet[Organization]:
    """The organizations the home covers: the manager's own accounts; every account when asked, or when they have
    none (an admin, or a manager without accounts yet)."""
    own = Organization.objects.filter(account_manager=user)
    if everyone or not own.exists():
        return Organization.objects.all()
    return own


def quarter_start(today: datetime.date) -> datetime.date:
    return datetime.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)


def _page(rows, pages: dict, name: str):
    return Paginator(rows, PAGE_SIZE).get_page(pages.get(name))


def manager_home(user: User, *, everyone: bool = False, pages: dict | None = None, now=None) -> dict:
    """Every list of the account manager's home, each a page of at most PAGE_SIZE rows."""
    now = now or timezone.now()
    pages = pages or {}
    today = clock.support_today(now)
    organizations = list(accounts_of(user, everyone=everyone).order_by("name"))
    ids = [o.pk for o in organizations]
    entitlements = entitlements_for_many(organizations, at=now)
    summaries = [s for s in hours_summaries(organizations, today=today).values() if s is not None]
    overage_allowed = {e.contract.pk: e.contract.overage_approved for e in entitlements.values() if e.contract}

    requests = (
        ChangeRequest.objects.waiting()
        .filter(organization_id__in=ids)
        .select_related("organization", "requested_by")
        .order_by("created_at", "pk")
    )
    drafts = Quote.objects.filter(ticket=OuterRef("pk"), status=Quote.Status.DRAFT)
    answered = Quote.objects.filter(ticket=OuterRef("pk"), status__in=[Quote.Status.SENT, Quote.Status.ACCEPTED])
    quote_requests = (
        Ticket.objects.open()
        .filter(organization_id__in=ids, kind=TicketKind.CONNECTOR_QUOTE)
        .annotate(has_draft=Exists(drafts), is_answered=Exists(answered))
        .filter(is_answered=False)
        .select_related("organization", "connector", "requester")
        .order_by("received_at", "pk")
    )
    ending = (
        Contract.objects.filter(
            organization_id__in=ids,
            status=Contract.Status.ACTIVE,
            term_end__gte=today,
            term_end__lte=today + datetime.timedelta(days=ENDING_WITHIN_DAYS),
        )
        .select_related("organization")
        .order_by("term_end", "pk")
    )
    high_use = sorted(
        (s for s in summaries if s["percent"] >= USAGE_WARNING), key=lambda s: (-s["percent"], s["organization"].name)
    )
    overage = [s for s in high_use if s["remaining"] <= 0 and not overage_allowed.get(s["contract_id"], False)]
    uncovered_ids = [pk for pk, ent in entitlements.items() if ent.contract is None]
    uncovered = (
        Ticket.objects.open()
        .filter(organization_id__in=uncovered_ids)
        .select_related("organization", "requester")
        .order_by("received_at", "pk")
    )
    accounts = _page(organizations, pages, "accounts")
    attainment = attainment_by_organization([o.pk for o in accounts.object_list], since=quarter_start(today), now=now)
    return {
        "everyone": everyone,
        "own_accounts": not everyone and len(organizations) < Organization.objects.count(),
        "organization_count": len(organizations),
        "requests": _page(requests, pages, "requests"),
        "quote_requests": _page(quote_requests, pages, "quotes"),
        "ending": _page(ending, pages, "ending"),
        "ending_within_days": ENDING_WITHIN_DAYS,
        "high_use": _page(high_use, pages, "usage"),
        "usage_warning": USAGE_WARNING,
        "overage": _page(overage, pages, "overage"),
        "uncovered": _page(uncovered, pages, "uncovered"),
        "accounts": accounts,
        "attainment": [
            {"organization": o, "entitlements": entitlements[o.pk], **attainment.get(o.pk, NO_TICKETS)}
            for o in accounts.object_list
        ],
        "quarter_start": quarter_start(today),
        "today": today,
    }


def lands_on_manager_home(user) -> bool:
    """Account managers start on their home after signing in (admins, who hold every role, on the workspace)."""
    return roles.is_account_manager(user) and not user.is_superuser
