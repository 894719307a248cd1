from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from config.pagination import IdsFirstPaginator
from contracts.entitlements import entitlements_for
from contracts.models import Priority
from portal import roles
from portal import services as portal_services
from portal.decorators import staff_required
from portal.refusals import Refusal, messages_of, refusal_to_form
from tickets import selectors, services, sla, workspace
from tickets.forms import (
    KIND_HELP,
    PRIORITY_HELP,
    BulkForm,
    CcForm,
    CustomerFilterForm,
    MergeForm,
    QueueFilterForm,
    ReplyForm,
    SatisfactionForm,
    SupportRequestForm,
    WorkspaceForm,
)
from tickets.models import Attachment, Kind, Macro, SlaAlert, Status, Ticket, TicketChannel


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


def paginate(request, rows, *, count: int | None = None):
    """The page `?page=` names (the first for a missing or unreadable number, the last past the end); `count`,
    when the caller already knows how many rows there are, spares counting them again."""
    paginator = IdsFirstPaginator(rows, selectors.PAGE_SIZE)
    if count is not None:
        paginator.count = count
    page = paginator.get_page(request.GET.get("page"))
    page.elided_range = page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    return page


@login_required
def ticket_list(request):
    if roles.is_support_staff(request.user):
        return redirect("tickets:queue")
    _customer_organization(request.user)
    form = CustomerFilterForm(request.GET or None)
    valid = not form.is_bound or form.is_valid()
    status, query = "open", ""
    if form.is_bound and valid:
        status = form.cleaned_data.get("status") or "open"
        query = form.cleaned_data.get("q") or ""
    tickets = selectors.customer_tickets(request.user, status=status, query=query) if valid else Ticket.objects.none()
    page = paginate(request, tickets)
    context = {"tickets": selectors.with_clock(page.object_list), "page": page, "form": form}
    return render(request, "tickets/ticket_list.html", context, status=200 if valid else 400)


@login_required
def ticket_detail(request, pk: int):
    ticket = get_object_or_404(
        Ticket.objects.visible_to(request.user).select_related("organization", "requester", "satisfaction"), pk=pk
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
        "may_mark_solved": ticket.is_open and services.can_reply(request.user, ticket),
        "may_rate": ticket.requester_id == request.user.pk and not ticket.merged_into_id,
        "satisfaction_form": SatisfactionForm(initial={"rating": request.GET.get("rating")}),
        "ccs": ticket.ccs.all(),
        "cc_form": CcForm(ticket=ticket, initial={"ccs": ticket.ccs.all()})
        if workspace.may_edit_ccs(request.user, ticket) and ticket.status != Status.CLOSED
        else None,
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
    """The queue: views with their counts, a search, filters and sorts, 50 tickets a page, bulk actions."""
    staff = list(selectors.staff_users())
    form = QueueFilterForm(request.GET or None, staff=staff)
    valid = not form.is_bound or form.is_valid()
    filters = form.cleaned_data if form.is_bound and valid else {}
    tickets = selectors.ticket_queue(filters=filters, user=request.user) if valid else Ticket.objects.none()
    counts = selectors.queue_counts(user=request.user)
    page = paginate(request, tickets, count=selectors.queue_total(filters, counts) if valid else 0)
    context = {
        "form": form,
        "page": page,
        "tickets": selectors.with_clock(page.object_list),
        "views": [(view, counts[view.value]) for view in selectors.QueueView],
        "all_open": counts["all_open"],
        "current_view": filters.get("view", ""),
        "current_sort": filters.get("sort") or "deadline",
        "sort_columns": _sort_columns(filters.get("sort") or "deadline"),
        "bulk_form": BulkForm(staff=staff),
        "query_string": request.GET.urlencode(),
    }
    return render(request, "tickets/queue.html", context, status=200 if valid else 400)


QUEUE_COLUMNS = [
    ("deadline", "Deadline"),
    (None, "State"),
    ("number", "#"),
    (None, "Subject"),
    ("organization", "Organization"),
    ("priority", "Priority"),
    (None, "Status"),
    ("waiting", "Waiting"),
    ("updated", "Updated"),
    (None, "Assignee"),
    (None, "Rating"),
]


def _sort_columns(current: str) -> list[dict]:
    """The queue's column headers: a sortable one links to its sort, or to the reverse when it is the current."""
    columns = []
    for key, label in QUEUE_COLUMNS:
        column = {"label": label, "sort": None, "arrow": ""}
        if key:
            column["sort"] = f"-{key}" if current == key else key
            column["arrow"] = "▲" if current == key else ("▼" if current == f"-{key}" else "")
        columns.append(column)
    return columns


def workspace_context(request, ticket: Ticket, form: WorkspaceForm) -> dict:
    """Everything the workspace shows around its form; a fixed number of queries whatever the data."""
    now = timezone.now()
    entitlements = entitlements_for(ticket.organization, at=now)
    thread, attachments = selectors.full_thread(ticket)
    events = list(ticket.events.select_related("actor"))
    return {
        "ticket": selectors.with_clock([ticket], now=now)[0],
        "thread": thread,
        "events": events,
        "attachments": attachments,
        "form": form,
        "macros": Macro.objects.filter(is_active=True).only("pk", "title"),
        "merge_form": MergeForm(prefix="merge"),
        "cc_form": CcForm.drawn(ticket, prefix="cc"),
        "merged_tickets": selectors.merged_in(events),
        "customer": selectors.customer_context(ticket, entitlements, now=now),
        "entitlements": entitlements,
        "is_architect": roles.is_solution_architect(request.user),
    }


def workspace_ticket(pk: int) -> Ticket:
    # Only what the page reads on every ticket is joined: each more join costs PostgreSQL time to plan. The tags
    # come in the same query. The ticket it was merged into (rare) is read when there is one; the search document
    # (as long as the thread) never.
    return get_object_or_404(
        selectors.with_tag_names(
            Ticket.objects.select_related("organization__account_manager", "requester", "satisfaction")
        ).defer("search_vector"),
        pk=pk,
    )


@staff_required
def staff_detail(request, pk: int):
    """The ticket workspace: the thread, one form for reply, note, status, assignee, priority and tags, and the
    customer's context beside it."""
    ticket = workspace_ticket(pk)
    if request.method != "POST":
        form = WorkspaceForm(initial=WorkspaceForm.shown(ticket))
        return render(request, "tickets/staff_detail.html", workspace_context(request, ticket, form))
    form = WorkspaceForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        changes = form.changes(ticket)
        status = request.POST.get("then") or changes.get("status", "")
        if status and status not in Status.values:
            form.add_error("status", f"Unknown status {status!r}.")
        else:
            try:
                done = workspace.ticket_update(
                    ticket=ticket,
                    actor=request.user,
                    body=data["body"],
                    public=data["visibility"] == "public",
                    attachments=data["attachments"],
                    status=status,
                    assignee=changes.get("assignee", workspace.UNCHANGED),
                    priority=changes.get("priority", ""),
                    priority_reason=data["priority_reason"],
                    tags=changes.get("tags"),
                )
            except (Refusal, ValidationError, PermissionDenied) as error:
                refusal_to_form(form, error)
            else:
                if done:
                    messages.success(request, " ".join(done))
                else:
                    messages.info(request, "Nothing to save: write a reply or change a field.")
                return redirect("tickets:staff_detail", pk=ticket.pk)
    return render(request, "tickets/staff_detail.html", workspace_context(request, ticket, form), status=400)
