import re
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from portal.models import Invitation, Membership, User, hash_invitation_key
from portal.refusals import Refusal
from portal.services import (
    invitation_accept,
    invitation_create,
    membership_change_role,
    membership_remove,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-password-7"


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    """Creates an invitation through the service and lets its email go out."""

    def invite(actor, organization, email="carol@acme.test", role="member", **extra) -> Invitation:
        with django_capture_on_commit_callbacks(execute=True):
            return invitation_create(actor=actor, organization=organization, email=email, role=role, **extra)

    return invite


def _link_key(message) -> str:
    return re.search(r"/invitations/([\w-]+)/", message.body).group(1)


def _sign_up(client, key: str, email: str = "carol@acme.test"):
    client.get(reverse("portal:invitation_accept", args=[key]))
    return client.post(
        reverse("account_signup"),
        {"email": email, "full_name": "New Colleague", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )


# Creating invitations ------------------------------------------------------------------------


def test_admin_invites_and_the_email_carries_a_one_time_link(invite, alice, acme, settings):
    settings.SITE_URL = "https://support.example.test"
    invitation = invite(alice, acme, email="Carol@ACME.test", role="admin")
    assert (invitation.organization, invitation.email, invitation.role) == (acme, "carol@acme.test", "admin")
    assert invitation.invited_by == alice
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)
    # Only the hash is kept: the database alone cannot rebuild the link.
    assert invitation.key_hash == hash_invitation_key(invitation.key)
    assert invitation.key not in str(Invitation.objects.values_list().get())
    [message] = mail.outbox
    assert message.to == ["carol@acme.test"]
    assert message.subject == "[Support] Alice Acme invites you to the support portal of Acme Outfitters"
    assert f"https://support.example.test/invitations/{invitation.key}/" in message.body
    assert "as administrator" in message.body


def test_no_email_before_the_transaction_commits(alice, acme, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitation_create(actor=alice, organization=acme, email="carol@acme.test", role="member")
    assert mail.outbox == []
    assert len(callbacks) == 1


def test_members_cannot_invite(bob, acme):
    with pytest.raises(PermissionDenied):
        invitation_create(actor=bob, organization=acme, email="carol@acme.test", role="member")
    assert not Invitation.objects.exists()


def test_admins_cannot_invite_into_another_organization(alice, globex):
    with pytest.raises(PermissionDenied):
        invitation_create(actor=alice, organization=globex, email="carol@acme.test", role="member")
    assert not Invitation.objects.exists()


def test_inviting_an_address_with_an_account_tells_the_inviter_nothing(invite, alice, acme, gina, support_engineer):
    """Any account, a customer's of another organization or staff's: the invitation is made and sent alike."""
    for address in ("GINA@globex.test", support_engineer.email, "nobody-yet@acme.test"):
        invitation = invite(alice, acme, email=address)
        assert invitation.email == address.lower()
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["gina@globex.test", support_engineer.email, "nobody-yet@acme.test"]
    )


def test_a_new_invitation_replaces_the_pending_one(client, invite, alice, acme):
    first = invite(alice, acme)
    second = invite(alice, acme, role="admin")
    assert list(Invitation.objects.all()) == [second]
    assert client.get(reverse("portal:invitation_accept", args=[first.key])).status_code == 404


# Accepting -----------------------------------------------------------------------------------


def test_the_link_leads_through_sign_up_into_the_organization(client, invite, alice, acme):
    invite(alice, acme, role="admin")
    key = _link_key(mail.outbox[0])
    response = client.get(reverse("portal:invitation_accept", args=[key]))
    assert response.status_code == 302 and response["Location"] == reverse("account_signup")
    assert client.session["portal_invitation_key"] == key

    form = client.get(reverse("account_signup")).content.decode()
    assert 'value="carol@acme.test"' in form
    assert "You are invited to join Acme Outfitters as administrator." in form

    response = _sign_up(client, key)
    assert response.status_code == 302
    carol = User.objects.get(email="carol@acme.test")
    assert (carol.membership.organization, carol.membership.role) == (acme, "admin")
    assert EmailAddress.objects.get(user=carol).verified  # the invitation proved the address
    assert client.session["_auth_user_id"] == str(carol.pk)  # signed in at once
    invitation = Invitation.objects.get()
    assert invitation.accepted_by == carol and invitation.accepted_at is not None
    assert "portal_invitation_key" not in client.session


def test_the_sign_up_page_shows_the_invited_address_read_only(client, invite, alice, acme, settings):
    # portal/templates/account/signup.html; put first here as config/settings.py is to do (see the report).
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [settings.BASE_DIR / "portal" / "templates"]}]
    key = invite(alice, acme).key
    client.get(reverse("portal:invitation_accept", args=[key]))
    page = client.get(reverse("account_signup")).content.decode()
    assert 'value="carol@acme.test" readonly aria-describedby="id_email-help"' in page
    assert 'for="id_password1"' in page and 'for="id_password2"' in page
    assert page.count("<h1") == 1
    assert "style=" not in page


