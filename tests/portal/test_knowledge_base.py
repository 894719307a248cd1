import io
import json

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from portal.demo import seed_accounts, seed_articles
from portal.models import Article, ArticleVote, Category
from portal.refusals import Refusal
from portal.selectors import article_search, search_terms
from portal.services import article_save, article_vote, markdown_render, tags_normalize

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="PostgreSQL full-text search",
)


@pytest.fixture
def connectors(db):
    return Category.objects.create(name="Connectors", position=4)


@pytest.fixture
def inventory(db):
    return Category.objects.create(name="Inventory sync", position=3)


@pytest.fixture
def write(support_engineer, connectors):
    def write(title: str, body: str = "Some text.", **extra) -> Article:
        extra.setdefault("status", Article.Status.PUBLISHED)
        extra.setdefault("category", connectors)
        return article_save(actor=support_engineer, title=title, body_markdown=body, **extra)

    return write


@pytest.fixture
def library(write, inventory):
    """One article of each kind a reader may or may not see."""
    return {
        "public": write("Connecting Shopify", "Approve the app in your store.", tags="shopify, webhooks"),
        "customers": write(
            "Connecting NetSuite", "Create a token role.", visibility=Article.Visibility.CUSTOMERS, category=inventory
        ),
        "draft": write("Safety stock buffers", "Hold units back.", status=Article.Status.DRAFT, category=inventory),
        "customers_draft": write(
            "Secret roadmap", "Not yet.", status=Article.Status.DRAFT, visibility=Article.Visibility.CUSTOMERS
        ),
    }


# Markdown ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("Hello <script>alert(1)</script> world", "<p>Hello  world</p>"),
        ("<script>document.cookie</script>", ""),
        ("[click](javascript:alert(1))", '<p><a rel="nofollow noopener">click</a></p>'),
        ("[click](JaVaScRiPt:alert(1))", '<p><a rel="nofollow noopener">click</a></p>'),
        ('<a href="javascript:alert(1)">x</a>', '<p><a rel="nofollow noopener">x</a></p>'),
        ("[x](jav&#x09;ascript:alert(1))", '<p><a rel="nofollow noopener">x</a></p>'),
        ('<img src="/logo.png" onerror="alert(1)">', '<p><img src="/logo.png"></p>'),
        ("<iframe src='https://evil.test'></iframe>", ""),
        ("<p onclick='steal()' style='color:red'>hi</p>", "<p>hi</p>"),
        ("[docs](https://example.com/a)", '<p><a href="https://example.com/a" rel="nofollow noopener">docs</a></p>'),
        ("`<script>`", "<p><code>&lt;script&gt;</code></p>"),
        ("# Title\n\n## Part", "<h2>Title</h2>\n<h3>Part</h3>"),
        ("| a | b |\n| --- | --- |\n| 1 | 2 |", None),
    ],
)
def test_markdown_is_rendered_and_sanitized(markdown, html):
    rendered = markdown_render(markdown)
    if html is None:
        assert "<table>" in rendered and "<td>1</td>" in rendered
    else:
        assert rendered == html


def test_article_page_never_serves_the_script(client, write):
    article = write("Evil", "Hi <script>alert('x')</script>\n\n[go](javascript:alert(2))")
    assert article.body_html == '<p>Hi </p>\n<p><a rel="nofollow noopener">go</a></p>'
    page = client.get(article.get_absolute_url()).content.decode()
    assert "alert(" not in page
    assert "javascript:" not in page


# Articles ------------------------------------------------------------------------------------


def test_article_save_normalises_and_stamps_publication(support_engineer, connectors):
    article = article_save(
        actor=support_engineer,
        title="Connecting Shopify",
        category=connectors,
        body_markdown="**Bold**",
        tags=" Shopify,webhooks , shopify,,  Rate   Limits ",
    )
    assert article.slug == "connecting-shopify"
    assert article.tags == "shopify, webhooks, rate limits"
    assert article.tag_list == ["shopify", "webhooks", "rate limits"]
    assert article.body_html == "<p><strong>Bold</strong></p>"
    assert article.author == support_engineer
    assert article.status == Article.Status.DRAFT and article.published_at is None

    article = article_save(
        actor=support_engineer,
        article=article,
        title="Connecting Shopify",
        category=connectors,
        body_markdown="x",
        status=Article.Status.PUBLISHED,
    )
    first_published = article.published_at
    assert first_published is not None
    article = article_save(
        actor=support_engineer,
        article=article,
        title="Connecting Shopify again",
        category=connectors,
        body_markdown="y",
        status=Article.Status.PUBLISHED,
    )
    assert article.published_at == first_published
    assert article.slug == "connecting-shopify"  # an edit keeps the address


