"""A fuzz walk over every page and every HTML form, as each demo role, with hostile values.

It walks Django's URL resolver (pages: everything outside /admin/ and /api/, which have their own walks) and the
forms those pages render, so a URL or a form added later is covered without touching this file. Asserted: no
answer is a 500, and a refused submission (anything but a redirect) writes nothing.

Run with `-s` to see how many URL patterns, forms and requests it covered.
"""

import io
import itertools
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

ROLES = [
    None,  # signed out
    "alice@acme.test",  # customer admin
    "bob@acme.test",  # customer member
    "agent@demo.test",  # support engineer
    "sa@demo.test",  # solution architect
    "am@demo.test",  # account manager
    "admin@demo.test",  # admin
]
SKIPPED_PREFIXES = ("admin/", "api/", "static/", "media/", "__")
NEVER_SUBMITTED = ("/accounts/logout/",)  # it would only sign the walker out

HOSTILE = [
    "\x00",
    "x" * 1_000_000,
    "١٢٣٤٥",  # Arabic-Indic digits
    "-1",
    "99999999999999999999999999",
    "[" * 2000 + "]" * 2000,
    '{"a": ' * 200 + "1" + "}" * 200,
]
RAW_QUERIES = ["%ff%fe%00", "page=%ff%fe", "page=-1&sort=%C0%AF"]
QUERY_NAMES = ["q", "page", "status", "category", "sort", "organization", "priority", "view", "tag", "year", "kind"]
HUGE_ID = "99999999999999999"
STR_VALUES = ["x", "١٢٣", "a" * 300]
# The model a route's <int:…> names, by the path segment before it: its first row gives a real id to walk.
ID_MODELS = {
    "contracts": "contracts.Contract",
    "engagements": "contracts.Engagement",
    "milestones": "contracts.Milestone",
    "accounts": "portal.Organization",
    "changes": "contracts.ChangeRequest",
    "quotes": "contracts.Quote",
    "entries": "hours.TimeEntry",
    "invitations": "portal.Invitation",
    "members": "portal.Membership",
    "tickets": "tickets.Ticket",
    "attachments": "tickets.Attachment",
    "macros": "tickets.Macro",
    "email": "channels.InboundEmail",
    "slack": "channels.SlackEvent",
}
WATCHED = [
    ("tickets", "Ticket"),
    ("tickets", "Comment"),
    ("tickets", "Attachment"),
    ("hours", "TimeEntry"),
    ("hours", "LedgerEntry"),
    ("portal", "Invitation"),
    ("portal", "Membership"),
    ("portal", "Article"),
    ("contracts", "Contract"),
    ("contracts", "ChangeRequest"),
]


