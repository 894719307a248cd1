from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from contracts.entitlements import entitlements_for
from contracts.selectors import entitlement_summary
from hours.selectors import hours_summary
from portal import health, roles, selectors, services
from portal import manager_home as manager_selectors
from portal.adapters import AccountAdapter
from portal.context_processors import coverage_remember
from portal.decorators import role_required, staff_required
from portal.forms import ArticleForm, InvitationForm, ProfileForm, RoleForm, VoteForm
from portal.models import Article, Category, Invitation, Membership, Organization
from portal.refusals import Refusal, refusal_to_form
from tickets import selectors as ticket_selectors


@require_GET
@never_cache
def healthz(request):
    """503 when the database is down; otherwise 200 with each state, for a monitor to alert on."""
    database = health.database_state()
    if database != "up":
        return JsonResponse({"status": "unavailable", "database": database}, status=503)
    return JsonResponse({"status": "ok", "database": database, "broker": health.broker_state(), **health.work_state()})


DASHBOARD_TICKETS = 10
SEARCH_RESULTS = 50  # the best matches shown; the heading says how many matched in all


@login_required
def home(request):
    """The page after sign-in: a customer's dashboard, or the workspace summary for staff."""
    organization = request.user.organization
    recent = Article.objects.visible_to(request.user).select_related("category").order_by("-updated_at")[:5]
    if roles.is_support_staff(request.user) or organization is None:
        counts = ticket_selectors.queue_counts(user=request.user)
        next_up = ticket_selectors.with_clock(ticket_selectors.ticket_queue(user=request.user)[:8])
        return render(
            request,
            "portal/home.html",
            {
                "organization": None,
                "counts": ticket_selectors.home_counts(counts),
                "next_up": next_up,
                "recent_articles": recent,
            },
        )
    entitlements = entitlements_for(organization)
    coverage_remember(request, entitlements)
    open_tickets = ticket_selectors.customer_tickets(request.user, status="open")
    tickets = ticket_selectors.with_clock(open_tickets[:DASHBOARD_TICKETS])
    return render(
        request,
        "portal/home.html",
        {
            "organization": organization,
            "open_tickets": tickets,
            "open_count": open_tickets.count(),
            "hours_summary": hours_summary(organization),
            "recent_articles": recent,
            **entitlement_summary(entitlements),
        },
    )


@role_required(roles.may_edit_contracts)
def manager_home(request):
    """The account manager's home: requests, quotes, renewals, hours and attainment across their accounts."""
    pages = {name: request.GET.get(name) for name in manager_selectors.PAGES}
    context = manager_selectors.manager_home(request.user, everyone=request.GET.get("scope") == "all", pages=pages)
    return render(request, "portal/manager_home.html", context)


@login_required
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile was saved.")
        return redirect("portal:profile")
    return render(request, "portal/profile.html", {"form": form})


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# Knowledge base -------------------------------------------------------------------------------


@require_GET
def kb(request):
    """Browse by category or tag, or search with `?q=`; htmx swaps only the results as one types."""
    query = request.GET.get("q", "").strip()[:200]
    tag = request.GET.get("tag", "").strip()[:50]
    category = get_object_or_404(Category, slug=request.GET["category"]) if request.GET.get("category") else None
    context = {
        "query": query,
        "tag": tag,
        "category": category,
        "categories": selectors.category_list(user=request.user),
    }
    if query:
        results = selectors.article_search(user=request.user, query=query, every_word=True)
        if category is not None:
            results = results.filter(category=category)
        context.update(
            mode="search",
            results=list(results[:SEARCH_RESULTS]),
            results_total=results.count(),
            terms=selectors.search_terms(query),
        )
    elif category is not None or tag:
        results = selectors.article_list(user=request.user, category=category, tag=tag)
        context.update(mode="list", results=list(results))
    else:
        context.update(mode="shelves", shelves=selectors.category_shelves(user=request.user))
    if request.htmx and request.htmx.target == "kb-results":
        response = render(request, "portal/kb/_results.html", context)
    else:
        response = render(request, "portal/kb/index.html", context)
    # The same address answers a fragment to htmx and a page otherwise: caches must tell them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def kb_article(request, slug):
    article = get_object_or_404(
        Article.objects.visible_to(request.user).select_related("category", "author"), slug=slug
    )
    visit = services.form_visit_for(token=request.GET.get("from_form"), user=request.user)
    if visit is not None:
        services.form_visit_record_open(visit=visit, article=article)
    related = selectors.article_list(user=request.user, category=article.category).exclude(pk=article.pk)[:5]
    return render(
        request,
        "portal/kb/article.html",
        {
            "article": article,
            "related": related,
            "votes": selectors.article_vote_summary(article=article, user=request.user),
        },
    )


