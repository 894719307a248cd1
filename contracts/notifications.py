"""Messages about a contract's life: what services put in the outbox, and the builders that make each email.

Services call the functions at the top inside their transaction; portal.outbox later calls the builders below
with the row ids, reads the rows again and sends what they return (None: nothing to send).
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal import clock, outbox, roles
from portal.models import Organization, User

_PATH = "contracts.notifications"


# What services put in the outbox ----------------------------------------------------------------------


def change_request_opened(request) -> None:
    outbox.enqueue(
        f"{_PATH}.change_request_email",
        key=f"change-request:{request.pk}:opened",
        summary=f"{request.organization}: change request #{request.pk} ({request.get_change_display()})",
        request_id=request.pk,
        event="opened",
    )


def change_request_answered(request) -> None:
    outbox.enqueue(
        f"{_PATH}.change_request_email",
        summary=f"Answer to change request #{request.pk}: {request.get_status_display()}",
        request_id=request.pk,
        event="answered",
        status=request.status,
        response=request.response,
    )


def change_request_withdrawn(request) -> None:
    outbox.enqueue(
        f"{_PATH}.change_request_email",
        key=f"change-request:{request.pk}:withdrawn",
        summary=f"Change request #{request.pk} withdrawn",
        request_id=request.pk,
        event="withdrawn",
    )


def change_request_applied(request) -> None:
    outbox.enqueue(
        f"{_PATH}.change_request_email",
        key=f"change-request:{request.pk}:applied",
        summary=f"Change request #{request.pk} applied to the contract",
        request_id=request.pk,
        event="applied",
    )


def quote_event(quote, event: str) -> None:
    """`sent` goes to the customer's admins; `accepted` and `declined` to the account manager."""
    outbox.enqueue(
        f"{_PATH}.quote_email",
        key=f"quote:{quote.pk}:{event}",
        summary=f"Quote #{quote.pk} {event}: {quote.connector} for {quote.organization}",
        quote_id=quote.pk,
        event=event,
    )


# Addresses --------------------------------------------------------------------------------------------


def managers_of(organization: Organization) -> list[User]:
    """The organization's account manager; every active account manager when it has none."""
    manager = organization.account_manager
    if manager is not None and manager.is_active:
        return [manager]
    return list(User.objects.filter(groups__name=roles.ACCOUNT_MANAGER, is_active=True).order_by("email"))


def admins_of(organization: Organization) -> list[User]:
    return list(organization.admins().filter(is_active=True).order_by("email"))


def _email(template: str, *, to: list[User], context: dict) -> EmailMessage | None:
    """One email to people; its dates are in the time zone of the first reader."""
    addresses = sorted({user.email for user in to if user.email})
    if not addresses:
        return None
    with timezone.override(clock.zone_of(to[0])):
        subject = render_to_string(f"contracts/email/{template}_subject.txt", context).strip()
        body = render_to_string(f"contracts/email/{template}.txt", context)
    return EmailMessage(subject=subject, body=body, to=addresses, headers={"Auto-Submitted": "auto-generated"})


def _url(name: str, *args) -> str:
    return settings.SITE_URL + reverse(name, args=args)


# Builders ---------------------------------------------------------------------------------------------


def change_request_email(*, request_id: int, event: str, status: str = "", response: str = "") -> EmailMessage | None:
    from contracts.models import ChangeRequest

    request = (
        ChangeRequest.objects.select_related("organization__account_manager", "requested_by", "answered_by")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        return None
    context = {
        "request": request,
        "organization": request.organization,
        "url": _url("contracts:change_request_detail", request.pk),
        # The answer as it was when it was given: a later answer sends its own email.
        "status_label": ChangeRequest.Status(status).label if status else request.get_status_display(),
        "response": response or request.response,
        "accepted": status == ChangeRequest.Status.ACCEPTED,
    }
    if event in ("opened", "withdrawn"):
        return _email(f"change_request_{event}", to=managers_of(request.organization), context=context)
    customers = [request.requested_by] if request.requested_by and request.requested_by.is_active else []
    customers += [u for u in admins_of(request.organization) if u not in customers]
    return _email(f"change_request_{event}", to=customers, context=context)


def quote_email(*, quote_id: int, event: str) -> EmailMessage | None:
    from contracts.models import Quote

    quote = (
        Quote.objects.select_related("organization__account_manager", "connector", "ticket__requester", "decided_by")
        .filter(pk=quote_id)
        .first()
    )
    if quote is None:
        return None
    context = {"quote": quote, "organization": quote.organization, "url": _url("contracts:quote_detail", quote.pk)}
    if event == "sent":
        to = admins_of(quote.organization)
        requester = quote.ticket.requester
        if requester is not None and requester.is_active and roles.is_customer_admin(requester) and requester not in to:
            to.insert(0, requester)
        return _email("quote_sent", to=to, context=context)
    return _email(f"quote_{event}", to=managers_of(quote.organization), context=context)
