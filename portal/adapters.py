from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Closes open sign-up: people join only through an invitation held in their session."""

    INVITATION_SESSION_KEY = "portal_invitation_key"

    def is_open_for_signup(self, request) -> bool:
        return bool(request.session.get(self.INVITATION_SESSION_KEY))
