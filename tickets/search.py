"""Searching tickets: by number, subject, description and messages; every word must match.

On PostgreSQL each ticket keeps one stored document (`Ticket.search_vector`, GIN-indexed): its subject
(weight A), description (B), public messages (C) and internal notes (D). Services refresh it in the
transaction that changes the text. Staff search all four weights; customers only A to C, so a word that
appears only in an internal note never finds a ticket for them. Words PostgreSQL's English dictionary
ignores (the, of, ...) are dropped, so a stray common word neither widens nor empties the results.
On SQLite (development) each word must appear, case-insensitively, in the same fields.
"""

import re

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery, TextField
from django.db.models.functions import Left

from portal.models import SEARCH_CONFIG
from portal.selectors import MAX_SEARCH_TERMS, STOP_WORDS
from tickets.models import Comment, Ticket, ticket_pk_from_reference

# A stored document stays far below PostgreSQL's 1 MB limit for a tsvector.
MAX_PART_CHARACTERS = 100_000
_WORD = re.compile(r"[^\W_]+")
_NUMBER = re.compile(r"#?(\d{1,18})")
_REFERENCE = re.compile(r"#?(\d{1,18}-[0-9a-f]{10})")
PUBLIC_WEIGHTS = "ABC"


def _messages(*, public: bool):
    """The text of a ticket's messages (public replies, or internal notes), as one string: a subquery."""
    rows = (
        Comment.objects.filter(ticket=OuterRef("pk"), public=public, is_automatic=False)
        .order_by()
        .values("ticket")
        .annotate(text=StringAgg("body", delimiter="\n", output_field=TextField()))
        .values("text")
    )
    return Left(Subquery(rows, output_field=TextField()), MAX_PART_CHARACTERS)


def search_document():
    """The weighted document of a ticket, as an expression over its row and its messages."""
    return (
        SearchVector(Left("subject", MAX_PART_CHARACTERS), weight="A", config=SEARCH_CONFIG)
        + SearchVector(Left("description", MAX_PART_CHARACTERS), weight="B", config=SEARCH_CONFIG)
        + SearchVector(_messages(public=True), weight="C", config=SEARCH_CONFIG)
        + SearchVector(_messages(public=False), weight="D", config=SEARCH_CONFIG)
    )


def search_document_refresh(ticket_ids) -> None:
    """Recomputes the stored search document of these tickets (PostgreSQL only; SQLite searches the text)."""
    ids = [pk for pk in ticket_ids if pk is not None]
    if not ids or connection.vendor != "postgresql":
        return
    Ticket.objects.filter(pk__in=ids).update(search_vector=search_document())


def search_words(query: str) -> list[str]:
    """The words of a query that count: lower case, letters and digits only, without the commonest words."""
    words: list[str] = []
    for word in _WORD.findall(query.lower()):
        if word not in STOP_WORDS and word not in words:
            words.append(word)
    return words[:MAX_SEARCH_TERMS]


def ticket_search(tickets: QuerySet[Ticket], query: str, *, include_notes: bool) -> QuerySet[Ticket]:
    """The tickets of `tickets` that match every word of `query` (a number also matches the ticket's own).

    `include_notes` is for staff: customers never match on what only an internal note says.
    """
    query = query.strip()
    reference = _REFERENCE.fullmatch(query)
    if reference:
        return tickets.filter(pk=ticket_pk_from_reference(reference.group(1)))
    whole_number = _NUMBER.fullmatch(query)
    words = search_words(query)
    if not words:
        return tickets.filter(pk=int(whole_number.group(1))) if whole_number else tickets.none()
    condition = Q()
    if connection.vendor == "postgresql":
        texts = [w for w in words if not _is_number(w)]
        numbers = [w for w in words if _is_number(w)]
        if texts:
            condition &= Q(search_vector=_tsquery(texts, include_notes=include_notes))
        for number in numbers:
            # A number is the ticket's own, or a word of its text (an order number, say).
            condition &= Q(search_vector=_tsquery([number], include_notes=include_notes)) | _number_is_pk(number)
    else:
        for word in words:
            condition &= _contains(word, include_notes=include_notes)
    return tickets.filter(condition)


def _is_number(word: str) -> bool:
    return word.isascii() and word.isdigit()


def _number_is_pk(number: str) -> Q:
    return Q(pk=int(number)) if len(number) <= 18 else Q(pk__in=[])


def _tsquery(words: list[str], *, include_notes: bool) -> SearchQuery:
    # Each word is quoted (words hold letters and digits only, never a quote), so nothing in it is read as
    # to_tsquery's syntax; to_tsquery stems the words and drops the dictionary's stop words.
    suffix = "" if include_notes else f":{PUBLIC_WEIGHTS}"
    return SearchQuery(" & ".join(f"'{w}'{suffix}" for w in words), search_type="raw", config=SEARCH_CONFIG)


def _contains(word: str, *, include_notes: bool) -> Q:
    messages = Comment.objects.filter(body__icontains=word, is_automatic=False)
    if not include_notes:
        messages = messages.filter(public=True)
    found = Q(subject__icontains=word) | Q(description__icontains=word) | Q(pk__in=messages.values("ticket_id"))
    return found | _number_is_pk(word) if _is_number(word) else found
