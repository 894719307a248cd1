from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import render
from django.urls import reverse

from portal import services
from portal.manager_home import lands_on_manager_home
from portal.models import Invitation
from portal.refusals import Refusal


class AccountAdapter(DefaultAccountAdapter):
    """Closes open sign-up: people join only through an invitation held in their session.

    `portal.views.invitation_accept` checks the link and puts its key in the session; sign-up then
    takes the invited address only, and creating the account makes the membership and uses up the
    invitation in the same transaction. The invitation proves the address, so it counts as verified.
    """

    INVITATION_SESSION_KEY = "portal_invitation_key"

    def pending_invitation(self, request):
        """The still-usable invitation whose key this session holds, or None."""
        key = request.session.get(self.INVITATION_SESSION_KEY) if request is not None else None
        if not key:
            return None
        invitation = Invitation.objects.for_key(key).select_related("organization").first()
        if invitation is None or invitation.is_used or invitation.is_expired():
            return None
        return invitation

    def set_password(self, user, password) -> None:
        """A password change or reset also revokes the person's API tokens (portal.services.password_set)."""
        services.password_set(user=user, password=password)

    def get_login_redirect_url(self, request):
        """Account managers land on their own home; everyone else on the dashboard."""
        if request.user.is_authenticated and lands_on_manager_home(request.user):
            return reverse("portal:manager_home")
        return super().get_login_redirect_url(request)

    def is_open_for_signup(self, request) -> bool:
        return self.pending_invitation(request) is not None

    def clean_email(self, email: str) -> str:
        email = super().clean_email(email)
        invitation = self.pending_invitation(self.request)
        if invitation is not None and email.lower() != invitation.email.lower():
            raise ValidationError(f"This invitation is for {invitation.email}: sign up with that address.")
        return email

    def save_user(self, request, user, form, commit=True):
        invitation = self.pending_invitation(request)
        if not commit:
            return super().save_user(request, user, form, commit=commit)
        if invitation is None:
            # Sign-up is open only through an invitation: this one was used (by a second submission of the same
            # link, say) or expired between the form and the save.
            message = "This invitation has already been used or has expired. Sign in, or ask for a new one."
            response = render(request, "portal/invitation_problem.html", {"message": message}, status=410)
            raise ImmediateHttpResponse(response)
        try:
            with transaction.atomic():
                # Locked first: a second submission of the same invitation waits, then finds it used.
                invitation = services.invitation_lock(invitation)
                user = super().save_user(request, user, form, commit=True)
                services.invitation_accept(invitation=invitation, user=user)
        except Refusal as error:
            response = render(request, "portal/invitation_problem.html", {"message": error.message}, status=410)
            raise ImmediateHttpResponse(response) from error
        except IntegrityError as error:  # the address was taken meanwhile by another way than this invitation
            message = f"An account with {invitation.email} was just created. Sign in with it."
            response = render(request, "portal/invitation_problem.html", {"message": message}, status=409)
            raise ImmediateHttpResponse(response) from error
        # allauth records the stashed address as verified when it sets up the new account's emails.
        self.stash_verified_email(request, invitation.email)
        request.session.pop(self.INVITATION_SESSION_KEY, None)
        return user