def test_a_used_link_does_not_work_twice(client, invite, alice, acme):
    key = invite(alice, acme).key
    _sign_up(client, key)
    client.logout()
    response = client.get(reverse("portal:invitation_accept", args=[key]))
    assert response.status_code == 410
    assert "already been used" in response.content.decode()
    # And sign-up is closed again for this browser.
    client.post(
        reverse("account_signup"),
        {"email": "dan@acme.test", "full_name": "Dan", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert not User.objects.filter(email="dan@acme.test").exists()


def test_an_expired_link_is_refused(client, invite, alice, acme):
    key = invite(alice, acme, now=timezone.now() - timedelta(days=8)).key
    response = client.get(reverse("portal:invitation_accept", args=[key]))
    assert response.status_code == 410
    assert "This invitation has expired. Ask an administrator of Acme Outfitters for a new one." in (
        response.content.decode()
    )
    assert "portal_invitation_key" not in client.session


def test_a_link_that_expires_during_sign_up_creates_nothing(client, invite, alice, acme):
    invitation = invite(alice, acme)
    client.get(reverse("portal:invitation_accept", args=[invitation.key]))
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    page = client.post(
        reverse("account_signup"),
        {"email": "carol@acme.test", "full_name": "Carol", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )
    assert "Sign Up Closed" in page.content.decode()
    assert not User.objects.filter(email="carol@acme.test").exists()


def test_an_unknown_link_is_not_found(client):
    assert client.get(reverse("portal:invitation_accept", args=["not-a-real-key"])).status_code == 404


def test_sign_up_takes_only_the_invited_address(client, invite, alice, acme):
    key = invite(alice, acme).key
    response = _sign_up(client, key, email="mallory@evil.test")
    assert response.status_code == 200
    assert "This invitation is for carol@acme.test: sign up with that address." in response.content.decode()
    assert not User.objects.filter(email="mallory@evil.test").exists()
    assert Invitation.objects.get().accepted_at is None


def test_an_account_that_owns_the_address_signs_in_and_accepts(client, invite, alice, acme, make_user):
    key = invite(alice, acme).key
    carol = make_user("carol@acme.test")
    link = reverse("portal:invitation_accept", args=[key])
    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={link}"
    client.force_login(carol)
    page = client.get(link)
    assert "You are invited to join Acme Outfitters as member, with your account carol@acme.test." in (
        page.content.decode()
    )
    assert client.post(link).status_code == 302
    carol.refresh_from_db()
    assert carol.membership.organization == acme
    assert Invitation.objects.get().accepted_by == carol


def test_a_signed_in_visitor_is_asked_to_sign_out(client, invite, alice, acme, bob):
    key = invite(alice, acme).key
    client.force_login(bob)
    response = client.get(reverse("portal:invitation_accept", args=[key]))
    assert response.status_code == 409
    assert "You are signed in as bob@acme.test" in response.content.decode()
    assert Invitation.objects.get().accepted_at is None


def test_an_invitation_of_another_organization_joins_that_organization(client, invite, gina, globex, acme):
    key = invite(gina, globex, email="carol@acme.test").key
    _sign_up(client, key)
    assert User.objects.get(email="carol@acme.test").membership.organization == globex
    assert not Membership.objects.filter(organization=acme).exists()


def test_invitation_accept_refuses_a_different_address(invite, alice, acme, make_user):
    invitation = invite(alice, acme)
    stranger = make_user("stranger@example.test")
    with pytest.raises(Refusal, match="This invitation is for carol@acme.test."):
        invitation_accept(invitation=invitation, user=stranger)
    assert not Membership.objects.filter(user=stranger).exists()


# The members page ----------------------------------------------------------------------------


def test_admin_sees_members_invitations_and_forms(client, invite, alice, bob, gina, django_assert_max_num_queries):
    invite(alice, alice.organization, email="carol@acme.test")
    client.force_login(alice)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("portal:members")).content.decode()
    assert "bob@acme.test" in page and "alice@acme.test" in page
    assert "gina@globex.test" not in page
    assert "carol@acme.test" in page  # pending
    assert reverse("portal:member_invite") in page
    assert f'for="role-{bob.membership.pk}"' in page
    assert page.count("<h1") == 1
    assert "style=" not in page


def test_member_sees_a_read_only_list(client, alice, bob):
    client.force_login(bob)
    page = client.get(reverse("portal:members")).content.decode()
    assert "alice@acme.test" in page
    assert reverse("portal:member_invite") not in page
    assert reverse("portal:member_role", args=[alice.membership.pk]) not in page


def test_members_cannot_manage(client, alice, bob, acme):
    client.force_login(bob)
    assert client.post(reverse("portal:member_invite"), {"email": "x@acme.test", "role": "member"}).status_code == 403
    response = client.post(reverse("portal:member_role", args=[alice.membership.pk]), {"role": "member"})
    assert response.status_code == 403
    assert client.post(reverse("portal:member_remove", args=[alice.membership.pk])).status_code == 403
    assert client.get(reverse("portal:member_remove", args=[alice.membership.pk])).status_code == 403
    alice.membership.refresh_from_db()
    assert alice.membership.role == "admin"
    assert not Invitation.objects.exists()


def test_another_organizations_ids_answer_404_and_change_nothing(client, invite, alice, gina, globex, make_user):
    gary = make_user("gary@globex.test", organization=globex, role="member")
    invitation = invite(gina, globex, email="new@globex.test")
    client.force_login(alice)
    assert client.post(reverse("portal:member_role", args=[gary.membership.pk]), {"role": "admin"}).status_code == 404
    assert client.get(reverse("portal:member_remove", args=[gary.membership.pk])).status_code == 404
    assert client.post(reverse("portal:member_remove", args=[gary.membership.pk])).status_code == 404
    assert client.post(reverse("portal:invitation_revoke", args=[invitation.pk])).status_code == 404
    gary.refresh_from_db()
    assert gary.is_active and gary.membership.role == "member"
    assert Invitation.objects.filter(pk=invitation.pk).exists()
    # Naming another organization does not switch a customer's page to it.
    page = client.get(reverse("portal:members"), {"organization": globex.pk}).content.decode()
    assert "gary@globex.test" not in page and "Members of Acme Outfitters" in page


def test_customer_cannot_invite_into_another_organization_through_the_form(client, alice, acme, globex):
    client.force_login(alice)
    client.post(
        reverse("portal:member_invite"), {"email": "carol@acme.test", "role": "member", "organization": globex.pk}
    )
    assert list(Invitation.objects.values_list("organization", flat=True)) == [acme.pk]


def test_invite_through_the_page(client, alice, acme, django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("portal:member_invite"), {"email": "carol@acme.test", "role": "member"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:members")
    assert Invitation.objects.get().email == "carol@acme.test"
    assert len(mail.outbox) == 1
    page = client.get(reverse("portal:members")).content.decode()
    assert "Invitation sent to carol@acme.test." in page


def test_invite_form_shows_why_it_was_refused(client, alice, bob):
    client.force_login(alice)
    response = client.post(reverse("portal:member_invite"), {"email": "not-an-email", "role": "member"})
    assert "Enter a valid email address." in response.content.decode()
    assert not Invitation.objects.exists()


def test_admin_changes_a_role_and_removes_a_member(client, alice, bob):
    client.force_login(alice)
    response = client.post(reverse("portal:member_role", args=[bob.membership.pk]), {"role": "admin"})
    assert response["Location"] == reverse("portal:members")
    bob.membership.refresh_from_db()
    assert bob.membership.role == "admin"

    confirm = client.get(reverse("portal:member_remove", args=[bob.membership.pk])).content.decode()
    assert "Remove Bob Acme from Acme Outfitters?" in confirm
    client.post(reverse("portal:member_remove", args=[bob.membership.pk]))
    bob.refresh_from_db()
    assert not Membership.objects.filter(user=bob).exists()
    assert not bob.is_active  # cannot sign in any more


def test_revoking_an_invitation_kills_its_link(client, invite, alice, acme):
    invitation = invite(alice, acme)
    client.force_login(alice)
    client.post(reverse("portal:invitation_revoke", args=[invitation.pk]))
    assert not Invitation.objects.exists()
    client.logout()
    assert client.get(reverse("portal:invitation_accept", args=[invitation.key])).status_code == 404


# The last administrator ----------------------------------------------------------------------


def test_the_last_admin_cannot_demote_or_remove_themself(client, alice, bob):
    with pytest.raises(Refusal) as refused:
        membership_change_role(actor=alice, membership=alice.membership, role="member")
    assert refused.value.message == (
        "Alice Acme is the only administrator of Acme Outfitters: make someone else an administrator first."
    )
    with pytest.raises(Refusal, match="only administrator"):
        membership_remove(actor=alice, membership=alice.membership)
    client.force_login(alice)
    page = client.post(
        reverse("portal:member_role", args=[alice.membership.pk]), {"role": "member"}, follow=True
    ).content.decode()
    assert "is the only administrator of Acme Outfitters" in page
    alice.membership.refresh_from_db()
    assert alice.membership.role == "admin"
    assert alice.is_active


def test_an_admin_may_step_down_when_another_remains(alice, bob):
    membership_change_role(actor=alice, membership=bob.membership, role="admin")
    membership_change_role(actor=alice, membership=alice.membership, role="member")
    alice.membership.refresh_from_db()
    assert alice.membership.role == "member"
    # Now a member, Alice may no longer manage anyone.
    alice.refresh_from_db()
    with pytest.raises(PermissionDenied):
        membership_change_role(actor=alice, membership=bob.membership, role="member")


def test_an_admin_removing_themself_is_signed_out(client, alice, bob):
    membership_change_role(actor=alice, membership=bob.membership, role="admin")
    client.force_login(alice)
    response = client.post(reverse("portal:member_remove", args=[alice.membership.pk]))
    assert response["Location"] == reverse("account_login")
    alice.refresh_from_db()
    assert not alice.is_active
    assert client.get(reverse("portal:home")).status_code == 302


# Staff ---------------------------------------------------------------------------------------


def test_staff_choose_an_organization_then_manage_it(
    client, support_engineer, alice, gina, globex, django_capture_on_commit_callbacks
):
    client.force_login(support_engineer)
    chooser = client.get(reverse("portal:members")).content.decode()
    assert 'for="organization"' in chooser and "Globex Retail" in chooser and "Acme Outfitters" in chooser
    page = client.get(reverse("portal:members"), {"organization": globex.pk}).content.decode()
    assert "gina@globex.test" in page and "alice@acme.test" not in page
    assert f'name="organization" value="{globex.pk}"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("portal:member_invite"), {"email": "new@globex.test", "role": "admin", "organization": globex.pk}
        )
    assert response["Location"] == f"{reverse('portal:members')}?organization={globex.pk}"
    invitation = Invitation.objects.get()
    assert (invitation.organization, invitation.role, invitation.invited_by) == (globex, "admin", support_engineer)
    assert mail.outbox[0].subject == "[Support] Sam Agent invites you to the support portal of Globex Retail"

    client.post(reverse("portal:member_role", args=[alice.membership.pk]), {"role": "admin"})
    assert client.get(reverse("portal:members"), {"organization": 999999}).status_code == 404
    assert client.get(reverse("portal:members"), {"organization": "x"}).status_code == 404


def test_staff_without_an_organization_cannot_post_an_invitation(client, support_engineer):
    client.force_login(support_engineer)
    assert client.post(reverse("portal:member_invite"), {"email": "a@b.test", "role": "member"}).status_code == 404


def test_anonymous_and_unattached_users_are_kept_out(client, make_user):
    response = client.get(reverse("portal:members"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    client.force_login(make_user("loner@example.test"))
    assert client.get(reverse("portal:members")).status_code == 403
