"""Deflection is measured: suggestions shown per form visit, articles opened from them, forms sent or not."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Article, Category, SuggestionOpen, TicketFormVisit
from portal.selectors import deflection_report
from portal.services import article_save
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def article(support_engineer):
    category = Category.objects.create(name="Connectors", slug="connectors")
    return article_save(
        actor=support_engineer,
        title="Shopify webhooks failing",
        category=category,
        body_markdown="Re-approve the app.",
        status=Article.Status.PUBLISHED,
    )


def _open_form(client):
    response = client.get(reverse("tickets:create"))
    return response.context["visit"]


def test_suggestions_shown_opened_and_recorded_on_the_ticket(client, standard, article):
    _, customer = standard
    client.force_login(customer)
    visit = _open_form(client)
    fragment = client.get(reverse("portal:kb_suggest"), {"subject": "shopify webhooks", "form": visit.token})
    assert f"?from_form={visit.token}" in fragment.content.decode()
    visit.refresh_from_db()
    assert visit.shown_article_ids == [article.pk]
    client.get(reverse("portal:kb_article", args=[article.slug]), {"from_form": str(visit.token)})
    assert SuggestionOpen.objects.filter(visit=visit, article=article).count() == 1
    client.post(
        reverse("tickets:create"),
        {
            "form": str(visit.token),
            "kind": "question",
            "priority": "low",
            "subject": "Shopify webhooks",
            "description": "Still failing",
        },
    )
    ticket = Ticket.objects.get()
    visit.refresh_from_db()
    assert visit.ticket == ticket and ticket.suggested_articles == [article.pk]


def test_another_users_token_counts_for_nothing(client, standard, enterprise, article):
    client.force_login(standard[1])
    visit = _open_form(client)
    client.force_login(enterprise[1])
    client.get(reverse("portal:kb_suggest"), {"subject": "shopify webhooks", "form": visit.token})
    client.get(reverse("portal:kb_article", args=[article.slug]), {"from_form": str(visit.token)})
    visit.refresh_from_db()
    assert visit.shown_article_ids == [] and not SuggestionOpen.objects.exists()


def test_report_counts_forms_abandoned_after_an_opened_suggestion(client, standard, article, support_engineer):
    _, customer = standard
    client.force_login(customer)
    abandoned = _open_form(client)
    sent = _open_form(client)
    _untouched = _open_form(client)
    for visit in (abandoned, sent):
        client.get(reverse("portal:kb_suggest"), {"q": "shopify", "form": visit.token})
        client.get(reverse("portal:kb_article", args=[article.slug]), {"from_form": str(visit.token)})
    client.post(
        reverse("tickets:create"),
        {"form": str(sent.token), "kind": "question", "priority": "low", "subject": "Shopify", "description": "d"},
    )
    later = timezone.now() + dt.timedelta(hours=2)
    assert deflection_report(now=later) == {
        "visits": 3,
        "shown": 2,
        "opened": 2,
        "abandoned_after_open": 1,
        "submitted_after_open": 1,
        "submitted": 1,
    }
    assert deflection_report(now=timezone.now())["visits"] == 0  # too recent to call abandoned
    TicketFormVisit.objects.update(started_at=later - dt.timedelta(hours=3))
    client.force_login(support_engineer)
    page = client.get(reverse("tickets:reports")).content.decode()
    assert "then left without sending (deflected)" in page
