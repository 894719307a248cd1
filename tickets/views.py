import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from contracts.entitlements import entitlements_for
from contracts.models import Priority
from portal import roles
from portal import services as portal_services
from portal.decorators import staff_required
from portal.refusals import Refusal, messages_of, refusal_to_form
from portal.selectors import deflection_report
from tickets import selectors, services, sla
from tickets.forms import (
    KIND_HELP,
    PRIORITY_HELP,
    AssignForm,
    CustomerFilterForm,
    PriorityForm,
    QueueFilterForm,
    ReplyForm,
    StaffReplyForm,
    StatusForm,
    SupportRequestForm,
)
from tickets.models import Attachment, Kind, SlaAlert, Ticket, TicketChannel


def _customer_organization(user):
    organization = user.organization
    if organization is None or roles.is_support_staff(user):
        raise Http404("The Support Request Form is for customers.")
    return organization


def target_options(entitlements, *, kind: str) -> list[dict]:
    """For each priority: the target and the deadline a ticket sent now would get."""
    now = timezone.now()
    options = []
    for value, label in Priority.choices:
        deadline = sla.resolve_deadline(
            entitlements, kind=kind, channel=TicketChannel.PORTAL, priority=value, received_at=now
        )
        meaning, examples = PRIORITY_HELP[value]
        options.append(
            {
                "value": value,
                "label": label,
                "meaning": meaning,
                "examples": examples,
                "deadline": deadline,
                "text": sla.deadline_sentence(deadline),
            }
        )
    return options


@login_required
def ticket_create(request):
    organization = _customer_organization(request.user)
    entitlements = entitlements_for(organization)
    form = SupportRequestForm(request.POST or None, request.FILES or None, organization=organization, user=request.user)
    kind = request.POST.get("kind") or request.GET.get("kind") or Kind.QUESTION
    if kind not in Kind.values:
        kind = Kind.QUESTION
    # Each opening of the form is a visit: the suggestions it shows and the articles opened are measured.
    visit = portal_services.form_visit_for(token=request.POST.get("form"), user=request.user)
    if visit is None:
        visit = portal_services.form_visit_start(user=request.user, organization=organization)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            ticket = services.ticket_open(
                organization=organization,
                requester=request.user,
                subject=data["subject"],
                description=data["description"],
                kind=data["kind"],
                priority=data["priority"],
                channel=TicketChannel.PORTAL,
                ccs=data.get("ccs") or (),
                attachments=data["attachments"],
                suggested_articles=visit.shown_article_ids,
            )
        except (Refusal, ValidationError) as error:
            refusal_to_form(form, error)
        else:
            portal_services.form_visit_submit(visit=visit, ticket=ticket)
            messages.success(
                request, f"Request #{ticket.pk} received. {sla.deadline_sentence(sla.deadline_of(ticket))}"
            )
            return redirect("tickets:detail", pk=ticket.pk)
    context = {
        "form": form,
        "visit": visit,
        "organization": organization,
        "options": target_options(entitlements, kind=kind),
        "kind_help": KIND_HELP,
        "selected_kind": kind,
        "selected_priority": request.POST.get("priority") or Priority.NORMAL,
        "entitlements": entitlements,
    }
    return render(request, "tickets/ticket_form.html", context)


@login_required
@require_GET
def target_preview(request):
    """The targets table for a kind (htmx swaps it into the form as the customer changes the kind)."""
    organization = _customer_organization(request.user)
    kind = request.GET.get("kind", Kind.QUESTION)
    if kind not in Kind.values:
        kind = Kind.QUESTION
    return render(
        request,
        "tickets/_target_options.html",
        {
            "options": target_options(entitlements_for(organization), kind=kind),
            "selected_priority": request.GET.get("priority") or Priority.NORMAL,
        },
    )


@login_required
def ticket_list(request):
    if roles.is_support_staff(request.user):
        return redirect("tickets:queue")
    _customer_organization(request.user)
    form = CustomerFilterForm(request.GET or None)
    status, query = "open", ""
    if form.is_valid():
        status = form.cleaned_data.get("status") or "open"
        query = form.cleaned_data.get("q") or ""
    tickets = selectors.with_clock(selectors.customer_tickets(request.user, status=status, query=query)[:200])
    return render(request, "tickets/ticket_list.html", {"tickets": tickets, "form": form})


@login_required
def ticket_detail(request, pk: int):
    ticket = get_object_or_404(
        Ticket.objects.visible_to(request.user).select_related("organization", "requester"), pk=pk
    )
    if roles.is_support_staff(request.user):
        return redirect("tickets:staff_detail", pk=pk)
    form = ReplyForm(request.POST or None, request.FILES or None)
    may_reply = services.can_reply(request.user, ticket) and ticket.status != "closed"
    if request.method == "POST":
        if not may_reply:
            raise PermissionDenied("Only the requester, the ticket's CCs and organization admins may reply.")
        if form.is_valid():
            try:
                services.comment_add(
                    ticket=ticket,
                    author=request.user,
                    body=form.cleaned_data["body"],
                    attachments=form.cleaned_data["attachments"],
                    channel=TicketChannel.PORTAL,
                )
            except (Refusal, ValidationError) as error:
                refusal_to_form(form, error)
            else:
                messages.success(request, "Your reply was added.")
                return redirect("tickets:detail", pk=pk)
    ent = entitlements_for(ticket.organization)
    context = {
        "ticket": selectors.with_clock([ticket])[0],
        "thread": selectors.public_thread(ticket),
        "events": ticket.events.filter(public=True).select_related("actor"),
        "attachments": ticket.attachments.filter(public=True, comment__isnull=True),
        "form": form,
        "may_reply": may_reply,
        "can_escalate": sla.escalation_refusal(ticket, ent) is None,
        "escalated": ticket.alerts.filter(kind=SlaAlert.Kind.ESCALATED).exists(),
    }
    return render(request, "tickets/ticket_detail.html", context)


