"""Benchmark the staff reports page on PostgreSQL at 20,000 (or --tickets N) tickets.

Run: .venv/bin/python bench/reports.py [--tickets 20000] [--requests 30] [--keep]

It uses its own database, `portal_bench17` on the local PostgreSQL unless BENCH_DATABASE_URL names another
(creating and migrating it), and drops it at the end unless --keep. The tickets are written with bulk inserts:
10 organizations, 35% open, spread over the last twelve months, each answered ticket with its staff reply and
first-response event (what the per-engineer figures count); the thread's other messages are left out, the
reports never read them. Then `rebuild_report_rollups()` counts the rollups, and the page is timed through
Django's test client (DEBUG off): 3 warm-ups, then N requests; it prints the median, the p95 and the query count.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench17"
PRIORITIES = [("urgent", 60, "24/7"), ("high", 240, "business"), ("normal", 480, "business"), ("low", 960, "business")]
CHANNELS = ["portal", "portal", "portal", "email", "email", "slack", "api"]
KINDS = ["question", "question", "incident", "incident", "configuration_request", "feature_request"]


def _admin(url: str) -> tuple[str, str]:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1), parts.path[1:]


def recreate_database(url: str, *, drop_only: bool = False) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not drop_only:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-bench-only-secret-key")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]


def load(n: int, *, seed: int = 17) -> None:
    """Writes n tickets with bulk inserts (and the answered ones' reply and first-response event)."""
    from django.contrib.auth.models import Group
    from django.utils import timezone

    from portal import roles
    from portal.models import Organization, User
    from tickets.models import Comment, SatisfactionRating, Ticket, TicketEvent

    rng = random.Random(seed)
    now = timezone.now()
    organizations = [Organization.objects.create(name=f"Bench customer {i}") for i in range(10)]
    tiers = {o.pk: ("enterprise" if i % 2 else "standard", i % 3 == 0) for i, o in enumerate(organizations)}
    engineers = []
    for i in range(8):
        user = User.objects.create_user(f"engineer{i}@bench.test", None, full_name=f"Engineer {i}")
        user.groups.add(Group.objects.get(name=roles.SUPPORT_ENGINEER))
        engineers.append(user)
    User.objects.create_superuser("boss@bench.test", "bench-password-1")
    tickets, answers = [], []
    for i in range(n):
        organization = organizations[i % 10]
        tier, premium = tiers[organization.pk]
        priority, target, calendar = PRIORITIES[rng.randrange(4)]
        if calendar == "24/7" and not premium:
            calendar = "business"
        received = now - datetime.timedelta(minutes=rng.randrange(365 * 24 * 60))
        due = received + datetime.timedelta(minutes=target * (1 if calendar == "24/7" else 3))
        is_open = rng.random() < 0.35
        answered = not is_open or rng.random() < 0.5
        minutes = int(target * rng.uniform(0.05, 1.4)) if answered else None
        first_response = (
            received + datetime.timedelta(minutes=minutes * (1 if calendar == "24/7" else 3)) if answered else None
        )
        if first_response and first_response > now:
            first_response, minutes, answered = None, None, False
        breached = (first_response and first_response > due) or (not answered and due < now)
        tickets.append(
            Ticket(
                organization=organization,
                organization_name=organization.name,  # bulk_create skips Ticket.save()
                subject=f"Bench ticket {i}",
                description="Synthetic.",
                kind=rng.choice(KINDS),
                priority=priority,
                channel=rng.choice(CHANNELS),
                status=rng.choice(["new", "open", "pending_customer"]) if is_open else rng.choice(["solved", "closed"]),
                received_at=received,
                tier=tier,
                premium=premium,
                sla_policy="premium" if calendar == "24/7" else "tier",
                sla_target_minutes=target,
                sla_calendar=calendar,
                sla_clock_start=received,
                first_response_due_at=due,
                at_risk_due_at=due - datetime.timedelta(minutes=target // 4),
                first_response_at=first_response,
                first_response_minutes=minutes,
                breached_at=due if breached else None,
                waiting_on="us" if is_open else "",
                waiting_since=received,
            )
        )
        answers.append(rng.choice(engineers) if answered else None)
    started = time.perf_counter()
    Ticket.objects.bulk_create(tickets, batch_size=2000)
    comments, events, ratings = [], [], []
    for ticket, engineer in zip(tickets, answers, strict=True):
        if engineer is None:
            continue
        comments.append(
            Comment(
                ticket=ticket, author=engineer, body="Answer.", is_staff_reply=True, created_at=ticket.first_response_at
            )
        )
        met = ticket.first_response_at <= ticket.first_response_due_at
        events.append(
            TicketEvent(
                ticket=ticket,
                kind="first_response",
                actor=engineer,
                message="First response.",
                created_at=ticket.first_response_at,
                data={"met": met},
            )
        )
        if ticket.status in ("solved", "closed") and rng.random() < 0.3:
            ratings.append(
                SatisfactionRating(
                    ticket=ticket,
                    rating="good" if rng.random() < 0.8 else "bad",
                    via="link",
                    created_at=ticket.first_response_at,
                )
            )
    Comment.objects.bulk_create(comments, batch_size=2000)
    TicketEvent.objects.bulk_create(events, batch_size=2000)
    SatisfactionRating.objects.bulk_create(ratings, batch_size=2000)
    took = time.perf_counter() - started
    print(f"loaded {n:,} tickets, {len(comments):,} replies, {len(ratings):,} ratings in {took:.1f} s")


def measure(requests: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from portal.models import User
    from tickets.reports.rollups import rebuild_report_rollups

    started = time.perf_counter()
    rows = rebuild_report_rollups()
    print(f"rebuild_report_rollups: {time.perf_counter() - started:.1f} s, rows {rows}")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")  # what autovacuum does soon after a load: index-only scans need it
    client = Client()
    client.force_login(User.objects.get(email="boss@bench.test"))
    url = reverse("tickets:reports")
    for label, params in (("default (12 months, all tiers)", {}), ("tier=enterprise", {"tier": "enterprise"})):
        if params:
            start, end = (datetime.date.today() - datetime.timedelta(days=365)), datetime.date.today()
            params = {"start": start.isoformat(), "end": end.isoformat(), **params}
        for _ in range(3):
            assert client.get(url, params).status_code == 200
        queries = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url, params)
        timings = []
        for _ in range(requests):
            t = time.perf_counter()
            response = client.get(url, params)
            timings.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200
        timings.sort()
        p95 = timings[max(0, int(round(0.95 * len(timings))) - 1)]
        print(
            f"reports page, {label}: median {statistics.median(timings):.1f} ms, p95 {p95:.1f} ms, "
            f"{len(queries)} queries ({requests} requests)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by an earlier --keep run")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    if not args.reuse:
        recreate_database(url)
    try:
        setup_django(url)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        if not args.reuse:
            load(args.tickets)
        measure(args.requests)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            recreate_database(url, drop_only=True)


if __name__ == "__main__":
    main()
