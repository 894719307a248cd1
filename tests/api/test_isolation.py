"""Tenant isolation, proven for every URL of the project, pages and API alike.

The test walks Django's URL resolver, so a URL added later is covered without touching this file.
Another organization's objects are created with ids far above any id the customer's own objects
have, in every table; each URL that takes an object's id is then asked, as the customer, for each
of those ids: the answer must be 404 (or 403 for staff-only views, 405 for a method the view does
not take), and nothing may change.
"""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.throttling import SimpleRateThrottle

from contracts import services as contract_services
from contracts.models import Connector
from portal.models import Organization

pytestmark = pytest.mark.django_db
OFFSET = 500_000
ID_NAMES = ("pk", "id")
ALLOWED = {403, 404, 405}


def _id_kwarg(name: str) -> bool:
    return name in ID_NAMES or name.endswith(("_pk", "_id"))


def url_patterns(resolvers=None, namespace=""):
    """(view name, kwarg names) of every named URL pattern, through every include."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            child = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from url_patterns(entry.url_patterns, child)
        elif isinstance(entry, URLPattern) and entry.name:
            kwargs = list(entry.pattern.regex.groupindex)
            yield f"{namespace}{entry.name}", [k for k in kwargs if k != "format"]


def _bump_sequences(to: int) -> None:
    """Moves every table's id sequence so that rows created next get ids above `to`."""
    with connection.cursor() as cursor:
        for model in apps.get_models():
            pk = model._meta.pk
            if pk.get_internal_type() not in ("AutoField", "BigAutoField") or model._meta.proxy:
                continue
            table = model._meta.db_table
            if connection.vendor == "postgresql":
                cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [f'"{table}"', pk.column])
                sequence = cursor.fetchone()[0]
                if sequence:
                    cursor.execute("SELECT setval(%s, %s)", [sequence, to])
            else:
                cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [table])
                cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [table, to])


def _organization_world(
    name, *, admin_email, member_email, make_user, account_manager, solution_architect, support_engineer
):
    """One organization with an object in every table a customer can reach."""
    from hours.services import connector_quote_request, time_entry_log
    from portal.services import form_visit_start, invitation_create
    from tickets import services as ticket_services

    organization = Organization.objects.create(name=name, account_manager=account_manager)
    contract = contract_services.contract_save(
        actor=account_manager,
        organization=organization,
        plan="enterprise",
        term_start=timezone.localdate() - dt.timedelta(days=100),
        term_end=timezone.localdate() + dt.timedelta(days=265),
        add_ons=["slack_channel"],
        sa_hours_per_year=Decimal("40"),
        connectors=Connector.objects.filter(slug="shopify"),
        slack_channel_ids=[f"C0{name[:4].upper()}00001"],
    )
    engagement = contract_services.engagement_save(
        actor=account_manager,
        contract=contract,
        name=f"{name} project",
        scope="s",
        quoted_hours=Decimal("10"),
        status="active",
    )
    contract_services.milestone_save(actor=solution_architect, engagement=engagement, title=f"{name} milestone")
    admin = make_user(admin_email, organization=organization, role="admin")
    make_user(member_email, organization=organization, role="member")
    ticket = ticket_services.ticket_open(
        organization=organization,
        requester=admin,
        subject=f"{name} private",
        description="secret",
        kind="configuration_request",
        priority="high",
        attachments=[SimpleUploadedFile("private.txt", b"secret")],
    )
    ticket_services.comment_add(ticket=ticket, author=support_engineer, body="internal", public=False)
    ticket_services.comment_add(
        ticket=ticket,
        author=support_engineer,
        body="public reply",
        attachments=[SimpleUploadedFile("reply.txt", b"reply")],
    )
    time_entry_log(
        architect=solution_architect,
        ticket=ticket,
        category="system_setup",
        minutes=30,
        work_date=timezone.localdate() - dt.timedelta(days=1),
    )
    solved = ticket_services.ticket_open(organization=organization, requester=admin, subject="Done", description="d")
    ticket_services.ticket_change_status(ticket=solved, actor=support_engineer, status="solved")
    from tickets.solved import satisfaction_rate

    satisfaction_rate(ticket=solved, rater=admin, rating="good", comment="Thanks", via="portal")
    invitation_create(actor=admin, organization=organization, email=f"new@{name.lower()}.test", role="member")
    contract_services.change_request_open(actor=admin, change="premium_support", note="24/7 please")
    quote_request = connector_quote_request(
        architect=solution_architect, organization=organization, connector=Connector.objects.get(slug="magento")
    )
    quote = contract_services.quote_create(
        actor=account_manager,
        ticket=quote_request,
        hours=Decimal("8"),
        price=Decimal("1600"),
        currency="USD",
        valid_until=timezone.localdate() + dt.timedelta(days=30),
        scope="Magento onboarding",
    )
    contract_services.quote_send(actor=account_manager, quote=quote)
    form_visit_start(user=admin, organization=organization)
    return organization, admin