def test_same_title_gets_a_distinct_slug(write):
    assert write("Connecting Shopify").slug == "connecting-shopify"
    assert write("Connecting Shopify").slug == "connecting-shopify-2"


def test_reserved_slugs_are_refused(write):
    with pytest.raises(Refusal, match="reserved"):
        write("Anything", slug="new")
    assert write("New").slug == "new-article"


def test_customers_cannot_write_articles(alice, connectors):
    with pytest.raises(PermissionDenied):
        article_save(actor=alice, title="Mine", category=connectors, body_markdown="x")
    assert not Article.objects.exists()


def test_tags_normalize():
    assert tags_normalize("A, b ,a,, C  D") == "a, b, c d"


# Who reads what ------------------------------------------------------------------------------


def _visible(user) -> set[str]:
    return set(Article.objects.visible_to(user).values_list("title", flat=True))


def test_visibility_rules(library, alice, bob, support_engineer, admin_user, make_user):
    assert _visible(AnonymousUser()) == {"Connecting Shopify"}
    assert _visible(alice) == _visible(bob) == {"Connecting Shopify", "Connecting NetSuite"}
    everything = {"Connecting Shopify", "Connecting NetSuite", "Safety stock buffers", "Secret roadmap"}
    assert _visible(support_engineer) == _visible(admin_user) == everything
    # Signed in, yet neither staff nor in an organization: a stranger.
    assert _visible(make_user("loner@example.test")) == {"Connecting Shopify"}


@pytest.mark.parametrize(
    ("who", "article", "status"),
    [
        ("anonymous", "public", 200),
        ("anonymous", "customers", 404),
        ("anonymous", "draft", 404),
        ("bob", "customers", 200),
        ("bob", "draft", 404),
        ("bob", "customers_draft", 404),
        ("staff", "draft", 200),
        ("staff", "customers_draft", 200),
    ],
)
def test_article_page_follows_visibility(client, library, bob, support_engineer, who, article, status):
    if who == "bob":
        client.force_login(bob)
    elif who == "staff":
        client.force_login(support_engineer)
    assert client.get(library[article].get_absolute_url()).status_code == status


def test_search_and_browse_hide_what_the_reader_may_not_read(client, library, bob):
    for params in ({"q": "connecting stock roadmap"}, {}, {"category": "inventory-sync"}):
        page = client.get(reverse("portal:kb"), params).content.decode()
        assert "Connecting NetSuite" not in page
        assert "Safety stock buffers" not in page
        assert "Secret roadmap" not in page
    client.force_login(bob)
    # The knowledge base's search needs every word: one word at a time, each hidden article stays hidden.
    found = set()
    for word in ("connecting", "stock", "roadmap"):
        found |= {a.title for a in client.get(reverse("portal:kb"), {"q": word}).context["results"]}
    assert {"Connecting NetSuite", "Connecting Shopify"} <= found
    assert "Safety stock buffers" not in found and "Secret roadmap" not in found


def test_staff_see_drafts_marked_as_such(client, library, support_engineer):
    client.force_login(support_engineer)
    page = client.get(reverse("portal:kb")).content.decode()
    assert "Safety stock buffers" in page and "Draft" in page
    assert "New article" in page


# Search --------------------------------------------------------------------------------------


def test_search_terms_drop_common_words_and_duplicates():
    assert search_terms("How do I connect Shopify to SHOPIFY? (v2)") == ["connect", "shopify", "v2"]
    assert search_terms("the a of") == []


def test_search_puts_the_title_match_first(write, bob):
    write("Returns and refunds", "When an order goes to Shopify, refunds follow later.")
    write("Shopify order import", "How orders arrive.")
    write("Amazon listings", "Nothing about the other store.")
    results = list(article_search(user=bob, query="shopify", limit=10))
    assert [article.title for article in results] == ["Shopify order import", "Returns and refunds"]


def test_search_prefers_articles_matching_more_words(write, bob):
    write("Inventory basics", "Stock levels.")
    write("Inventory sync with NetSuite", "NetSuite saved searches feed stock levels.")
    results = [a.title for a in article_search(user=bob, query="netsuite inventory")]
    assert results[0] == "Inventory sync with NetSuite"
    assert set(results) == {"Inventory sync with NetSuite", "Inventory basics"}


