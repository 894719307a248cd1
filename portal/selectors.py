"""Reads of the portal app that views, other apps and the API share."""

import re
from datetime import datetime, timedelta

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from portal import roles
from portal.models import (
    SEARCH_CONFIG,
    Article,
    ArticleVote,
    Category,
    Invitation,
    Membership,
    Organization,
    TicketFormVisit,
    User,
    article_search_vector,
)

# Words too common to tell articles apart; PostgreSQL drops them itself, SQLite needs to be told.
STOP_WORDS = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "can", "do", "does", "for", "from", "has", "have",
        "how", "i", "if", "in", "into", "is", "it", "its", "my", "no", "not", "of", "on", "or", "our", "so", "that",
        "the", "their", "then", "there", "these", "this", "to", "was", "we", "what", "when", "where", "which", "who",
        "why", "will", "with", "you", "your",
    }
)  # fmt: skip
MAX_SEARCH_TERMS = 12
_WORD = re.compile(r"\w+")


def search_terms(query: str) -> list[str]:
    """Returns the distinct words of a query worth searching for, lower-cased, in order."""
    terms: list[str] = []
    for word in _WORD.findall(query.lower()):
        if word not in STOP_WORDS and word not in terms and (len(word) > 1 or word.isdigit()):
            terms.append(word)
    return terms[:MAX_SEARCH_TERMS]


def article_search(*, user: User, query: str, limit: int | None = None, every_word: bool = False) -> QuerySet[Article]:
    """Returns the articles `user` may read that match `query`: title matches first, then best match (each with a
    `rank` and `title_hit`).

    With `every_word` (the knowledge base's own search) an article must hold every word of the query; without it
    any word may match (so a ticket's whole subject finds related articles), and the more words an article
    matches, and the more of them in its title, the higher it ranks. PostgreSQL ranks with full-text search on
    the same expression as the GIN index; SQLite counts plain substring matches.
    """
    terms = search_terms(query)
    articles = Article.objects.visible_to(user).select_related("category")
    if not terms:
        return articles.none()
    if connection.vendor == "postgresql":
        # Every word may also be the start of a longer one, so a half-typed subject already finds articles.
        joiner = " & " if every_word else " | "
        search_query = SearchQuery(joiner.join(f"{term}:*" for term in terms), config=SEARCH_CONFIG, search_type="raw")
        vector = article_search_vector()
        articles = (
            articles.annotate(search=vector, title_search=SearchVector("title", config=SEARCH_CONFIG))
            .filter(search=search_query)
            .annotate(
                rank=SearchRank(vector, search_query),
                title_hit=Case(When(title_search=search_query, then=Value(1)), default=Value(0)),
            )
            .order_by("-title_hit", "-rank", "-updated_at", "pk")
        )
    else:
        matches = Q() if every_word else Q(pk__in=[])
        in_title = Q() if every_word else Q(pk__in=[])
        score = Value(0, output_field=IntegerField())
        for term in terms:
            found = Q(title__icontains=term) | Q(tags__icontains=term) | Q(body_markdown__icontains=term)
            matches = (matches & found) if every_word else (matches | found)
            in_title = (in_title & Q(title__icontains=term)) if every_word else (in_title | Q(title__icontains=term))
            for field, weight in (("title", 4), ("tags", 2), ("body_markdown", 1)):
                score += Case(When(**{f"{field}__icontains": term}, then=Value(weight)), default=Value(0))
        articles = (
            articles.filter(matches)
            .annotate(rank=score, title_hit=Case(When(in_title, then=Value(1)), default=Value(0)))
            .order_by("-title_hit", "-rank", "-updated_at", "pk")
        )
    return articles[:limit] if limit else articles


def article_list(*, user: User, category: Category | None = None, tag: str = "") -> QuerySet[Article]:
    """Returns the articles `user` may read, by category and title, optionally in one category or with one tag."""
    articles = Article.objects.visible_to(user).select_related("category").order_by("category", "title")
    if category is not None:
        articles = articles.filter(category=category)
    if tag:
        articles = articles.with_tag(tag)
    return articles


def category_list(*, user: User) -> list[Category]:
    """Returns the categories with the number of articles `user` may read in each (`article_count`).

    Staff see every category, empty ones too; readers only those with something to read.
    """
    visible = Article.objects.visible_to(user).values("pk")
    categories = Category.objects.annotate(article_count=Count("articles", filter=Q(articles__in=visible)))
    if not roles.is_support_staff(user):
        categories = categories.filter(article_count__gt=0)
    return list(categories)


def category_shelves(*, user: User) -> list[tuple[Category, list[Article]]]:
    """Returns every category with the articles `user` may read in it; empty categories are left out."""
    shelves: dict[int, tuple[Category, list[Article]]] = {}
    for article in article_list(user=user).order_by("category__position", "category__name", "title"):
        shelves.setdefault(article.category_id, (article.category, []))[1].append(article)
    return list(shelves.values())


def article_vote_summary(*, article: Article, user: User) -> dict:
    """Returns how many readers found the article helpful or not, and the reader's own vote (or None)."""
    votes = list(ArticleVote.objects.filter(article=article).values_list("user_id", "is_helpful"))
    return {
        "helpful": sum(1 for _, is_helpful in votes if is_helpful),
        "not_helpful": sum(1 for _, is_helpful in votes if not is_helpful),
        "mine": next((is_helpful for user_id, is_helpful in votes if user_id == user.pk), None),
    }


# Members --------------------------------------------------------------------------------------


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def organization_invitations_pending(
    *, organization: Organization, now: datetime | None = None
) -> QuerySet[Invitation]:
    return (
        Invitation.objects.pending(now=now or timezone.now())
        .filter(organization=organization)
        .select_related("invited_by")
        .order_by("email")
    )


def deflection_report(*, now=None, abandoned_after=None) -> dict:
    """Support Request Form visits, counted: how many opened a suggested article, and of those how many
    left without sending (deflected) or sent anyway. Visits younger than `abandoned_after` are still open."""
    now = now or timezone.now()
    cutoff = now - (abandoned_after or timedelta(hours=1))
    visits = TicketFormVisit.objects.filter(started_at__lte=cutoff).annotate(open_count=Count("opens"))
    totals = visits.aggregate(
        visits=Count("pk"),
        shown=Count("pk", filter=~Q(shown_article_ids=[])),
        opened=Count("pk", filter=Q(open_count__gt=0)),
        abandoned_after_open=Count("pk", filter=Q(open_count__gt=0, ticket__isnull=True)),
        submitted_after_open=Count("pk", filter=Q(open_count__gt=0, ticket__isnull=False)),
        submitted=Count("pk", filter=Q(ticket__isnull=False)),
    )
    return totals
