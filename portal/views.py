from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from portal import health
from portal.forms import ProfileForm


@require_GET
@never_cache
def healthz(request):
    """200 when the database answers (the broker is reported, not required), 503 otherwise."""
    database = health.database_state()
    broker = health.broker_state()
    status = "ok" if database == "up" else "unavailable"
    return JsonResponse(
        {"status": status, "database": database, "broker": broker},
        status=200 if database == "up" else 503,
    )


@login_required
def home(request):
    return render(request, "portal/home.html", {"organization": request.user.organization})


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("portal:profile")
    return render(request, "portal/profile.html", {"form": form})