@staff_required
def kb_create(request):
    return _article_editor(request, article=None)


@staff_required
def kb_edit(request, slug):
    return _article_editor(request, article=get_object_or_404(Article, slug=slug))


def _article_editor(request, *, article: Article | None):
    """The editor: "Preview" renders the Markdown without saving, "Save" goes through article_save."""
    # Read before the form is bound: validating it writes the posted values onto the instance.
    original_title = article.title if article else ""
    cancel_url = article.get_absolute_url() if article else ""
    form = ArticleForm(request.POST or None, instance=article)
    preview_html = None
    is_preview = "preview" in request.POST or (request.htmx and request.htmx.target == "article-preview")
    if request.method == "POST" and is_preview:
        preview_html = services.markdown_render(request.POST.get("body_markdown", ""))
        if request.htmx:
            return render(request, "portal/kb/_preview.html", {"preview_html": preview_html})
    elif request.method == "POST" and form.is_valid():
        try:
            saved = services.article_save(actor=request.user, article=article, **form.cleaned_data)
        except Refusal as error:
            refusal_to_form(form, error)
        else:
            messages.success(request, f"“{saved.title}” was saved ({saved.get_status_display().lower()}).")
            return redirect(saved)
    return render(
        request,
        "portal/kb/edit.html",
        {
            "form": form,
            "article": article,
            "heading": f"Edit “{original_title}”" if article else "New article",
            "original_title": original_title,
            "cancel_url": cancel_url,
            "preview_html": preview_html,
        },
    )


@login_required
@require_POST
def kb_vote(request, slug):
    article = get_object_or_404(Article.objects.visible_to(request.user), slug=slug)
    form = VoteForm(request.POST)
    if form.is_valid():
        services.article_vote(article=article, user=request.user, is_helpful=form.cleaned_data["helpful"])
    if request.htmx:
        votes = selectors.article_vote_summary(article=article, user=request.user)
        return render(request, "portal/kb/_vote.html", {"article": article, "votes": votes, "thanked": True})
    if form.is_valid():
        messages.success(request, "Thank you: your answer helps us improve this article.")
    return redirect(article.get_absolute_url() + "#feedback")


@require_GET
def kb_suggest(request):
    """Up to five articles for a ticket being written: an HTML fragment, or JSON when asked for.

    Reads `q`, or else the `subject` and `description` fields a ticket form sends as they are.
    """
    query = request.GET.get("q") or " ".join(request.GET.get(name, "") for name in ("subject", "description"))
    query = query.strip()[:500]
    articles = list(selectors.article_search(user=request.user, query=query, limit=5)) if len(query) >= 3 else []
    visit = services.form_visit_for(token=request.GET.get("form"), user=request.user)
    if visit is not None and articles:
        services.form_visit_record_shown(visit=visit, article_ids=[a.pk for a in articles])
    suffix = f"?from_form={visit.token}" if visit else ""
    if _wants_json(request):
        return JsonResponse(
            {
                "query": query,
                "results": [
                    {
                        "id": article.pk,
                        "title": article.title,
                        "url": article.get_absolute_url() + suffix,
                        "category": article.category.name,
                        "excerpt": article.excerpt(),
                    }
                    for article in articles
                ],
            }
        )
    return render(request, "portal/kb/_suggestions.html", {"articles": articles, "query": query, "suffix": suffix})


# Organization members -------------------------------------------------------------------------


