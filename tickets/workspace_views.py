"""The Support Engineer's tools around the queue and the workspace: bulk actions, macros, article links, merge,
the people copied and who else has a ticket open."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal import roles
from portal.decorators import staff_required
from portal.refusals import Refusal, messages_of, refusal_to_form
from portal.selectors import article_search
from tickets import macros, workspace
from tickets.forms import BulkForm, CcForm, MacroForm, MergeForm, WorkspaceForm
from tickets.models import Macro, Ticket, TicketPresence
from tickets.selectors import staff_users
from tickets.views import workspace_context, workspace_ticket


def _number(value) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _queue_url(query: str) -> str:
    # Only the query string comes from the request; the path is always the queue's.
    return reverse("tickets:queue") + (f"?{query}" if query else "")


@staff_required
@require_POST
def queue_bulk(request):
    """Applies an assignee, a status and an internal note to the selected tickets; reports what was refused."""
    form = BulkForm(request.POST)
    back = _queue_url(request.POST.get("query", "").lstrip("?"))
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(back)
    data = form.cleaned_data
    assignee = workspace.UNCHANGED
    if data["assignee"] == "none":
        assignee = None
    elif data["assignee"]:
        assignee = get_object_or_404(staff_users(), pk=_number(data["assignee"]))
    try:
        outcome = workspace.tickets_bulk_update(
            actor=request.user, ticket_ids=data["tickets"], assignee=assignee, status=data["status"], note=data["note"]
        )
    except (Refusal, ValidationError) as error:
        messages.error(request, messages_of(error))
        return redirect(back)
    if outcome.done:
        messages.success(request, f"Changed {_tickets(outcome.done)}.")
    if outcome.unchanged:
        messages.info(request, f"Already so, nothing to change: {_tickets(outcome.unchanged)}.")
    if outcome.refused:
        reasons = " ".join(f"#{pk}: {reason}" for pk, reason in outcome.refused.items())
        messages.error(request, f"Not changed, {_tickets(list(outcome.refused))}. {reasons}")
    return redirect(back)


def _tickets(ids: list[int]) -> str:
    return f"{len(ids)} ticket{'s' if len(ids) != 1 else ''} (" + ", ".join(f"#{pk}" for pk in ids) + ")"


@staff_required
@require_POST
def macro_apply(request, pk: int):
    """Fills the workspace form with a macro: its text (placeholders filled) after what was typed, its status
    and its tags. Nothing is sent until the engineer sends it."""
    ticket = workspace_ticket(pk)
    number = _number(request.POST.get("macro"))
    if number is None:
        raise Http404("Choose a macro.")
    macro = get_object_or_404(Macro, pk=number, is_active=True)
    data = {name: request.POST.get(name, "") for name in WorkspaceForm.base_fields if name != "attachments"}
    text = macros.macro_text(macro, ticket=ticket, agent=request.user)
    typed = data["body"].rstrip()
    data["body"] = f"{typed}\n\n{text}" if typed else text
    if macro.set_status:
        data["status"] = macro.set_status
    if macro.tag_list:
        try:
            data["tags"] = ", ".join(macros.tag_names([*macros.tag_names(data["tags"]), *macro.tag_list]))
        except Refusal:
            data["tags"] = ", ".join(part for part in [data["tags"].strip(), *macro.tag_list] if part)
    form = WorkspaceForm(initial=data)
    note = f"“{macro.title}” is filled in: read it over, then send."
    if request.htmx:
        return render(request, "tickets/_workspace_fields.html", {"form": form, "ticket": ticket, "applied": note})
    messages.info(request, note)
    return render(request, "tickets/staff_detail.html", workspace_context(request, ticket, form))


@staff_required
@require_GET
def article_lookup(request, pk: int):
    """Help articles the ticket's requester can read, to link in a reply."""
    ticket = get_object_or_404(Ticket.objects.select_related("requester"), pk=pk)
    query = request.GET.get("q", "")[:200]
    reader = ticket.requester or AnonymousUser()
    articles = list(article_search(user=reader, query=query, limit=8)) if query.strip() else []
    results = [
        {"article": a, "url": settings.SITE_URL + a.get_absolute_url(), "text": f"{a.title}: "} for a in articles
    ]
    for result in results:
        result["text"] += result["url"]
    return render(request, "tickets/_article_links.html", {"results": results, "query": query})


