"""Quote requests: a connector outside the contract is a new project, quoted before any work is logged."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from contracts.models import Connector
from portal import roles
from portal.models import Membership, Organization, User
from tickets.models import Kind as TicketKind
from tickets.models import Ticket, TicketChannel
from tickets.services import ticket_open


def customer_contact(organization: Organization, ticket: Ticket | None) -> User | None:
    """Who a quote request is for: the customer who asked for the work, else the organization's first admin
    (then first member); None when the organization has no one in the portal."""
    if ticket is not None and ticket.requester is not None and ticket.requester.organization == organization:
        return ticket.requester
    members = User.objects.filter(membership__organization=organization, is_active=True)
    return (
        members.filter(membership__role=Membership.Role.ADMIN).order_by("membership__created_at", "pk").first()
        or members.order_by("membership__created_at", "pk").first()
    )


@transaction.atomic
def connector_quote_request(
    *,
    architect: User,
    organization: Organization,
    connector: Connector,
    ticket: Ticket | None = None,
    now: datetime.datetime | None = None,
) -> Ticket:
    """Opens a new-connector quote ticket for the customer (one open request per connector is enough).

    The customer's contact is its requester (they get the receipt and read it as theirs); the staff member who
    raised it is named as such.
    """
    if not roles.is_support_staff(architect):
        raise PermissionDenied("Only staff raise quote requests on a customer's behalf.")
    existing = (
        Ticket.objects.open()
        .filter(organization=organization, kind=TicketKind.CONNECTOR_QUOTE, connector=connector)
        .order_by("pk")
        .first()
    )
    if existing is not None:
        return existing
    origin = f" It came up while working on ticket #{ticket.pk} ({ticket.subject})." if ticket else ""
    contact = customer_contact(organization, ticket)
    return ticket_open(
        organization=organization,
        requester=contact,
        requester_label="" if contact else f"{organization} (no contact on record)",
        raised_by=architect,
        subject=f"Quote request: {connector} connector",
        description=(
            f"{organization} needs Integration Support for the {connector} connector, which its contract does not "
            f"include. A new connector is a new project: please quote it.{origin}"
        ),
        kind=TicketKind.CONNECTOR_QUOTE,
        channel=TicketChannel.PORTAL,
        connector=connector,
        now=now,
    )