def test_empty_or_trivial_query_finds_nothing(write, bob):
    write("Shopify order import")
    assert list(article_search(user=bob, query="")) == []
    assert list(article_search(user=bob, query="the of and")) == []


def test_search_limit(write, bob):
    for n in range(7):
        write(f"Shopify tip {n}")
    assert len(article_search(user=bob, query="shopify", limit=5)) == 5


@on_postgres
def test_postgres_ranks_by_weight_and_frequency(write, bob):
    write("Warehouse transfers", "Moving stock between warehouses. Routing is not involved.")
    write("Routing rules", "How routing rules pick a warehouse: routing runs top to bottom.")
    write("Order routing for Amazon", "Amazon orders.")
    write("Shipping labels", "Nothing relevant here.")
    results = list(article_search(user=bob, query="routing", limit=10))
    assert [article.title for article in results] == [
        "Routing rules",
        "Order routing for Amazon",
        "Warehouse transfers",
    ]
    assert results[0].rank > results[1].rank > results[2].rank
    # English stemming: "routed" and "routes" find "routing".
    assert [a.title for a in article_search(user=bob, query="routed", limit=1)] == ["Routing rules"]
    # A half-typed word already matches.
    assert {a.title for a in article_search(user=bob, query="warehou")} == {"Warehouse transfers", "Routing rules"}


@on_postgres
def test_postgres_search_can_use_the_gin_index(write, support_engineer):
    write("Routing rules", "How routing works.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'article_search_gin'")
        (indexdef,) = cursor.fetchone()
        assert "USING gin" in indexdef
        # Staff's search filters on the document alone, so the planner weighs the GIN index against nothing else.
        queryset = article_search(user=support_engineer, query="routing")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "article_search_gin" in plan, plan


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3", reason="SQLite only")
def test_migrations_leave_no_gin_index_on_sqlite():
    with connection.cursor() as cursor:
        indexes = connection.introspection.get_constraints(cursor, Article._meta.db_table)
    assert "article_search_gin" not in indexes
    assert "article_status_visibility" in indexes


# Browse --------------------------------------------------------------------------------------


def test_browse_groups_by_category_without_javascript(client, library, bob, django_assert_max_num_queries):
    client.force_login(bob)
    with django_assert_max_num_queries(8):
        response = client.get(reverse("portal:kb"))
    page = response.content.decode()
    assert page.count("<h1") == 1
    assert 'id="shelf-connectors"' in page and 'id="shelf-inventory-sync"' in page
    assert response.headers["Vary"].count("HX-Request") == 1


def test_browse_by_category_and_tag(client, library, write):
    write("Amazon listings", tags="amazon, listings")
    page = client.get(reverse("portal:kb"), {"category": "connectors"}).content.decode()
    assert "Connecting Shopify" in page and "Amazon listings" in page
    page = client.get(reverse("portal:kb"), {"tag": "SHOPIFY"}).content.decode()
    assert "Connecting Shopify" in page and "Amazon listings" not in page
    page = client.get(reverse("portal:kb"), {"tag": "shop"}).content.decode()
    assert "Connecting Shopify" not in page  # tags match whole
    assert client.get(reverse("portal:kb"), {"category": "nope"}).status_code == 404


def test_htmx_search_answers_only_the_results(client, library):
    response = client.get(
        reverse("portal:kb"), {"q": "shopify"}, headers={"HX-Request": "true", "HX-Target": "kb-results"}
    )
    page = response.content.decode()
    assert "<html" not in page
    assert "1 article for “shopify”" in page


def test_search_page_says_when_nothing_matches(client, library):
    page = client.get(reverse("portal:kb"), {"q": "zebra"}).content.decode()
    assert "No article matches “zebra”" in page


# Suggestions (ticket-form deflection) --------------------------------------------------------


