"""Intake endpoints (email over HTTP, Slack Events API) and the staff pages of the quarantine."""

import datetime
import hmac
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from portal.decorators import staff_required
from portal.models import User
from portal.refusals import Refusal, messages_of, refusal_to_form
from portal.text import json_clean
from tickets.channels import mail, services, slack
from tickets.channels.forms import AcceptForm
from tickets.channels.models import InboundEmail, SlackEvent

logger = logging.getLogger(__name__)

INBOUND_CONTENT_TYPES = ("message/rfc822", "text/plain", "application/octet-stream")
RETRY_AFTER_SECONDS = "300"
# A message stored but still unprocessed this long after arriving is shown to staff.
STUCK_AFTER = datetime.timedelta(minutes=5)


# Email over HTTP -------------------------------------------------------------------------------


def _bearer_ok(request, expected: str) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


@csrf_exempt
@require_POST
def email_inbound(request):
    """The raw message as the body (message/rfc822), with `Authorization: Bearer <EMAIL_INBOUND_TOKEN>`."""
    expected = settings.EMAIL_INBOUND_TOKEN
    if not expected:
        return JsonResponse({"error": "Inbound email is not configured (EMAIL_INBOUND_TOKEN is empty)."}, status=503)
    if not _bearer_ok(request, expected):
        response = JsonResponse({"error": "A valid bearer token is required."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="inbound-email"'
        return response
    limit = services.max_message_bytes()
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if (declared.isascii() and declared.isdigit()) and int(declared) > limit:
        return JsonResponse({"error": f"The message is over the {mail.size_text(limit)} limit."}, status=413)
    # Read past Django's DATA_UPLOAD_MAX_MEMORY_SIZE: our own limit applies to raw messages.
    raw = request.read(limit + 1)
    if raw and request.content_type not in INBOUND_CONTENT_TYPES:
        return JsonResponse({"error": "Send the raw message as message/rfc822."}, status=415)
    try:
        intake = services.inbound_email_receive(raw=raw, source=InboundEmail.Source.HTTP)
    except Refusal as rejected:
        status = 413 if rejected.code == "too_large" else 400
        return JsonResponse({"error": rejected.message}, status=status)
    except services.TRANSIENT_DB_ERRORS as exc:
        logger.error("Inbound email not stored, the database is unavailable: %s", exc)
        response = JsonResponse({"error": "The database is unavailable; send the message again later."}, status=503)
        response["Retry-After"] = RETRY_AFTER_SECONDS
        return response
    return JsonResponse(intake.as_json(), status=200)


# Slack Events API ------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def slack_events(request):
    if not settings.SLACK_SIGNING_SECRET:
        return JsonResponse({"error": "Slack is not configured (SLACK_SIGNING_SECRET is empty)."}, status=503)
    body = request.body
    if not slack.signature_valid(
        body,
        timestamp=request.headers.get("X-Slack-Request-Timestamp"),
        signature=request.headers.get("X-Slack-Signature"),
    ):
        return JsonResponse({"error": "Invalid or expired Slack signature."}, status=401)
    try:
        # NUL characters are removed (PostgreSQL cannot store them), so that such a message is kept, not lost.
        payload = json_clean(json.loads(body))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        return JsonResponse({"error": "The body is not JSON."}, status=400)
    except Refusal as refused:
        return JsonResponse({"error": refused.message}, status=400)
    if not isinstance(payload, dict):
        return JsonResponse({"error": "The body is not a JSON object."}, status=400)
    kind = payload.get("type")
    if kind == "url_verification":
        return JsonResponse({"challenge": str(payload.get("challenge") or "")})
    if not settings.SLACK_TEAM_ID:
        return JsonResponse({"error": "Slack is not configured (SLACK_TEAM_ID is empty)."}, status=503)
    if not slack.team_allowed(payload):
        logger.warning(
            "Slack event of team %r refused: the app is installed in %s", payload.get("team_id"), settings.SLACK_TEAM_ID
        )
        return JsonResponse(
            {"error": "Events are accepted only from the workspace the app is installed in."}, status=403
        )
    if kind != "event_callback":
        logger.info("Slack request of type %s ignored", kind)
        return JsonResponse({"ok": True, "ignored": True})
    try:
        intake = services.slack_event_receive(payload=payload)
    except ValueError as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except services.TRANSIENT_DB_ERRORS as exc:
        # Slack retries deliveries that fail: the event is not lost.
        logger.error("Slack event not stored, the database is unavailable: %s", exc)
        return JsonResponse({"error": "The database is unavailable."}, status=503)
    return JsonResponse({"ok": True, "status": intake.event.status, "duplicate": intake.duplicate})


# Staff pages -----------------------------------------------------------------------------------


QUARANTINE_PAGE_SIZE = 50


@staff_required
def quarantine(request):
    stuck = Q(status=InboundEmail.Status.RECEIVED, received_at__lte=timezone.now() - STUCK_AFTER)
    emails = (
        InboundEmail.objects.filter(Q(status__in=InboundEmail.NEEDS_REVIEW) | stuck)
        .select_related("organization")
        .defer("raw")
        .order_by("-received_at", "-pk")
    )
    slack_events_held = (
        SlackEvent.objects.filter(status__in=SlackEvent.NEEDS_REVIEW, reviewed_at__isnull=True)
        .select_related("organization")
        .order_by("-received_at", "-pk")
    )
    # Two lists, each paged on its own (`?page=`, `?slack_page=`), each with its total.
    email_page = Paginator(emails, QUARANTINE_PAGE_SIZE).get_page(request.GET.get("page"))
    slack_page = Paginator(slack_events_held, QUARANTINE_PAGE_SIZE).get_page(request.GET.get("slack_page"))
    context = {
        "emails": email_page.object_list,
        "email_page": email_page,
        "slack_events": slack_page.object_list,
        "slack_page": slack_page,
    }
    return render(request, "channels/quarantine.html", context)


def _accept_initial(email: InboundEmail) -> dict:
    user = User.objects.filter(email__iexact=email.sender).select_related("membership__organization").first()
    organization = email.organization or (user.organization if user else None)
    requester = user if user and organization and user.organization == organization else None
    return {"organization": organization, "requester": requester, "subject": email.subject or "(no subject)"}


@staff_required
def email_detail(request, pk: int):
    email = get_object_or_404(InboundEmail, pk=pk)
    form = AcceptForm(initial=_accept_initial(email))
    return _render_detail(request, email, form)


def _render_detail(request, email: InboundEmail, form: AcceptForm, status: int = 200):
    message = mail.parse(email.raw_bytes)
    body = mail.body(message)
    context = {
        "email": email,
        "headers": mail.raw_header_items(message)[:200],
        "text": body.text,
        "from_html": body.from_html,
        "truncated": body.truncated,
        "parts": body.parts,
        "form": form,
        "can_review": email.can_become(InboundEmail.Status.DISCARDED),
        "reply_target": services.reply_target(email),
    }
    return render(request, "channels/email_detail.html", context, status=status)


@staff_required
@require_POST
def email_accept(request, pk: int):
    email = get_object_or_404(InboundEmail.objects.defer("raw"), pk=pk)
    form = AcceptForm(request.POST)
    if form.is_valid():
        try:
            ticket = services.inbound_email_accept(
                email=email,
                actor=request.user,
                organization=form.cleaned_data["organization"],
                requester=form.cleaned_data["requester"],
                subject=form.cleaned_data["subject"],
            )
        except (Refusal, ValidationError) as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, f"Ticket #{ticket.pk} opened for {ticket.organization} from the message.")
            return redirect("channels:quarantine")
    email.refresh_from_db()
    return _render_detail(request, email, form, status=400)


@staff_required
@require_POST
def email_accept_reply(request, pk: int):
    """Posts a held unverified reply on its ticket as its sender."""
    email = get_object_or_404(InboundEmail.objects.defer("raw"), pk=pk)
    try:
        email = services.inbound_email_accept_reply(email=email, actor=request.user)
    except (Refusal, ValidationError) as error:
        messages.error(request, messages_of(error))
        return redirect("channels:email_detail", pk=pk)
    messages.success(request, f"Posted on #{email.ticket_id} as {email.sender}.")
    return redirect("channels:quarantine")


@staff_required
@require_POST
def email_discard(request, pk: int):
    email = get_object_or_404(InboundEmail.objects.defer("raw"), pk=pk)
    try:
        services.inbound_email_discard(email=email, actor=request.user)
    except ValidationError as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(request, "Message discarded; the original stays on record.")
    return redirect("channels:quarantine")


@staff_required
def email_raw(request, pk: int):
    """The original message as a download (never rendered in the browser)."""
    email = get_object_or_404(InboundEmail, pk=pk)
    response = HttpResponse(email.raw_bytes, content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="message-{email.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@staff_required
def slack_detail(request, pk: int):
    event = get_object_or_404(SlackEvent.objects.select_related("organization", "ticket"), pk=pk)
    context = {
        "event": event,
        "text": slack.message_text(event.payload.get("event") or {}),
        "payload": json.dumps(event.payload, indent=2, ensure_ascii=False, sort_keys=True),
    }
    return render(request, "channels/slack_detail.html", context)


@staff_required
@require_POST
def slack_dismiss(request, pk: int):
    event = get_object_or_404(SlackEvent, pk=pk)
    services.slack_event_dismiss(event=event, actor=request.user)
    messages.success(request, "Slack message marked as reviewed.")
    return redirect("channels:quarantine")
