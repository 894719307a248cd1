"""Customers' pages for the end of a ticket: mark it solved, and say how it went (in the portal or by the
signed link of the survey email, without signing in)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal.refusals import Refusal, messages_of, refusal_to_form
from tickets import notifications, solved
from tickets.forms import SatisfactionForm
from tickets.models import Rating, SatisfactionRating, Ticket


@login_required
@require_POST
def ticket_solve(request, pk: int):
    ticket = get_object_or_404(Ticket.objects.visible_to(request.user), pk=pk)
    try:
        solved.ticket_mark_solved(ticket=ticket, actor=request.user)
    except Refusal as error:
        messages.error(request, messages_of(error))
    else:
        messages.success(request, "Marked solved. Thank you! How did we do?")
    return redirect("tickets:detail", pk=pk)


@login_required
@require_POST
def ticket_rate(request, pk: int):
    ticket = get_object_or_404(Ticket.objects.visible_to(request.user), pk=pk)
    form = SatisfactionForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("tickets:detail", pk=pk)
    try:
        solved.satisfaction_rate(
            ticket=ticket,
            rater=request.user,
            rating=form.cleaned_data["rating"],
            comment=form.cleaned_data["comment"],
            via=SatisfactionRating.Via.PORTAL,
        )
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Thank you for your rating.")
    return redirect("tickets:detail", pk=pk)


def satisfaction_link(request, token: str):
    """The survey email's page: the rating its link chose, a comment, and one button. Works once."""
    found = notifications.satisfaction_token_read(token)
    if found is None:
        raise Http404("This link is not valid, or it has expired. Sign in to rate the ticket from its page.")
    ticket_id, requester_id = found
    ticket = get_object_or_404(
        Ticket.objects.select_related("requester", "satisfaction"), pk=ticket_id, requester_id=requester_id
    )
    rating = request.GET.get("rating")
    form = SatisfactionForm(request.POST or None, initial={"rating": rating if rating in Rating.values else None})
    context = {"ticket": ticket, "form": form, "rated": getattr(ticket, "satisfaction", None)}
    if request.method == "POST" and context["rated"] is None and form.is_valid():
        try:
            answer = solved.satisfaction_rate(
                ticket=ticket,
                rater=ticket.requester,
                rating=form.cleaned_data["rating"],
                comment=form.cleaned_data["comment"],
                via=SatisfactionRating.Via.LINK,
            )
        except Refusal as error:
            refusal_to_form(form, error)
        else:
            return render(request, "tickets/satisfaction.html", {**context, "rated": answer, "thanks": True})
    status = 200
    if request.method == "POST":
        status = 409 if context["rated"] is not None else 400
    return render(request, "tickets/satisfaction.html", context, status=status)