@login_required
@require_POST
def ticket_escalate(request, pk: int):
    ticket = get_object_or_404(Ticket.objects.visible_to(request.user), pk=pk)
    try:
        created = services.ticket_escalate(ticket=ticket, actor=request.user)
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(
            request, "The on-call team has been paged." if created else "This ticket was already escalated."
        )
    return redirect("tickets:detail" if not roles.is_support_staff(request.user) else "tickets:staff_detail", pk=pk)


@login_required
def attachment_download(request, pk: int):
    """Files are served only here, after checking that the viewer may see the ticket (and the note)."""
    attachment = get_object_or_404(
        Attachment.objects.filter(ticket__in=Ticket.objects.visible_to(request.user)).select_related("ticket"), pk=pk
    )
    if not attachment.public and not roles.is_support_staff(request.user):
        raise Http404
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@staff_required
def queue(request):
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    tickets = selectors.with_clock(selectors.ticket_queue(filters=filters, user=request.user)[:300])
    return render(request, "tickets/queue.html", {"tickets": tickets, "form": form})


@staff_required
def staff_detail(request, pk: int):
    ticket = get_object_or_404(
        Ticket.objects.select_related("organization", "requester", "assignee", "engagement", "connector"), pk=pk
    )
    reply_form = StaffReplyForm(prefix="reply")
    context = {
        "ticket": selectors.with_clock([ticket])[0],
        "thread": selectors.full_thread(ticket),
        "events": ticket.events.select_related("actor"),
        "attachments": ticket.attachments.filter(comment__isnull=True),
        "reply_form": reply_form,
        "assign_form": AssignForm(prefix="assign", initial={"assignee": ticket.assignee_id}),
        "status_form": StatusForm(prefix="status", initial={"status": ticket.status}),
        "priority_form": PriorityForm(prefix="priority", initial={"priority": ticket.priority}),
        "entitlements": entitlements_for(ticket.organization),
        "ccs": ticket.ccs.all(),
        "is_architect": roles.is_solution_architect(request.user),
    }
    if request.method == "POST":
        response = _staff_action(request, ticket, context)
        if response is not None:
            return response
    return render(request, "tickets/staff_detail.html", context)


def _staff_action(request, ticket, context):
    action = request.POST.get("action")
    actor = request.user
    try:
        if action == "reply":
            form = StaffReplyForm(request.POST, request.FILES, prefix="reply")
            context["reply_form"] = form
            if not form.is_valid():
                return None
            public = form.cleaned_data["visibility"] == "public"
            services.comment_add(
                ticket=ticket,
                author=actor,
                body=form.cleaned_data["body"],
                public=public,
                attachments=form.cleaned_data["attachments"],
            )
            messages.success(request, "Reply sent to the customer." if public else "Internal note added.")
        elif action == "assign":
            form = AssignForm(request.POST, prefix="assign")
            context["assign_form"] = form
            if not form.is_valid():
                return None
            services.ticket_assign(ticket=ticket, actor=actor, assignee=form.cleaned_data["assignee"])
            messages.success(request, "Assignment saved.")
        elif action == "status":
            form = StatusForm(request.POST, prefix="status")
            context["status_form"] = form
            if not form.is_valid():
                return None
            services.ticket_change_status(ticket=ticket, actor=actor, status=form.cleaned_data["status"])
            messages.success(request, "Status saved.")
        elif action == "priority":
            form = PriorityForm(request.POST, prefix="priority")
            context["priority_form"] = form
            if not form.is_valid():
                return None
            services.ticket_change_priority(
                ticket=ticket, actor=actor, priority=form.cleaned_data["priority"], reason=form.cleaned_data["reason"]
            )
            messages.success(request, "Priority changed; the deadline follows.")
        else:
            messages.error(request, "Unknown action.")
    except (Refusal, ValidationError) as error:
        messages.error(request, messages_of(error))
        return None
    return redirect("tickets:staff_detail", pk=ticket.pk)


@staff_required
def reports(request):
    rows = selectors.attainment_report()
    deflection = deflection_report()
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="first-response-attainment.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "month",
                "tier",
                "priority",
                "met",
                "breached",
                "waiting",
                "attainment_percent",
                "median_minutes_to_first_response",
            ]
        )
        for row in rows:
            writer.writerow(
                [
                    row["month"],
                    row["tier"],
                    row["priority"],
                    row["met"],
                    row["breached"],
                    row["waiting"],
                    "" if row["attainment"] is None else row["attainment"],
                    "" if row["median_minutes"] is None else row["median_minutes"],
                ]
            )
        return response
    return render(request, "tickets/reports.html", {"rows": rows, "deflection": deflection})