@staff_required
@require_POST
def presence(request, pk: int):
    """Renews the engineer's presence on the ticket and answers who else has it open."""
    ticket = get_object_or_404(Ticket, pk=pk)
    state = request.POST.get("state", TicketPresence.State.VIEWING)
    others = workspace.presence_ping(ticket=ticket, user=request.user, state=state)
    return render(request, "tickets/_presence.html", {"others": others})


@staff_required
@require_POST
def ticket_merge(request, pk: int):
    """Merges this ticket into another, after a confirmation that names both."""
    duplicate = get_object_or_404(Ticket.objects.select_related("organization", "requester"), pk=pk)
    form = MergeForm(request.POST, prefix="merge")
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("into", ["Write the number of a ticket."])))
        return redirect("tickets:staff_detail", pk=pk)
    into = Ticket.objects.select_related("organization", "requester").filter(pk=form.cleaned_data["into"]).first()
    if into is None:
        messages.error(request, f"There is no ticket #{form.cleaned_data['into']}.")
        return redirect("tickets:staff_detail", pk=pk)
    refusal = workspace.merge_refusal(duplicate, into)
    if refusal:
        messages.error(request, refusal.message)
        return redirect("tickets:staff_detail", pk=pk)
    if request.POST.get("confirm") != "yes":
        return render(request, "tickets/merge_confirm.html", {"duplicate": duplicate, "into": into})
    try:
        workspace.ticket_merge(duplicate=duplicate, into=into, actor=request.user)
    except (Refusal, ValidationError) as error:
        messages.error(request, messages_of(error))
        return redirect("tickets:staff_detail", pk=pk)
    messages.success(request, f"#{duplicate.pk} is merged into #{into.pk}.")
    return redirect("tickets:staff_detail", pk=into.pk)


@login_required
@require_POST
def ticket_ccs(request, pk: int):
    """Changes who is copied on a ticket (staff from the workspace; the requester and admins from its page)."""
    ticket = get_object_or_404(Ticket.objects.visible_to(request.user).select_related("organization"), pk=pk)
    staff = roles.is_support_staff(request.user)
    back = redirect("tickets:staff_detail" if staff else "tickets:detail", pk=pk)
    if not workspace.may_edit_ccs(request.user, ticket):
        raise PermissionDenied
    form = CcForm(request.POST, prefix="cc" if staff else None, ticket=ticket)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return back
    try:
        added, removed = workspace.ticket_ccs_set(ticket=ticket, actor=request.user, users=form.cleaned_data["ccs"])
    except (Refusal, ValidationError) as error:
        messages.error(request, messages_of(error))
        return back
    if added or removed:
        messages.success(request, "The people copied are saved.")
    else:
        messages.info(request, "Nobody was added or removed.")
    return back


# Macros -------------------------------------------------------------------------------------------------


@staff_required
def macro_list(request):
    macros_ = Macro.objects.select_related("updated_by").order_by("-is_active", "title")
    return render(request, "tickets/macros/list.html", {"macros": macros_, "placeholders": macros.PLACEHOLDERS})


@staff_required
def macro_edit(request, pk: int | None = None):
    macro = get_object_or_404(Macro, pk=pk) if pk is not None else None
    initial = (
        {
            "title": macro.title,
            "body": macro.body,
            "set_status": macro.set_status,
            "add_tags": macro.add_tags,
            "is_active": macro.is_active,
        }
        if macro
        else {"is_active": True}
    )
    form = MacroForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = macros.macro_save(actor=request.user, macro=macro, **form.cleaned_data)
        except (Refusal, ValidationError) as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, f"Macro “{saved.title}” saved.")
            return redirect("tickets:macros")
    status = 400 if request.method == "POST" else 200
    return render(request, "tickets/macros/edit.html", {"form": form, "macro": macro}, status=status)


@staff_required
@require_POST
def macro_delete(request, pk: int):
    macro = get_object_or_404(Macro, pk=pk)
    macros.macro_delete(actor=request.user, macro=macro)
    messages.success(request, f"Macro “{macro.title}” deleted.")
    return redirect("tickets:macros")