def test_suggest_returns_a_fragment_of_at_most_five_readable_articles(client, write, bob):
    for n in range(6):
        write(f"Shopify orders {n}")
    write("Shopify secrets", visibility=Article.Visibility.CUSTOMERS)
    write("Shopify draft", status=Article.Status.DRAFT)
    response = client.get(reverse("portal:kb_suggest"), {"q": "shopify orders"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert page.count("<li") == 5
    assert "Shopify secrets" not in page and "Shopify draft" not in page
    client.force_login(bob)
    page = client.get(reverse("portal:kb_suggest"), {"q": "shopify secrets"}).content.decode()
    assert "Shopify secrets" in page and "Shopify draft" not in page


def test_suggest_json(client, library, bob):
    client.force_login(bob)
    response = client.get(reverse("portal:kb_suggest"), {"q": "netsuite token"}, headers={"Accept": "application/json"})
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body == {
        "query": "netsuite token",
        "results": [
            {
                "id": body["results"][0]["id"],
                "title": "Connecting NetSuite",
                "url": "/kb/connecting-netsuite/",
                "category": "Inventory sync",
                "excerpt": "Create a token role.",
            }
        ],
    }


def test_suggest_reads_ticket_fields_and_ignores_short_queries(client, library):
    page = client.get(reverse("portal:kb_suggest"), {"subject": "Shopify", "description": "webhooks fail"})
    assert "Connecting Shopify" in page.content.decode()
    assert client.get(reverse("portal:kb_suggest"), {"q": "sh"}).content.decode().strip() == ""
    empty = client.get(reverse("portal:kb_suggest"), {"q": "zz"}, headers={"Accept": "application/json"})
    assert json.loads(empty.content)["results"] == []


# Editing -------------------------------------------------------------------------------------


def _form(category: Category, **extra) -> dict:
    return {
        "title": "Connecting ShipBob",
        "slug": "",
        "category": category.pk,
        "tags": "shipbob, 3pl",
        "visibility": "public",
        "status": "published",
        "body_markdown": "# Steps\n\nConnect <script>x()</script>it.",
        **extra,
    }


def test_staff_preview_does_not_save(client, support_engineer, connectors):
    client.force_login(support_engineer)
    response = client.post(reverse("portal:kb_create"), _form(connectors, preview="1"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<div class="article-body" data-testid="preview"><h2>Steps</h2>\n<p>Connect it.</p></div>' in page
    assert 'value="Connecting ShipBob"' in page  # the form keeps what was typed
    assert not Article.objects.exists()


def test_htmx_preview_answers_only_the_preview(client, support_engineer, connectors):
    client.force_login(support_engineer)
    response = client.post(
        reverse("portal:kb_create"),
        _form(connectors, body_markdown="**Hi**"),
        headers={"HX-Request": "true", "HX-Target": "article-preview"},
    )
    assert response.content.decode().strip() == (
        '<div class="article-body" data-testid="preview"><p><strong>Hi</strong></p></div>'
    )
    assert not Article.objects.exists()


def test_staff_create_and_edit(client, support_engineer, connectors, inventory):
    client.force_login(support_engineer)
    response = client.post(reverse("portal:kb_create"), _form(connectors, save="1"))
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == "/kb/connecting-shipbob/"
    assert article.author == support_engineer
    assert article.body_html == "<h2>Steps</h2>\n<p>Connect it.</p>"
    assert article.published_at is not None

    response = client.post(
        reverse("portal:kb_edit", args=[article.slug]),
        _form(inventory, title="ShipBob", slug="shipbob", status="draft", save="1"),
    )
    assert response["Location"] == "/kb/shipbob/"
    article.refresh_from_db()
    assert (article.title, article.slug, article.category, article.status) == ("ShipBob", "shipbob", inventory, "draft")


def test_editor_shows_errors_and_keeps_the_old_address(client, support_engineer, write, connectors):
    write("Taken", slug="taken")
    article = write("Original")
    client.force_login(support_engineer)
    response = client.post(reverse("portal:kb_edit", args=[article.slug]), _form(connectors, title="", slug="taken"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Another article already has this address." in page
    assert "This field is required." in page
    assert 'href="/kb/original/">Cancel' in page
    article.refresh_from_db()
    assert article.title == "Original"


def test_customers_and_anonymous_cannot_open_the_editor(client, alice, write, connectors):
    article = write("Original")
    response = client.get(reverse("portal:kb_create"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    client.force_login(alice)
    assert client.get(reverse("portal:kb_create")).status_code == 403
    assert client.post(reverse("portal:kb_create"), _form(connectors, save="1")).status_code == 403
    assert client.post(reverse("portal:kb_edit", args=[article.slug]), _form(connectors, save="1")).status_code == 403
    assert Article.objects.count() == 1


def test_editor_labels_every_field(client, support_engineer, connectors):
    client.force_login(support_engineer)
    page = client.get(reverse("portal:kb_create")).content.decode()
    for name in ("title", "slug", "category", "tags", "visibility", "status", "body_markdown"):
        assert f'for="id_{name}"' in page
    assert "style=" not in page and "<script>" not in page


# Votes ---------------------------------------------------------------------------------------


def test_one_vote_per_reader_which_they_may_change(library, bob, alice):
    article = library["public"]
    article_vote(article=article, user=bob, is_helpful=True)
    article_vote(article=article, user=bob, is_helpful=False)
    article_vote(article=article, user=alice, is_helpful=True)
    assert sorted(ArticleVote.objects.values_list("user__email", "is_helpful")) == [
        ("alice@acme.test", True),
        ("bob@acme.test", False),
    ]


def test_cannot_vote_on_an_article_one_cannot_read(library, bob):
    with pytest.raises(PermissionDenied):
        article_vote(article=library["draft"], user=bob, is_helpful=True)
    assert not ArticleVote.objects.exists()


def test_vote_through_the_page(client, library, bob):
    article = library["public"]
    url = reverse("portal:kb_vote", args=[article.slug])
    assert client.post(url, {"helpful": "yes"})["Location"].startswith(reverse("account_login"))
    client.force_login(bob)
    response = client.post(url, {"helpful": "yes"})
    assert response["Location"] == "/kb/connecting-shopify/#feedback"
    response = client.post(url, {"helpful": "no"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert page.startswith('<section id="feedback"')
    assert "0 of 1 reader found it helpful." in page
    assert ArticleVote.objects.get().is_helpful is False
    assert client.post(reverse("portal:kb_vote", args=[library["draft"].slug]), {"helpful": "yes"}).status_code == 404


# Demo ----------------------------------------------------------------------------------------


def test_seed_articles():
    seed_accounts(today=None, out=io.StringIO())
    out = io.StringIO()
    created = seed_articles(today=None, out=out)
    assert len(created) >= 12
    assert set(Category.objects.values_list("name", flat=True)) == {
        "Getting started",
        "Orders and routing",
        "Inventory sync",
        "Connectors",
    }
    for category in Category.objects.all():
        assert category.articles.count() >= 3
    assert Article.objects.filter(visibility=Article.Visibility.CUSTOMERS).exists()
    assert Article.objects.filter(status=Article.Status.DRAFT).exists()
    assert out.getvalue() == f"Knowledge base: {len(created)} articles added."
    assert seed_articles(today=None, out=io.StringIO()) == []
    for article in Article.objects.all():
        assert "<script" not in article.body_html


# The knowledge base's own search: every word, title matches first, matches highlighted ---------------------------


def test_the_knowledge_base_search_requires_every_word(client, write, bob):
    write("Shopify order import", "How orders arrive from the store.")
    write("Returns and refunds", "Refunds of orders follow later.")
    write("Amazon listings", "Orders from the other store.")
    write("Inventory sync", "Stock levels and orders.")
    client.force_login(bob)
    page = client.get(reverse("portal:kb"), {"q": "zzxqv orders store"}).content.decode()
    assert "No article matches “zzxqv orders store”" in page
    assert "Try other words" in page
    assert {a.title for a in article_search(user=bob, query="orders store", every_word=True)} == {
        "Amazon listings",
        "Shopify order import",
    }
    assert list(article_search(user=bob, query="zzxqv orders store", every_word=True)) == []


def test_the_knowledge_base_search_lists_title_matches_first_and_highlights(client, write, bob):
    write("Refund rules", "Nothing about the marketplace.")
    write("Marketplace fees", "How refund requests are charged.")
    client.force_login(bob)
    response = client.get(reverse("portal:kb"), {"q": "refund"})
    assert [a.title for a in response.context["results"]] == ["Refund rules", "Marketplace fees"]
    page = response.content.decode()
    assert "<mark>Refund</mark> rules" in page and "How <mark>refund</mark> requests" in page


def test_highlighting_escapes_the_text_it_marks():
    from portal.templatetags.portal_format import highlight

    assert highlight("<b>refunds</b> & more", ["refund"]) == "&lt;b&gt;<mark>refunds</mark>&lt;/b&gt; &amp; more"
    assert highlight("plain", []) == "plain"


def test_the_search_page_says_when_it_shows_only_the_best_matches(client, write, bob):
    for n in range(52):
        write(f"Shopify tip {n}")
    client.force_login(bob)
    response = client.get(reverse("portal:kb"), {"q": "shopify"})
    assert len(response.context["results"]) == 50
    assert "The 50 best of 52 articles for “shopify”" in response.content.decode()