def _organization_id(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        raise Http404("No such organization.") from None


def _members_organization(request) -> Organization | None:
    """The organization whose members the request is about: staff name it, customers have their own."""
    user = request.user
    if roles.is_support_staff(user):
        organization_id = _organization_id(request.POST.get("organization") or request.GET.get("organization"))
        return get_object_or_404(Organization, pk=organization_id) if organization_id else None
    if user.organization is None:
        raise PermissionDenied
    return user.organization


def _members_url(user, organization: Organization) -> str:
    url = reverse("portal:members")
    return f"{url}?organization={organization.pk}" if roles.is_support_staff(user) else url


def _members_page(request, organization: Organization, *, invite_form=None, status: int = 200):
    can_manage = roles.may_manage_members(request.user, organization)
    context = {
        "organization": organization,
        "memberships": selectors.organization_members(organization=organization),
        "can_manage": can_manage,
        "invitations": selectors.organization_invitations_pending(organization=organization) if can_manage else [],
        "invite_form": invite_form or InvitationForm(),
        "role_choices": Membership.Role.choices,
        "staff_view": roles.is_support_staff(request.user),
    }
    return render(request, "portal/members/index.html", context, status=status)


@login_required
@require_GET
def members(request):
    organization = _members_organization(request)
    if organization is None:
        return render(request, "portal/members/choose.html", {"organizations": Organization.objects.all()})
    return _members_page(request, organization)


@login_required
@require_POST
def member_invite(request):
    organization = _members_organization(request)
    if organization is None:
        raise Http404("Choose an organization.")
    if not roles.may_manage_members(request.user, organization):
        raise PermissionDenied
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(actor=request.user, organization=organization, **form.cleaned_data)
        except Refusal as error:
            refusal_to_form(form, error)
        else:
            expires = date_format(timezone.localtime(invitation.expires_at), "DATETIME_FORMAT")
            messages.success(request, f"Invitation sent to {invitation.email}. Its link works once, until {expires}.")
            return redirect(_members_url(request.user, organization))
    return _members_page(request, organization, invite_form=form, status=400)


@login_required
@require_POST
def member_role(request, pk):
    membership = get_object_or_404(
        Membership.objects.visible_to(request.user).select_related("user", "organization"), pk=pk
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose Administrator or Member.")
    else:
        try:
            services.membership_change_role(actor=request.user, membership=membership, role=form.cleaned_data["role"])
        except Refusal as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"{membership.user.email} is now {membership.get_role_display().lower()}.")
    return redirect(_members_url(request.user, membership.organization))


@login_required
def member_remove(request, pk):
    """GET asks for confirmation (no JavaScript needed); POST removes."""
    membership = get_object_or_404(
        Membership.objects.visible_to(request.user).select_related("user", "organization"), pk=pk
    )
    if not roles.may_manage_members(request.user, membership.organization):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.membership_remove(actor=request.user, membership=membership)
        except Refusal as error:
            messages.error(request, error.message)
        else:
            if membership.user_id == request.user.pk:
                logout(request)
                return redirect("account_login")
            messages.success(request, f"{membership.user.email} was removed from {membership.organization}.")
        return redirect(_members_url(request.user, membership.organization))
    return render(
        request,
        "portal/members/remove_confirm.html",
        {"membership": membership, "cancel_url": _members_url(request.user, membership.organization)},
    )


@login_required
@require_POST
def invitation_revoke(request, pk):
    if not roles.is_support_staff(request.user) and not roles.is_customer_admin(request.user):
        raise PermissionDenied
    invitation = get_object_or_404(Invitation.objects.visible_to(request.user).select_related("organization"), pk=pk)
    try:
        services.invitation_revoke(actor=request.user, invitation=invitation)
    except Refusal as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The invitation to {invitation.email} was withdrawn; its link no longer works.")
    return redirect(_members_url(request.user, invitation.organization))


def _invitation_join(request, invitation, owner):
    """The invited address has an account: its holder signs in, then accepts here (POST)."""
    if not request.user.is_authenticated:
        messages.info(request, f"Sign in to accept the invitation to join {invitation.organization}.")
        return redirect(f"{reverse('account_login')}?next={request.path}")
    if request.user != owner:
        message = f"You are signed in as {request.user.email}. Sign out, then open the invitation link again."
        return render(
            request, "portal/invitation_problem.html", {"message": message, "offer_sign_out": True}, status=409
        )
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=request.user)
        except Refusal as error:
            return render(request, "portal/invitation_problem.html", {"message": error.message}, status=409)
        messages.success(request, f"You joined {invitation.organization}.")
        return redirect("portal:home")
    return render(request, "portal/invitation_join.html", {"invitation": invitation})


@require_http_methods(["GET", "POST"])
@never_cache
def invitation_accept(request, key):
    """Checks the link, then hands over to allauth's sign-up with the invited address locked in."""
    invitation = Invitation.objects.for_key(key).select_related("organization").first()
    if invitation is None:
        raise Http404("No such invitation.")
    try:
        services.invitation_check(invitation=invitation)
    except Refusal as error:
        status = 410 if error.code in {"used", "expired"} else 409
        return render(request, "portal/invitation_problem.html", {"message": error.message}, status=status)
    owner = services.invitation_account(invitation)
    if owner is not None:
        return _invitation_join(request, invitation, owner)
    if request.user.is_authenticated:
        message = f"You are signed in as {request.user.email}. Sign out, then open the invitation link again."
        return render(
            request, "portal/invitation_problem.html", {"message": message, "offer_sign_out": True}, status=409
        )
    # The link's holder proves the address: unverified claims of it by other accounts no longer block sign-up.
    services.invitation_release_address(invitation=invitation)
    request.session[AccountAdapter.INVITATION_SESSION_KEY] = key
    get_adapter(request).stash_verified_email(request, invitation.email)
    messages.info(
        request,
        f"You are invited to join {invitation.organization} as {invitation.get_role_display().lower()}. "
        "Choose a password to create your account.",
    )
    return redirect("account_signup")