def _snapshot() -> dict:
    return {
        m._meta.label: sorted(map(repr, m.objects.values_list()))
        for m in apps.get_models()
        if m._meta.app_label in ("portal", "contracts", "tickets", "hours")
    }


@pytest.fixture
def world(make_user, account_manager, solution_architect, support_engineer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    staff = {
        "account_manager": account_manager,
        "solution_architect": solution_architect,
        "support_engineer": support_engineer,
    }
    _, customer = _organization_world(
        "Acme", admin_email="alice@acme.test", member_email="bob@acme.test", make_user=make_user, **staff
    )
    _bump_sequences(OFFSET)
    other, _ = _organization_world(
        "Globex", admin_email="gina@globex.test", member_email="gus@globex.test", make_user=make_user, **staff
    )
    from tickets.channels.models import InboundEmail

    InboundEmail.objects.create(
        raw=b"From: x@unknown.test\n\nhello",
        raw_size=27,
        raw_sha256="0" * 64,
        message_id="<walk@unknown.test>",
        sender="x@unknown.test",
        status="quarantined",
    )
    # Every table restarts above OFFSET, so a few ids name the other organization's first rows in all of them.
    foreign = {
        (model._meta.label, pk)
        for model in apps.get_models()
        if model._meta.app_label in ("portal", "contracts", "tickets", "hours")
        for pk in model.objects.filter(pk__gt=OFFSET).values_list("pk", flat=True)
    }
    return customer, foreign


def test_every_url_with_an_id_answers_404_or_403_for_another_organizations_objects(client, world, monkeypatch):
    # The walk sends more requests in a minute than a person may (1,200): lift the throttle for it alone.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "1000000/minute")
    customer, foreign = world
    assert len({label for label, _ in foreign}) >= 15  # the other organization has rows in every such table
    foreign_ids = sorted({pk for _, pk in foreign})
    client.force_login(customer)
    before = _snapshot()
    checked_patterns, requests, failures = [], 0, []
    for name, kwargs in url_patterns():
        id_kwargs = [k for k in kwargs if _id_kwarg(k)]
        if not id_kwargs or name.startswith("admin:"):
            continue
        other_kwargs = {k: "x" for k in kwargs if k not in id_kwargs}
        checked_patterns.append(name)
        for values in itertools.product(foreign_ids, repeat=len(id_kwargs)):
            url = reverse(name, kwargs={**dict(zip(id_kwargs, values, strict=True)), **other_kwargs})
            for method in ("get", "post"):
                response = getattr(client, method)(url)
                requests += 1
                if response.status_code not in ALLOWED:
                    failures.append(f"{method.upper()} {url} ({name}) -> {response.status_code}")
    print(f"isolation walk: {len(checked_patterns)} URL patterns with ids, {requests} requests")
    assert not failures, "\n".join(failures[:30])
    assert _snapshot() == before
    # Every app's object pages are among those walked.
    for expected in (
        "tickets:detail",
        "tickets:attachment",
        "contracts:contract_detail",
        "ticket-detail",
        "contract-detail",
        "time-entry-detail",
        "hours:entry_edit",
        "portal:member_role",
        "contracts:change_request_detail",
        "contracts:quote_detail",
        "contracts:quote_accept",
        "contracts:engagement_detail",
        "contracts:milestone_edit",
        "change-request-detail",
        "quote-detail",
        "quote-accept",
        "milestone-detail",
        "milestone-list",
    ):
        assert expected in checked_patterns, expected


def test_the_walk_finds_the_urls_it_should():
    names = {name for name, _ in url_patterns()}
    assert {"tickets:detail", "ticket-detail", "contracts:contract_detail", "portal:kb_article"} <= names


def test_the_customer_still_sees_their_own(client, world):
    customer, _ = world
    client.force_login(customer)
    ticket = customer.requested_tickets.get(kind="configuration_request")
    assert client.get(reverse("tickets:detail", args=[ticket.pk])).status_code == 200
    assert client.get(reverse("ticket-detail", args=[ticket.pk])).status_code == 200