def page_patterns(resolvers=None, prefix=""):
    """(route, converters) of every URL pattern outside the skipped prefixes, through every include."""
    for entry in resolvers if resolvers is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            yield from page_patterns(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _converter_values(route: str) -> list[str]:
    """Paths for a route: each <int:…> and <str:…>/<slug:…> filled with real-looking and hostile values."""
    if route.startswith("^") or "(?P" in route:
        return []  # a regex route (a library's): not walked
    parts = re.split(r"(<[^>]+>)", route)
    choices = []
    for index, part in enumerate(parts):
        if part.startswith("<"):
            kind = part[1:-1].split(":")[0] if ":" in part else "str"
            if kind == "int":
                segment = parts[index - 1].rstrip("/").rpartition("/")[2]
                choices.append([_first_id(ID_MODELS.get(segment)), HUGE_ID])
            elif kind == "slug" and route.startswith("kb/"):
                from portal.models import Article

                choices.append([Article.objects.order_by("pk").values_list("slug", flat=True).first() or "x"])
                choices[-1] += STR_VALUES
            else:
                choices.append(STR_VALUES)
        else:
            choices.append([part])
    paths = ["/" + "".join(combo) for combo in itertools.product(*choices)]
    return paths[:6]


def _first_id(label: str | None) -> str:
    if label is None:
        return "1"
    try:
        model = apps.get_model(label)
    except LookupError:
        return "1"
    first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
    return str(first or 1)


class _Forms(HTMLParser):
    """The POST forms of a page: (action, field names)."""

    def __init__(self):
        super().__init__()
        self.forms: list[tuple[str, list[str]]] = []
        self._current: tuple[str, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._current = (attrs.get("action") or "", [])
            self.forms.append(self._current)
        elif (
            tag in ("input", "textarea", "select")
            and self._current is not None
            and attrs.get("name")
            and attrs.get("type") != "file"
            and attrs["name"] != "csrfmiddlewaretoken"
        ):
            self._current[1].append(attrs["name"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._current = None


def _counts() -> dict:
    return {name: apps.get_model(app, name).objects.count() for app, name in WATCHED}


class Walk:
    def __init__(self):
        self.requests = 0
        self.failures: list[str] = []
        self.forms: set[tuple[str, tuple[str, ...]]] = set()

    def check(self, response, what: str) -> None:
        self.requests += 1
        if response.status_code >= 500:
            self.failures.append(f"{response.status_code} {what}")


@pytest.fixture
def demo(settings):
    settings.MEDIA_ROOT = settings.BASE_DIR / ".pytest-media"
    call_command("seed_demo", stdout=io.StringIO())


def _client(email: str | None) -> Client:
    from portal.models import User

    client = Client(raise_request_exception=False)
    if email:
        client.force_login(User.objects.get(email=email))
    return client


@pytest.mark.parametrize("role", ROLES, ids=[r or "anonymous" for r in ROLES])
def test_no_page_or_form_answers_500_and_refusals_write_nothing(demo, role, capsys):
    client = _client(role)
    walk = Walk()
    routes = sorted(set(page_patterns()))
    pages_with_forms = []
    for route in routes:
        for path in _converter_values(route):
            response = client.get(path)
            walk.check(response, f"GET {path}")
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                pages_with_forms.append((path, response.content.decode("utf-8", "replace")))
            query = "&".join(f"{name}={value}" for name, value in zip(QUERY_NAMES, itertools.cycle(HOSTILE[2:])))
            walk.check(client.get(f"{path}?{query}"), f"GET {path}?(hostile)")
            walk.check(client.get(f"{path}?{RAW_QUERIES[len(path) % len(RAW_QUERIES)]}"), f"GET {path}?(raw)")
            walk.check(client.get(path, {"q": HOSTILE[0]}), f"GET {path}?q=NUL")

    for path, html in pages_with_forms:
        parser = _Forms()
        parser.feed(html)
        for action, fields in parser.forms:
            target = action or path
            if not target.startswith("/") or target.startswith(NEVER_SUBMITTED):
                continue
            key = (re.sub(r"\d+", "N", target), tuple(sorted(set(fields))))
            if key in walk.forms:
                continue
            walk.forms.add(key)
            for value in HOSTILE:
                before = _counts()
                response = client.post(target, dict.fromkeys(set(fields), value))
                walk.check(response, f"POST {target} {fields} {value[:20]!r}")
                if response.status_code not in (301, 302, 303):
                    after = _counts()
                    if after != before:
                        walk.failures.append(f"partial write by refused POST {target}: {before} -> {after}")
            walk.check(
                client.post(
                    target,
                    data=b"&".join(f"{n}=%ff%fe".encode() for n in set(fields)) or b"x=%ff",
                    content_type="application/x-www-form-urlencoded",
                ),
                f"POST {target} (invalid UTF-8)",
            )
            client = _client(role)  # a submission may have changed the session (a password, say): start afresh

    with capsys.disabled():
        print(
            f"\npage fuzz walk as {role or 'anonymous'}: {len(routes)} URL patterns, {len(walk.forms)} forms, "
            f"{walk.requests} requests"
        )
    assert walk.failures == []
