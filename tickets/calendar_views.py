"""The support calendar page: the coming closure days and holidays for everyone, and admins' changes to it with
the number of deadlines each change moves shown before they confirm."""

import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from portal import clock
from tickets import services
from tickets.business_hours import us_federal_holiday_names
from tickets.models import ClosureDay

AHEAD_DAYS = 365


class ClosureDayForm(forms.Form):
    date = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    action = forms.ChoiceField(label="Change", choices=ClosureDay.Action.choices)
    reason = forms.CharField(label="Reason (customers read it)", max_length=200)

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day < clock.support_today():
            raise ValidationError("Choose today or a day to come: the past is not changed.")
        return day


def coming_days(*, today: datetime.date) -> list[dict]:
    """Closed days from today to a year ahead: federal holidays (unless reopened) and admins' closure days."""
    end = today + datetime.timedelta(days=AHEAD_DAYS)
    changes = {c.date: c for c in ClosureDay.objects.filter(date__gte=today, date__lte=end)}
    days = []
    for day, name in sorted(us_federal_holiday_names(range(today.year, end.year + 1)).items()):
        if today <= day <= end:
            change = changes.get(day)
            days.append(
                {
                    "date": day,
                    "what": name,
                    "kind": "holiday",
                    "change": change,
                    "closed": not (change and change.action == ClosureDay.Action.OPEN),
                }
            )
    holidays = {d["date"] for d in days}
    for day, change in changes.items():
        if day not in holidays:
            days.append(
                {
                    "date": day,
                    "what": change.reason,
                    "kind": "closure",
                    "change": change,
                    "closed": change.action == ClosureDay.Action.CLOSE,
                }
            )
    return sorted(days, key=lambda d: d["date"])


def _moved_if(change) -> int:
    """How many deadlines a calendar change would move: the change is made and rolled back."""
    with transaction.atomic():
        moved = change()
        transaction.set_rollback(True)
    return moved


@login_required
def support_calendar(request):
    today = clock.support_today()
    may_change = request.user.is_superuser
    form = ClosureDayForm(request.POST or None) if may_change else None
    preview = None
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied("Only admins change the support calendar.")
        if form.is_valid():
            data = form.cleaned_data
            if request.POST.get("confirm") == "yes":
                _, moved = services.closure_day_save(
                    actor=request.user, date=data["date"], action=data["action"], reason=data["reason"]
                )
                messages.success(
                    request,
                    f"The support calendar was changed for {clock.day(data['date'])}: {_deadlines(moved)} moved.",
                )
                return redirect("tickets:calendar")
            moved = _moved_if(
                lambda: services.closure_day_save(
                    actor=request.user, date=data["date"], action=data["action"], reason=data["reason"]
                )[1]
            )
            preview = {"moved": moved, "data": data}
        else:
            status = 400
    context = {
        "days": coming_days(today=today),
        "form": form,
        "preview": preview,
        "may_change": may_change,
        "today": today,
    }
    return render(request, "tickets/calendar.html", context, status=status)


@require_POST
@login_required
def closure_remove(request, pk: int):
    if not request.user.is_superuser:
        raise PermissionDenied("Only admins change the support calendar.")
    closure = get_object_or_404(ClosureDay, pk=pk)
    if request.POST.get("confirm") != "yes":
        moved = _moved_if(lambda: services.closure_day_delete(actor=request.user, closure=closure))
        return render(request, "tickets/calendar_remove.html", {"closure": closure, "moved": moved})
    moved = services.closure_day_delete(actor=request.user, closure=closure)
    messages.success(request, f"The change of {clock.day(closure.date)} was withdrawn: {_deadlines(moved)} moved.")
    return redirect("tickets:calendar")


def _deadlines(n: int) -> str:
    return f"{n} open deadline{'s' if n != 1 else ''}"
