"""Quotes for connectors outside the contract: the account manager writes and sends one in answer to a quote
request; the customer's admin accepts it (the connector joins the contract and its onboarding engagement starts,
in one transaction) or declines it. A quote past its validity expires."""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from contracts import notifications
from contracts.entitlements import entitlements_for
from contracts.models import Connector, Engagement, Quote
from contracts.services.contract import connector_add, engagement_write
from portal import clock, roles
from portal.models import User
from portal.refusals import Refusal

Status = Quote.Status
EDITABLE = ("hours", "price", "currency", "valid_until", "scope", "connector")


def _require_manager(actor: User) -> None:
    if not roles.may_edit_contracts(actor):
        raise PermissionDenied("Only account managers write and send quotes.")


def _check_validity(valid_until: datetime.date, *, now: datetime.datetime) -> None:
    if valid_until < clock.support_today(now):
        raise ValidationError({"valid_until": "A quote must be valid until today at least."})


@transaction.atomic
def quote_create(
    *,
    actor: User,
    ticket,
    hours: Decimal,
    price: Decimal,
    currency: str,
    valid_until: datetime.date,
    scope: str,
    connector: Connector | None = None,
    now: datetime.datetime | None = None,
) -> Quote:
    """A draft quote answering a quote request (a new-connector ticket) of the customer."""
    from tickets.models import Kind as TicketKind

    now = now or timezone.now()
    _require_manager(actor)
    if ticket.kind != TicketKind.CONNECTOR_QUOTE:
        raise ValidationError({"ticket": f"Ticket #{ticket.pk} is not a quote request for a new connector."})
    connector = connector or ticket.connector
    if connector is None:
        raise ValidationError({"connector": "Name the connector the quote is for."})
    ent = entitlements_for(ticket.organization, at=now)
    if ent.contract is None:
        raise Refusal(
            "no_contract",
            f"{ticket.organization} has no contract in force: a connector joins a contract, so there is nothing to "
            "quote it against.",
        )
    if connector.pk in ent.connector_ids:
        raise Refusal.on_field(
            "connector_in_contract", "connector", f"The {connector} connector is already in the contract."
        )
    _check_validity(valid_until, now=now)
    quote = Quote(
        organization=ticket.organization,
        contract=ent.contract,
        ticket=ticket,
        connector=connector,
        hours=hours,
        price=price,
        currency=currency,
        valid_until=valid_until,
        scope=(scope or "").strip(),
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    quote.full_clean()
    quote.save()
    return quote


@transaction.atomic
def quote_update(*, actor: User, quote: Quote, now: datetime.datetime | None = None, **changes) -> Quote:
    """Changes a draft; a sent quote is final (write a new one instead)."""
    now = now or timezone.now()
    _require_manager(actor)
    quote = Quote.objects.select_for_update(of=("self",)).get(pk=quote.pk)
    if quote.status != Status.DRAFT:
        raise Refusal(
            "quote_not_draft",
            f"Quote #{quote.pk} is {quote.get_status_display().lower()}: only a draft "
            "changes. Write a new quote instead.",
            status=409,
        )
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(dict.fromkeys(sorted(unknown), "This field cannot be changed."))
    for name, value in changes.items():
        setattr(quote, name, value.strip() if name == "scope" else value)
    if "valid_until" in changes:
        _check_validity(quote.valid_until, now=now)
    quote.updated_at = now
    quote.full_clean()
    quote.save()
    return quote


@transaction.atomic
def quote_send(*, actor: User, quote: Quote, now: datetime.datetime | None = None) -> Quote:
    """Sends a draft to the customer's admins, who can then accept or decline it."""
    now = now or timezone.now()
    _require_manager(actor)
    quote = Quote.objects.select_for_update(of=("self",)).get(pk=quote.pk)
    if quote.status != Status.DRAFT:
        raise Refusal("quote_not_draft", f"Quote #{quote.pk} was sent already.", status=409)
    _check_validity(quote.valid_until, now=now)
    if not quote.scope:
        raise ValidationError({"scope": "Describe the scope of the onboarding before sending the quote."})
    quote.status = Status.SENT
    quote.sent_at = now
    quote.updated_at = now
    quote.save()
    notifications.quote_event(quote, "sent")
    return quote


def _decision(actor: User, quote_id: int, *, now: datetime.datetime) -> Quote:
    """The quote, locked, once the actor may decide it and it is still open; a Refusal otherwise."""
    quote = Quote.objects.select_for_update(of=("self",)).select_related("contract", "connector").get(pk=quote_id)
    if not (roles.is_customer_admin(actor) and roles.organization_id(actor) == quote.organization_id):
        raise PermissionDenied("Only an administrator of the customer's organization accepts or declines a quote.")
    if quote.is_expired(clock.support_today(now)):
        raise Refusal(
            "quote_expired",
            f"This quote expired after {clock.day(quote.valid_until)}: ask your account manager for a new one.",
            status=409,
        )
    if quote.status != Status.SENT:
        raise Refusal("quote_decided", f"This quote was {quote.get_status_display().lower()} already.", status=409)
    return quote


@transaction.atomic
def quote_accept(*, actor: User, quote: Quote, note: str = "", now: datetime.datetime | None = None) -> Quote:
    """Accepts a sent quote: the connector joins the contract and its onboarding engagement starts with the quoted
    hours, all in this transaction and in the contract's history."""
    now = now or timezone.now()
    quote = _decision(actor, quote.pk, now=now)
    contract = quote.contract
    if not contract.covers(clock.support_today(now)) or contract.status != contract.Status.ACTIVE:
        raise Refusal(
            "no_contract", "The contract this quote was written for is no longer in force: ask your account manager."
        )
    batch = f"quote {quote.pk}"
    connector_add(contract=contract, connector=quote.connector, actor=actor, batch=batch)
    engagement = engagement_write(
        actor=actor,
        contract=contract,
        batch=batch,
        name=f"{quote.connector} onboarding",
        scope=quote.scope,
        quoted_hours=quote.hours,
        status=Engagement.Status.ACTIVE,
        via_ticket=True,
    )
    quote.status = Status.ACCEPTED
    quote.engagement = engagement
    quote.decided_at = now
    quote.decided_by = actor
    quote.customer_note = (note or "").strip()[:2000]
    quote.updated_at = now
    quote.save()
    notifications.quote_event(quote, "accepted")
    return quote


@transaction.atomic
def quote_decline(*, actor: User, quote: Quote, note: str = "", now: datetime.datetime | None = None) -> Quote:
    now = now or timezone.now()
    quote = _decision(actor, quote.pk, now=now)
    quote.status = Status.DECLINED
    quote.decided_at = now
    quote.decided_by = actor
    quote.customer_note = (note or "").strip()[:2000]
    quote.updated_at = now
    quote.save()
    notifications.quote_event(quote, "declined")
    return quote


def quotes_expire(*, now: datetime.datetime | None = None) -> int:
    """Records as expired every sent quote whose validity has run out; returns how many."""
    now = now or timezone.now()
    return Quote.objects.filter(status=Status.SENT, valid_until__lt=clock.support_today(now)).update(
        status=Status.EXPIRED, updated_at=now
    )
