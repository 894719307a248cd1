"""Quote requests: a connector outside the contract is a new project, quoted before any work is logged."""

import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from contracts.models import Connector
from portal import roles
from portal.models import Organization, User
from tickets.models import Kind as TicketKind
from tickets.models import Ticket, TicketChannel
from tickets.services import ticket_open


@transaction.atomic
def connector_quote_request(
    *,
    architect: User,
    organization: Organization,
    connector: Connector,
    ticket: Ticket | None = None,
    now: datetime.datetime | None = None,
) -> Ticket:
    """Opens a new-connector quote ticket for the customer (one open request per connector is enough)."""
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
    return ticket_open(
        organization=organization,
        requester=architect,
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
