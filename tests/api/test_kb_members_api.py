"""The portal's API: knowledge base, members, invitations and the caller's profile.

For each endpoint: what each role gets (customer admin, member, Support Engineer, Solution Architect,
account manager, admin), another organization's objects answering 404, invalid input answering the shared
error body, and refused calls changing nothing.
"""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from portal import services
from portal.models import Article, ArticleVote, Category, Invitation, Membership, User

pytestmark = pytest.mark.django_db

ARTICLES = "/api/v1/articles/"
MEMBERS = "/api/v1/members/"
INVITATIONS = "/api/v1/invitations/"
ME = "/api/v1/me/"
STAFF = ["support_engineer", "solution_architect", "account_manager", "admin_user"]
CUSTOMERS = ["alice", "bob", "gina"]


@pytest.fixture
def people(alice, bob, gina, support_engineer, solution_architect, account_manager, admin_user):
    return {
        "alice": alice,
        "bob": bob,
        "gina": gina,
        "support_engineer": support_engineer,
        "solution_architect": solution_architect,
        "account_manager": account_manager,
        "admin_user": admin_user,
    }


def rows(model) -> list:
    return sorted(map(repr, model.objects.values_list()))


# Knowledge base -------------------------------------------------------------------------------


@pytest.fixture
def kb(support_engineer):
    connectors = Category.objects.create(name="Connectors", position=1)
    setup = Category.objects.create(name="Getting started", position=0)

    def write(title, category, **extra):
        return services.article_save(
            actor=support_engineer, title=title, category=category, body_markdown=f"# {title}\n\nHow it works.", **extra
        )

    return {
        "connectors": connectors,
        "setup": setup,
        "shopify": write("Connect your Shopify store", connectors, tags="Shopify, webhooks", status="published"),
        "netsuite": write(
            "Map NetSuite fields", connectors, tags="netsuite", status="published", visibility="customers"
        ),
        "welcome": write("Welcome to the portal", setup, status="published"),
        "draft": write("Upcoming connector", connectors, tags="shopify"),
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("who", CUSTOMERS + STAFF)
def test_articles_list_what_each_role_may_read(api, people, kb, who, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api(people[who]).get(ARTICLES)
    published = [kb["welcome"].pk, kb["shopify"].pk, kb["netsuite"].pk]  # by category position, then title
    expected = (
        published if who in CUSTOMERS else [kb["welcome"].pk, kb["shopify"].pk, kb["netsuite"].pk, kb["draft"].pk]
    )
    assert sorted(ids(response)) == sorted(expected)
    assert response.json()["count"] == len(expected)
    if who in CUSTOMERS:
        assert ids(response) == published


def test_an_article_in_a_list(api, alice, kb):
    row = api(alice).get(ARTICLES, {"tag": "webhooks"}).json()["results"][0]
    assert row == {
        "id": kb["shopify"].pk,
        "title": "Connect your Shopify store",
        "slug": "connect-your-shopify-store",
        "category": {"id": kb["connectors"].pk, "name": "Connectors", "slug": "connectors"},
        "tags": ["shopify", "webhooks"],
        "visibility": "public",
        "status": "published",
        "excerpt": "Connect your Shopify store How it works.",
        "published_at": row["published_at"],
        "updated_at": row["updated_at"],
    }
    assert row["published_at"] is not None


def test_articles_filter_by_category_tag_and_search(api, alice, support_engineer, kb):
    customer, staff = api(alice), api(support_engineer)
    assert sorted(ids(customer.get(ARTICLES, {"category": "connectors"}))) == sorted(
        [kb["shopify"].pk, kb["netsuite"].pk]
    )
    assert ids(customer.get(ARTICLES, {"category": "no-such-shelf"})) == []
    assert ids(customer.get(ARTICLES, {"tag": "SHOPIFY"})) == [kb["shopify"].pk]
    assert sorted(ids(staff.get(ARTICLES, {"tag": "shopify"}))) == sorted([kb["shopify"].pk, kb["draft"].pk])
    assert ids(staff.get(ARTICLES, {"status": "draft"})) == [kb["draft"].pk]
    # Search goes through article_search: only what the caller may read, best match first.
    assert ids(customer.get(ARTICLES, {"search": "shopify"})) == [kb["shopify"].pk]
    assert ids(staff.get(ARTICLES, {"search": "shopify"}))[0] == kb["shopify"].pk
    assert set(ids(staff.get(ARTICLES, {"search": "shopify"}))) == {kb["shopify"].pk, kb["draft"].pk}
    assert ids(customer.get(ARTICLES, {"search": "netsuite", "category": "getting-started"})) == []
    assert ids(customer.get(ARTICLES, {"search": "the of"})) == []  # nothing worth searching for


def test_an_article_filter_with_a_bad_value_is_the_shared_400(api, alice, kb):
    response = api(alice).get(ARTICLES, {"status": "archived"})
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "status: Select a valid choice. archived is not one of the available choices.",
        "errors": {"status": ["Select a valid choice. archived is not one of the available choices."]},
    }


def test_an_article_reads_with_its_body_and_votes(api, alice, bob, kb):
    services.article_vote(article=kb["shopify"], user=bob, is_helpful=False)
    data = api(alice).get(f"{ARTICLES}{kb['shopify'].pk}/").json()
    assert data["body_markdown"] == "# Connect your Shopify store\n\nHow it works."
    assert data["body_html"] == "<h2>Connect your Shopify store</h2>\n<p>How it works.</p>"
    assert data["votes"] == {"helpful": 0, "not_helpful": 1, "mine": None}


@pytest.mark.parametrize("who", CUSTOMERS)
def test_customers_never_reach_a_draft(api, people, kb, who):
    response = api(people[who]).get(f"{ARTICLES}{kb['draft'].pk}/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No Article matches the given query."}


def test_anonymous_callers_are_not_let_in(kb):
    response = APIClient().get(ARTICLES)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def article_body(kb, **extra):
    return {
        "title": "Set up webhooks",
        "category": kb["connectors"].slug,
        "body_markdown": "Open **Settings**.<script>alert(1)</script>",
        "tags": ["Webhooks", "shopify", "webhooks"],
        **extra,
    }


@pytest.mark.parametrize("who", STAFF)
def test_staff_write_articles(api, people, kb, who):
    response = api(people[who]).post(ARTICLES, article_body(kb), format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    article = Article.objects.get(pk=data["id"])
    assert (article.author, article.status, article.visibility, article.tags) == (
        people[who],
        "draft",
        "public",
        "webhooks, shopify",
    )
    assert data["slug"] == "set-up-webhooks"
    assert data["tags"] == ["webhooks", "shopify"]
    assert data["body_html"] == "<p>Open <strong>Settings</strong>.</p>"  # sanitized by the service
    assert data["published_at"] is None


@pytest.mark.parametrize("who", CUSTOMERS)
def test_customers_may_not_write_articles(api, people, kb, who):
    before = rows(Article)
    client = api(people[who])
    for body in (article_body(kb), {}):
        response = client.post(ARTICLES, body, format="json")
        assert response.status_code == 403
        assert response.json() == {"code": "permission_denied", "detail": "Only support staff write articles."}
    response = client.patch(f"{ARTICLES}{kb['shopify'].pk}/", {"title": "Hacked"}, format="json")
    assert response.status_code == 403
    assert client.patch(f"{ARTICLES}{kb['draft'].pk}/", {"title": "Hacked"}, format="json").status_code == 404
    assert rows(Article) == before


def test_invalid_articles_are_refused_with_the_shared_body(api, support_engineer, kb):
    before = rows(Article)
    client = api(support_engineer)
    response = client.post(ARTICLES, {"category": "nowhere", "body_markdown": ""}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "title: This field is required.",
        "errors": {
            "title": ["This field is required."],
            "category": ["Object with slug=nowhere does not exist."],
            "body_markdown": ["This field may not be blank."],
        },
    }
    for category in ("\x00", "a b", 7, ["connectors"]):
        response = client.post(ARTICLES, article_body(kb, category=category), format="json")
        assert response.status_code == 400
        assert response.json()["errors"]["category"][0].startswith("Object with slug=")
    reserved = client.post(ARTICLES, article_body(kb, slug="new"), format="json")
    assert reserved.status_code == 400
    assert reserved.json() == {
        "code": "reserved_slug",
        "detail": "“new” is reserved for the knowledge base's own pages.",
        "errors": {"slug": ["“new” is reserved for the knowledge base's own pages."]},
    }
    taken = client.post(ARTICLES, article_body(kb, slug=kb["shopify"].slug), format="json")
    assert taken.status_code == 400
    assert taken.json()["errors"] == {"slug": ["Article with this Slug already exists."]}
    assert rows(Article) == before


def test_staff_publish_with_a_patch_that_keeps_the_rest(api, account_manager, kb):
    draft = kb["draft"]
    response = api(account_manager).patch(f"{ARTICLES}{draft.pk}/", {"status": "published"}, format="json")
    assert response.status_code == 200, response.json()
    draft.refresh_from_db()
    assert (draft.status, draft.title, draft.slug, draft.tags, draft.category) == (
        "published",
        "Upcoming connector",
        "upcoming-connector",
        "shopify",
        kb["connectors"],
    )
    assert draft.published_at is not None
    response = api(account_manager).patch(f"{ARTICLES}{draft.pk}/", {"tags": ["Beta"]}, format="json")
    assert response.json()["tags"] == ["beta"]


@pytest.mark.parametrize("who", CUSTOMERS + STAFF)
def test_readers_vote_once_and_may_change_their_mind(api, people, kb, who):
    client = api(people[who])
    url = f"{ARTICLES}{kb['shopify'].pk}/vote/"
    assert client.post(url, {"helpful": True}, format="json").json() == {"helpful": 1, "not_helpful": 0, "mine": True}
    assert client.post(url, {"helpful": False}, format="json").json() == {"helpful": 0, "not_helpful": 1, "mine": False}
    assert ArticleVote.objects.get().is_helpful is False


def test_a_vote_needs_an_answer_and_a_readable_article(api, alice, kb):
    client = api(alice)
    for body, kind in (({}, "json"), ({}, "multipart"), ({"helpful": "perhaps"}, "json")):
        response = client.post(f"{ARTICLES}{kb['shopify'].pk}/vote/", body, format=kind)
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"
    assert client.post(f"{ARTICLES}{kb['shopify'].pk}/vote/", {}, format="json").json()["errors"] == {
        "helpful": ["This field is required."]
    }
    assert client.post(f"{ARTICLES}{kb['draft'].pk}/vote/", {"helpful": True}, format="json").status_code == 404
    assert not ArticleVote.objects.exists()


# Members --------------------------------------------------------------------------------------


def member_ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["user"]["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("who", ["alice", "bob"])
def test_customers_list_their_own_organization(api, people, who, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = api(people[who]).get(MEMBERS)
    assert member_ids(response) == [people["alice"].pk, people["bob"].pk]
    first = response.json()["results"][0]
    assert first == {
        "id": people["alice"].membership.pk,
        "user": {"id": people["alice"].pk, "email": "alice@acme.test", "full_name": "Alice Acme"},
        "organization": {"id": people["alice"].organization.pk, "name": "Acme Outfitters"},
        "role": "admin",
        "created_at": first["created_at"],
    }


@pytest.mark.parametrize("who", STAFF)
def test_staff_list_every_organization_or_one(api, people, who):
    client = api(people[who])
    assert member_ids(client.get(MEMBERS)) == [people["alice"].pk, people["bob"].pk, people["gina"].pk]
    acme = people["alice"].organization
    assert member_ids(client.get(MEMBERS, {"organization": acme.pk})) == [people["alice"].pk, people["bob"].pk]
    assert member_ids(client.get(MEMBERS, {"role": "admin"})) == [people["alice"].pk, people["gina"].pk]


def test_a_customer_cannot_name_another_organization(api, alice, gina):
    response = api(alice).get(MEMBERS, {"organization": gina.organization.pk})
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "organization": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert api(alice).get(f"{MEMBERS}{gina.membership.pk}/").status_code == 404


def test_an_admin_changes_a_role(api, alice, bob):
    response = api(alice).patch(f"{MEMBERS}{bob.membership.pk}/", {"role": "admin"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["role"] == "admin"
    assert Membership.objects.get(user=bob).role == "admin"


@pytest.mark.parametrize("who", STAFF)
def test_staff_change_roles(api, people, who):
    bob = people["bob"]
    response = api(people[who]).patch(f"{MEMBERS}{bob.membership.pk}/", {"role": "admin"}, format="json")
    assert response.status_code == 200
    assert Membership.objects.get(user=bob).role == "admin"


def test_refused_role_changes_change_nothing(api, alice, bob, gina):
    before = rows(Membership)
    url = f"{MEMBERS}{alice.membership.pk}/"
    member = api(bob).patch(url, {"role": "member"}, format="json")
    assert member.status_code == 403
    assert member.json() == {
        "code": "permission_denied",
        "detail": "Only the organization's administrators manage its members.",
    }
    assert api(gina).patch(url, {"role": "member"}, format="json").status_code == 404
    invalid = api(alice).patch(f"{MEMBERS}{bob.membership.pk}/", {"role": "owner"}, format="json")
    assert invalid.status_code == 400
    assert invalid.json() == {
        "code": "invalid",
        "detail": 'role: "owner" is not a valid choice.',
        "errors": {"role": ['"owner" is not a valid choice.']},
    }
    last = api(alice).patch(url, {"role": "member"}, format="json")
    assert last.status_code == 400
    assert last.json() == {
        "code": "last_admin",
        "detail": "Alice Acme is the only administrator of Acme Outfitters: make someone else an administrator first.",
    }
    assert rows(Membership) == before


def test_an_admin_removes_a_member(api, alice, bob):
    response = api(alice).delete(f"{MEMBERS}{bob.membership.pk}/")
    assert response.status_code == 204
    bob.refresh_from_db()
    assert bob.is_active is False
    assert not Membership.objects.filter(user=bob).exists()


def test_refused_removals_change_nothing(api, alice, bob, gina, support_engineer):
    before = (rows(Membership), rows(User))
    assert api(bob).delete(f"{MEMBERS}{alice.membership.pk}/").status_code == 403
    assert api(gina).delete(f"{MEMBERS}{bob.membership.pk}/").status_code == 404
    last = api(support_engineer).delete(f"{MEMBERS}{alice.membership.pk}/")
    assert last.status_code == 400
    assert last.json()["code"] == "last_admin"
    assert (rows(Membership), rows(User)) == before


def test_members_take_no_post_or_put(api, alice, bob):
    assert api(alice).post(MEMBERS, {"role": "admin"}, format="json").status_code == 405
    assert api(alice).put(f"{MEMBERS}{bob.membership.pk}/", {"role": "admin"}, format="json").status_code == 405


# Invitations ----------------------------------------------------------------------------------


def test_an_admin_invites_and_the_key_travels_only_by_email(api, alice, django_capture_on_commit_callbacks, settings):
    settings.SITE_URL = "https://support.example.test"
    with django_capture_on_commit_callbacks(execute=True):
        response = api(alice).post(INVITATIONS, {"email": "Carol@Acme.test"}, format="json")
    assert response.status_code == 201, response.json()
    invitation = Invitation.objects.get()
    data = response.json()
    assert data == {
        "id": invitation.pk,
        "organization": {"id": alice.organization.pk, "name": "Acme Outfitters"},
        "email": "carol@acme.test",
        "role": "member",
        "invited_by": {"id": alice.pk, "email": "alice@acme.test", "full_name": "Alice Acme"},
        "created_at": data["created_at"],
        "expires_at": data["expires_at"],
    }
    assert (invitation.organization, invitation.invited_by) == (alice.organization, alice)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["carol@acme.test"]
    assert "https://support.example.test/invitations/" in mail.outbox[0].body
    assert invitation.key_hash not in response.content.decode()
    listed = api(alice).get(INVITATIONS).content.decode()
    assert invitation.key_hash not in listed and "key" not in api(alice).get(INVITATIONS).json()["results"][0]


@pytest.mark.parametrize("who", STAFF)
def test_staff_invite_into_the_organization_they_name(api, people, who):
    client = api(people[who])
    missing = client.post(INVITATIONS, {"email": "new@acme.test"}, format="json")
    assert missing.status_code == 400
    assert missing.json() == {
        "code": "invalid",
        "detail": "organization: Staff must name the organization.",
        "errors": {"organization": ["Staff must name the organization."]},
    }
    acme = people["alice"].organization
    response = client.post(
        INVITATIONS, {"email": "new@acme.test", "role": "admin", "organization": acme.pk}, format="json"
    )
    assert response.status_code == 201
    assert Invitation.objects.get().organization == acme


def test_refused_invitations_create_nothing(api, alice, bob, gina):
    client = api(alice)
    member = api(bob).post(INVITATIONS, {"email": "x@acme.test"}, format="json")
    assert member.status_code == 403
    assert member.json() == {
        "code": "permission_denied",
        "detail": "Only the organization's administrators manage its invitations.",
    }
    elsewhere = client.post(INVITATIONS, {"email": "x@acme.test", "organization": gina.organization.pk}, format="json")
    assert elsewhere.status_code == 400
    assert elsewhere.json()["errors"] == {
        "organization": [f'Invalid pk "{gina.organization.pk}" - object does not exist.']
    }
    bad = client.post(INVITATIONS, {"email": "not-an-address", "role": "owner"}, format="json")
    assert bad.json()["errors"] == {
        "email": ["Enter a valid email address."],
        "role": ['"owner" is not a valid choice.'],
    }
    assert not Invitation.objects.exists()


@pytest.fixture
def invitations(alice, gina):
    acme = services.invitation_create(actor=alice, organization=alice.organization, email="a1@acme.test", role="member")
    expired = services.invitation_create(
        actor=alice,
        organization=alice.organization,
        email="old@acme.test",
        role="member",
        now=timezone.now() - datetime.timedelta(days=8),
    )
    globex = services.invitation_create(
        actor=gina, organization=gina.organization, email="g1@globex.test", role="admin"
    )
    return {"acme": acme, "expired": expired, "globex": globex}


def test_pending_invitations_are_listed_per_organization(api, alice, gina, support_engineer, invitations):
    assert ids(api(alice).get(INVITATIONS)) == [invitations["acme"].pk]
    assert ids(api(gina).get(INVITATIONS)) == [invitations["globex"].pk]
    assert ids(api(support_engineer).get(INVITATIONS)) == [invitations["acme"].pk, invitations["globex"].pk]
    only = api(support_engineer).get(INVITATIONS, {"organization": gina.organization.pk})
    assert ids(only) == [invitations["globex"].pk]
    assert api(alice).get(f"{INVITATIONS}{invitations['globex'].pk}/").status_code == 404


def test_members_read_no_invitations(api, bob, invitations):
    assert api(bob).get(INVITATIONS).status_code == 403
    assert api(bob).get(f"{INVITATIONS}{invitations['acme'].pk}/").status_code == 403


def test_an_admin_revokes_an_invitation(api, alice, invitations):
    assert api(alice).delete(f"{INVITATIONS}{invitations['acme'].pk}/").status_code == 204
    assert not Invitation.objects.filter(pk=invitations["acme"].pk).exists()


def test_refused_revocations_change_nothing(api, alice, bob, gina, invitations):
    before = rows(Invitation)
    assert api(bob).delete(f"{INVITATIONS}{invitations['acme'].pk}/").status_code == 403
    assert api(gina).delete(f"{INVITATIONS}{invitations['acme'].pk}/").status_code == 404
    assert api(alice).delete(f"{INVITATIONS}{invitations['expired'].pk}/").status_code == 404
    assert rows(Invitation) == before


# Profile --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "organization", "role", "staff_roles"),
    [
        ("alice", "Acme Outfitters", "admin", []),
        ("bob", "Acme Outfitters", "member", []),
        ("gina", "Globex Retail", "admin", []),
        ("support_engineer", None, None, ["Support Engineer"]),
        ("solution_architect", None, None, ["Solution Architect"]),
        ("account_manager", None, None, ["Account Manager"]),
        ("admin_user", None, None, ["Support Engineer", "Solution Architect", "Account Manager"]),
    ],
)
def test_me_says_who_the_caller_is(api, people, who, organization, role, staff_roles):
    user = people[who]
    data = api(user).get(ME).json()
    assert data == {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "time_zone": "America/Los_Angeles",
        "organization": {"id": user.organization.pk, "name": organization} if organization else None,
        "role": role,
        "is_support_staff": who not in CUSTOMERS,
        "is_admin": who == "admin_user",
        "staff_roles": staff_roles,
    }


def test_me_changes_name_and_time_zone_only(api, bob):
    response = api(bob).patch(
        ME, {"full_name": "Robert Acme", "time_zone": "Europe/Berlin", "email": "evil@acme.test"}, format="json"
    )
    assert response.status_code == 200, response.json()
    bob.refresh_from_db()
    assert (bob.full_name, bob.time_zone, bob.email) == ("Robert Acme", "Europe/Berlin", "bob@acme.test")
    assert response.json()["time_zone"] == "Europe/Berlin"


def test_me_refuses_an_unknown_time_zone(api, bob):
    before = rows(User)
    response = api(bob).patch(ME, {"time_zone": "Mars/Olympus_Mons"}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": 'time_zone: "Mars/Olympus_Mons" is not a valid choice.',
        "errors": {"time_zone": ['"Mars/Olympus_Mons" is not a valid choice.']},
    }
    assert api(bob).put(ME, {"full_name": "x", "time_zone": "UTC"}, format="json").status_code == 405
    assert APIClient().get(ME).status_code == 401
    assert rows(User) == before
