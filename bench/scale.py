"""Benchmark the portal's pages at scale: N synthetic tickets served by gunicorn on PostgreSQL.

Run: .venv/bin/python bench/scale.py [N] [--keep] [--explain] [--requests 30] [--only queue,home]

* Data: N tickets (default 100,000) with 3 comments each, over 10 organizations (Standard, Enterprise and
  Enterprise with Premium), 35% of them open. Every field the queue reads is filled: each ticket's deadline
  comes from the SLA module (`tickets.sla.resolve_deadline` with the organization's entitlements), the
  at-risk and breach marks are what the sweep would have recorded, and the turn (`waiting_on`) is set. Rows
  go in with PostgreSQL's COPY; the secondary indexes are dropped during the load and built again after.
  Search documents are left empty (search is not measured here).
* Database: its own, `portal_scale` (SCALE_DATABASE_URL names another). `--keep` keeps it and reuses it when it
  already holds N tickets, so a second run only measures.
* Serving: gunicorn with 2 sync workers, DEBUG off, CONN_MAX_AGE=60, the cache and sessions in Redis as in
  production (`SCALE_REDIS_URL`, default database 14, emptied first; with no Redis, sessions are read from
  PostgreSQL). Each page: 3 warm-ups, then `--requests` sequential requests, each on a new connection; median
  and p95 in ms. Query counts are taken in-process (Django's test client) for the same URL, with the server's
  session store.
* `--explain` prints EXPLAIN ANALYZE of the main queries; the sweep (`sla_sweep`) is timed last.
* The header gives PostgreSQL's memory settings and a measure of the machine's Python speed: compare tables
  taken on different days with it in mind.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import enum
import http.client
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_scale"
ORGANIZATIONS = 10
OPEN_SHARE = 0.35
COMMENTS_PER_TICKET = 3
PORT = 8719
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/14"
# The server and this process (which signs the sessions' cookies) share a key that exists only for the bench.
SECRET_KEY = "bench-only-" + "0123456789abcdef" * 4  # noqa: S105
WORDS = (
    "order",
    "sync",
    "stopped",
    "inventory",
    "warehouse",
    "label",
    "printer",
    "invoice",
    "shipping",
    "carrier",
    "refund",
    "customer",
    "portal",
    "mapping",
    "field",
    "product",
    "price",
    "catalog",
    "webhook",
    "timeout",
    "error",
    "report",
    "export",
    "import",
    "batch",
    "channel",
    "amazon",
    "shopify",
    "erp",
    "connector",
    "delay",
    "stock",
    "count",
    "tax",
    "address",
    "payment",
    "status",
    "login",
    "password",
)


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlparse(url)
    admin = urlunparse(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1)
    return admin, parts.path.lstrip("/")


def _dsn(url: str) -> str:
    return url.replace("postgres://", "postgresql://", 1)


def database_exists(url: str) -> bool:
    import psycopg

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        return bool(conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone())


def database_recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""  # no broker: nothing this bench enqueues may reach a real queue
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ["MFA_REQUIRED_FOR_STAFF"] = "false"
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = SECRET_KEY
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,localhost,testserver"
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # a line a request would drown the figures
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def ticket_total() -> int | None:
    """The number of tickets, or None when the database holds no portal yet (made by hand, or a load cut short)."""
    from django.db import connection

    if "tickets_ticket" not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tickets_ticket")
        return cursor.fetchone()[0]


# Loading ----------------------------------------------------------------------------------------------


def people_and_organizations(now: datetime.datetime):
    """The staff, 10 organizations with their contracts, and 5 customers each (through the services)."""
    from django.contrib.auth.models import Group

    from contracts import services as contract_services
    from portal import roles
    from portal.models import Membership, Organization, User

    def user(email, *, group=None, organization=None, role="member"):
        person = User.objects.create_user(email, "bench-password-1", full_name=email.split("@")[0].title())
        if group:
            person.groups.add(Group.objects.get(name=group))
        if organization:
            Membership.objects.create(user=person, organization=organization, role=role)
        return person

    manager = user("am@bench.test", group=roles.ACCOUNT_MANAGER)
    agents = [user(f"agent{i}@bench.test", group=roles.SUPPORT_ENGINEER) for i in range(5)]
    organizations, customers = [], {}
    for i in range(ORGANIZATIONS):
        organization = Organization.objects.create(name=f"Customer {i:02d}", account_manager=manager)
        plan, add_ons = ("growth", ())
        if i % 5 in (1, 2):
            plan = "enterprise"
        elif i % 5 == 3:
            plan, add_ons = "enterprise", ("premium_support",)
        contract_services.contract_save(
            actor=manager,
            organization=organization,
            plan=plan,
            term_start=(now - datetime.timedelta(days=3 * 365)).date(),
            term_end=(now + datetime.timedelta(days=365)).date(),
            add_ons=add_ons,
            escalation_channel="phone +1 555 0100" if add_ons else "",
            sa_hours_per_year=40 if plan == "enterprise" else 0,
        )
        organizations.append(organization)
        customers[organization.pk] = [
            user(f"c{j}@org{i}.bench.test", organization=organization, role="admin" if j == 0 else "member")
            for j in range(5)
        ]
    return agents, organizations, customers


def ticket_rows(n: int, *, organizations, customers, agents, now, rng):
    """Yields (ticket row, [comment rows]) for tickets 1..n; deadlines from the SLA module."""
    from contracts.entitlements import entitlements_for_many
    from contracts.models import Priority
    from tickets import sla
    from tickets.calendars import calendar_for, closure_changes
    from tickets.models import Kind, Status, TicketChannel, WaitingOn

    entitlements = entitlements_for_many(organizations, at=now)
    changes = closure_changes()
    priorities = [Priority.URGENT, Priority.HIGH, Priority.HIGH, Priority.NORMAL, Priority.NORMAL, Priority.NORMAL]
    priorities += [Priority.LOW, Priority.LOW]
    kinds = [Kind.QUESTION, Kind.QUESTION, Kind.INCIDENT, Kind.INCIDENT, Kind.CONFIGURATION_REQUEST]
    me = agents[0]
    candidates_json: dict = {}
    minute = datetime.timedelta(minutes=1)
    for pk in range(1, n + 1):
        organization = organizations[pk % ORGANIZATIONS]
        people = customers[organization.pk]
        requester = people[rng.randrange(len(people))]
        is_open = rng.random() < OPEN_SHARE
        answered = not is_open or rng.random() < 0.6
        if is_open and not answered and rng.random() < 0.2:
            received = now - datetime.timedelta(minutes=rng.randrange(1, 36 * 60))  # clocks still running
        elif is_open:
            received = now - datetime.timedelta(minutes=rng.randrange(60, 60 * 24 * 60))
        else:
            received = now - datetime.timedelta(minutes=rng.randrange(60 * 24 * 3, 60 * 24 * 730))
        channel = TicketChannel.EMAIL if rng.random() < 0.3 else TicketChannel.PORTAL
        priority = sla.intake_priority(channel, rng.choice(priorities))
        kind = rng.choice(kinds)
        ent = entitlements[organization.pk]
        deadline = sla.resolve_deadline(
            ent, kind=kind, channel=channel, priority=priority, received_at=received, changes=changes
        )
        due, at_risk_due = deadline.due_at, deadline.at_risk_at
        first_response = at_risk_mark = breached = None
        if answered:
            if due is not None:
                late = rng.random() < 0.12
                first_response = due + (due - received) / 3 if late else received + (due - received) * rng.random()
                first_response = max(first_response, received + minute)
            else:
                first_response = received + datetime.timedelta(hours=rng.randrange(1, 48))
            first_response = min(first_response, now - minute)
        if due is not None:
            stop = first_response or now
            if at_risk_due <= stop:
                at_risk_mark = at_risk_due
            if due <= stop:
                breached = due
        if is_open:
            status = rng.choice([Status.NEW, Status.OPEN, Status.OPEN]) if not answered else Status.OPEN
            waiting_on = WaitingOn.US if not answered or rng.random() < 0.5 else WaitingOn.CUSTOMER
            if waiting_on == WaitingOn.CUSTOMER and rng.random() < 0.5:
                status = Status.PENDING_CUSTOMER
            waiting_since = received if not answered else first_response + (now - first_response) * rng.random()
            solved = None
        else:
            status = Status.SOLVED if rng.random() < 0.05 else Status.CLOSED
            waiting_on, waiting_since = "", None
            solved = (first_response or received) + datetime.timedelta(hours=rng.randrange(1, 96))
            solved = min(solved, now - minute)
        assignee = None
        if rng.random() < 0.5:
            assignee = me if rng.random() < 0.4 else agents[rng.randrange(1, len(agents))]
        response_minutes = None
        if first_response is not None and deadline.calendar:  # as the services record it (the reports' rollups)
            elapsed = calendar_for(deadline.calendar, changes).elapsed(deadline.clock_start or received, first_response)
            response_minutes = max(0, int(elapsed.total_seconds() // 60))
        key = tuple(c.as_json()["policy"] + str(c.target_minutes) + c.calendar for c in deadline.candidates)
        if key not in candidates_json:
            candidates_json[key] = json.dumps([c.as_json() for c in deadline.candidates])
        subject = " ".join(rng.choice(WORDS) for _ in range(6)).capitalize()
        updated = max(x for x in (received, first_response, waiting_since, solved) if x is not None)
        description = subject + ". " + " ".join(rng.choice(WORDS) for _ in range(30))
        row = (
            pk,
            organization.pk,
            organization.name,
            requester.pk,
            "",
            subject,
            description,
            kind,
            priority,
            channel,
            status,
            assignee.pk if assignee else None,
            received,
            ent.tier or "",
            deadline.policy or "",
            deadline.target_minutes,
            deadline.calendar or "",
            deadline.clock_start,
            candidates_json[key],
            deadline.note[:300],
            due,
            at_risk_due,
            first_response,
            at_risk_mark,
            breached,
            False,
            ent.premium,
            waiting_on,
            waiting_since,
            solved,
            "[]",
            received,
            updated,
            response_minutes,
            True,
        )
        said = [(requester.pk, description, True, False, channel, received)]
        if first_response is not None:
            said.append(((assignee or me).pk, "Thanks, we are looking into it.", True, True, "portal", first_response))
            said.append((requester.pk, "Thank you, more details below.", True, False, channel, first_response + minute))
        else:
            said.append((requester.pk, "Any news on this?", True, False, channel, received + minute))
            said.append((me.pk, "Checking the logs first.", False, False, "portal", received + 2 * minute))
        comments = [
            (pk, author, "", body, public, staff, via, at, False, "") for author, body, public, staff, via, at in said
        ]
        yield _plain(row), [_plain(comment) for comment in comments]


def _plain(row: tuple) -> tuple:
    # Choices are enum members; COPY wants their stored values.
    return tuple(value.value if isinstance(value, enum.Enum) else value for value in row)


TICKET_COLUMNS = (
    "id, organization_id, organization_name, requester_id, requester_label, subject, description, kind, priority, "
    "channel, status, "
    "assignee_id, received_at, tier, sla_policy, sla_target_minutes, sla_calendar, sla_clock_start, sla_candidates, "
    "sla_note, first_response_due_at, at_risk_due_at, first_response_at, at_risk_at, breached_at, "
    "needs_account_review, premium, waiting_on, waiting_since, solved_at, suggested_articles, created_at, updated_at, "
    "first_response_minutes, sender_verified"
)
COMMENT_COLUMNS = (
    "ticket_id, author_id, author_label, body, public, is_staff_reply, channel, created_at, is_automatic, external_id"
)


def load(url: str, n: int, *, now: datetime.datetime) -> dict:
    """Loads N tickets with COPY; returns the seconds each step took."""
    import psycopg
    from django.core.management import call_command

    timings = {}
    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    agents, organizations, customers = people_and_organizations(now)
    timings["migrate and people"] = time.perf_counter() - started
    rng = random.Random(19)
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        indexes = conn.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.tablename IN ('tickets_ticket', 'tickets_comment') AND i.schemaname = 'public'
               AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)"""
        ).fetchall()
        for name, _ in indexes:
            conn.execute(f'DROP INDEX "{name}"')
    step = time.perf_counter()
    # Two connections, two COPY streams: tickets and their comments go in side by side.
    with psycopg.connect(_dsn(url)) as tickets_conn, psycopg.connect(_dsn(url)) as comments_conn:
        for conn in (tickets_conn, comments_conn):
            conn.execute("SET session_replication_role = replica")  # no FK triggers during the load (superuser)
        with (
            tickets_conn.cursor().copy(f"COPY tickets_ticket ({TICKET_COLUMNS}) FROM STDIN") as tickets_copy,
            comments_conn.cursor().copy(f"COPY tickets_comment ({COMMENT_COLUMNS}) FROM STDIN") as comments_copy,
        ):
            for row, thread in ticket_rows(
                n, organizations=organizations, customers=customers, agents=agents, now=now, rng=rng
            ):
                tickets_copy.write_row(row)
                for comment in thread:
                    comments_copy.write_row(comment)
        tickets_conn.commit()
        comments_conn.commit()
    timings["tickets and comments (rows computed, COPY)"] = time.perf_counter() - step
    step = time.perf_counter()
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        for _, definition in indexes:
            conn.execute(definition)
        for table in ("tickets_ticket", "tickets_comment"):
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT coalesce(max(id), 1) FROM {table}))"  # noqa: S608
            )
    timings["indexes"] = time.perf_counter() - step
    try:
        from tickets.tally import tally_rebuild  # the COPY bypassed the trigger that keeps the queue's tally
    except ImportError:  # a branch from before the tally
        pass
    else:
        step = time.perf_counter()
        tally_rebuild()
        timings["queue tally rebuilt"] = time.perf_counter() - step
    try:
        from tickets.reports.rollups import rebuild_report_rollups  # the COPY bypassed the services that keep them
    except ImportError:  # a branch from before the reports' rollups
        pass
    else:
        step = time.perf_counter()
        rebuild_report_rollups()
        timings["report rollups rebuilt"] = time.perf_counter() - step
    step = time.perf_counter()
    with psycopg.connect(_dsn(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tickets_ticket")
        conn.execute("VACUUM ANALYZE tickets_comment")
        conn.execute("VACUUM ANALYZE")  # the rollups, the tally and the rest, as autovacuum soon would
    timings["vacuum analyze"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - started
    return timings


# Measuring --------------------------------------------------------------------------------------------


def as_served(redis_url: str):
    """This process's settings made like the served portal's where a page can tell: the cache and the sessions
    (a session made here must be found there; a query count taken here must be the served page's)."""
    from django.conf import settings
    from django.test import override_settings

    if not redis_url:
        return contextlib.nullcontext()
    cache = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url,
        "KEY_PREFIX": settings.CACHE_KEY_PREFIX,
    }
    return override_settings(
        CACHES={**settings.CACHES, "default": cache}, SESSION_ENGINE="django.contrib.sessions.backends.cache"
    )


def session_cookie(user) -> str:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def bench_redis() -> str:
    """The Redis database the served portal keeps its cache and sessions in, as in production (README), emptied
    here; "" when no Redis answers (then sessions are read from PostgreSQL, one more query a page)."""
    url = os.environ.get("SCALE_REDIS_URL", DEFAULT_REDIS_URL)
    if not url:
        return ""
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2).flushdb()
    except redis.RedisError as error:
        print(f"no Redis at {url} ({error}): sessions are read from PostgreSQL")
        return ""
    return url


def serve(url: str, redis_url: str) -> subprocess.Popen:
    env = dict(
        os.environ,
        DATABASE_URL=url,
        DEBUG="false",
        SECRET_KEY=SECRET_KEY,
        CONN_MAX_AGE="60",
        # Cache and sessions in Redis, as in production. The pages measured enqueue nothing; should one, the task
        # waits in this bench-only Redis database, which nothing consumes and which is emptied.
        REDIS_URL=redis_url,
        MFA_REQUIRED_FOR_STAFF="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
    )
    process = subprocess.Popen(  # noqa: S603 -- our own gunicorn
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "config.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            probe.request("GET", "/healthz")  # the health check: 200 once Django answers with its database up
            if probe.getresponse().status == 200:
                return process
        except OSError:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def fetch(path: str, cookie: str) -> tuple[float, int, bytes]:
    started = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=120)
    conn.request("GET", path, headers={"Cookie": f"sessionid={cookie}", "Accept": "text/html,application/json"})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return (time.perf_counter() - started) * 1000, response.status, body


def query_count(path: str, user) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    client.get(path)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code in (200, 302), (path, response.status_code)
    return len(queries)


def measure(name: str, path: str, user, cookie: str, requests: int) -> dict:
    warm = 0.0
    for _ in range(3):
        warm, status, _ = fetch(path, cookie)
        if status != 200:
            raise SystemExit(f"{name}: {path} answered {status}")
    count = requests if warm < 3000 else 3  # a page that takes seconds is timed fewer times (said in the table)
    times = sorted(fetch(path, cookie)[0] for _ in range(count))
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return {
        "page": name,
        "path": path,
        "median": statistics.median(times),
        "p95": p95,
        "n": count,
        "queries": query_count(path, user),
    }


def deep_api_path(user) -> str:
    """The staff API list half-way through the tickets: a page number, or a cursor at that row."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    data = client.get("/api/v1/tickets/").json()
    if "count" in data:
        return f"/api/v1/tickets/?page={max(1, data['count'] // 50 // 2)}"
    from config.pagination import KeysetPagination
    from tickets.models import Ticket

    ordered = Ticket.objects.order_by("-received_at", "-pk")
    middle = ordered[ticket_total() // 2]
    return "/api/v1/tickets/?cursor=" + KeysetPagination.cursor_after(ordered, middle)


def pages(agent, admin, manager, biggest_ticket, contract) -> list[tuple[str, str, object]]:
    return [
        ("staff queue (default)", "/tickets/queue/", agent),
        ("staff queue, page 100", "/tickets/queue/?page=100", agent),
        ("staff queue, view breached", "/tickets/queue/?view=breached", agent),
        ("staff queue, view mine", "/tickets/queue/?view=mine", agent),
        ("staff queue, view unassigned", "/tickets/queue/?view=unassigned", agent),
        ("staff queue, sort priority", "/tickets/queue/?sort=priority", agent),
        ("staff queue, sort updated", "/tickets/queue/?sort=updated", agent),
        ("staff queue, sort organization", "/tickets/queue/?sort=organization", agent),
        ("staff queue, sort waiting", "/tickets/queue/?sort=waiting", agent),
        ("staff home", "/", agent),
        ("staff API list", "/api/v1/tickets/", agent),
        ("staff API list, deep", None, agent),
        ("staff API list, open by deadline", "/api/v1/tickets/?open=true&ordering=deadline", agent),
        ("staff ticket page", f"/tickets/{biggest_ticket}/work/", agent),
        ("customer dashboard", "/", admin),
        ("customer ticket list", "/tickets/", admin),
        ("customer ticket list, solved", "/tickets/?status=solved", admin),
        ("customer API list", "/api/v1/tickets/", admin),
        ("customer contract hours (API)", f"/api/v1/contracts/{contract}/hours/", admin),
        ("customer hours statement", "/hours/statement/", admin),
        ("staff reports", "/tickets/reports/", agent),
        ("account manager home", "/manager/", manager),
    ]


def explain(agent) -> None:
    """EXPLAIN ANALYZE of the queries behind the queue, the home's counts and the API list."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(agent)
    for path in ("/tickets/queue/", "/", "/api/v1/tickets/", "/tickets/queue/?view=breached"):
        client.get(path)
        with CaptureQueriesContext(connection) as queries:
            client.get(path)
        for query in queries.captured_queries:
            sql = query["sql"]
            if "tickets_ticket" not in sql or "django_session" in sql:
                continue
            print(f"\n-- {path} ({query['time']} s in Django)\n{sql[:600]}")
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n".join(row[0] for row in cursor.fetchall()))


def sweep_timing(now: datetime.datetime) -> None:
    """The response-target sweep as the beat runs it: once with nothing due, once with marks due."""
    from django.db import connection, transaction

    from tickets.models import OPEN_STATUSES, Ticket
    from tickets.services import sla_sweep

    running = Ticket.objects.filter(
        status__in=OPEN_STATUSES, first_response_at__isnull=True, first_response_due_at__gt=now
    ).count()
    started = time.perf_counter()
    result = sla_sweep()
    first = time.perf_counter() - started
    print(f"\nsweep: {running} open tickets with a running clock; first run {first * 1000:.1f} ms -> {result}")
    started = time.perf_counter()
    result = sla_sweep()
    idle = time.perf_counter() - started
    print(f"sweep again at once (nothing due): {idle * 1000:.1f} ms -> {result}")
    later = now + datetime.timedelta(hours=1)
    with transaction.atomic():  # rolled back: the data stays as loaded for the next run
        started = time.perf_counter()
        result = sla_sweep(now=later)
        busy = time.perf_counter() - started
        transaction.set_rollback(True)
    print(f"sweep one hour later (marks due): {busy * 1000:.1f} ms -> {result}")
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN ANALYZE SELECT id FROM tickets_ticket WHERE first_response_at IS NULL AND breached_at IS NULL "
            "AND first_response_due_at <= now() AND status IN ('new','open','pending_customer','on_hold') "
            "ORDER BY first_response_due_at LIMIT 500 FOR UPDATE SKIP LOCKED"
        )
        print("\n".join(row[0] for row in cursor.fetchall()))


def python_speed() -> float:
    """Seconds for ten million additions in a Python loop (best of three): the same machines differ from one day
    to the next by up to 2×, so a table is read beside this figure (the lower, the faster)."""
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tickets", nargs="?", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database, and reuse it if it holds N tickets")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the main queries")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--only", default="", help="comma-separated words: measure only pages whose name has one")
    parser.add_argument("--skip", default="", help="comma-separated words: leave out pages whose name has one")
    parser.add_argument("--no-sweep", action="store_true")
    options = parser.parse_args()
    url = os.environ.get("SCALE_DATABASE_URL", DEFAULT_URL)
    reuse = options.keep and database_exists(url)
    if not reuse:
        database_recreate(url)
    setup_django(url)
    from django.db import connection
    from django.utils import timezone

    from portal.models import User
    from tickets.models import Ticket

    now = timezone.now()
    if reuse and ticket_total() != options.tickets:
        connection.close()
        database_recreate(url)
        reuse = False
    if reuse:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # a branch's new migrations, on the loaded data
    else:
        print(f"loading {options.tickets:,} tickets ...", flush=True)
        for step, seconds in load(url, options.tickets, now=now).items():
            print(f"  {step}: {seconds:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SHOW shared_buffers")
        buffers = cursor.fetchone()[0]
        cursor.execute("SHOW work_mem")
        work_mem = cursor.fetchone()[0]
    print(
        f"PostgreSQL {connection.pg_version}: shared_buffers={buffers}, work_mem={work_mem} (defaults); "
        f"{os.cpu_count()} cores; this machine's Python speed: {python_speed():.2f} s"
    )
    agent = User.objects.get(email="agent0@bench.test")
    admin = User.objects.get(email="c0@org1.bench.test")
    manager = User.objects.get(email="am@bench.test")
    open_count = Ticket.objects.open().count()
    print(f"{ticket_total():,} tickets, {open_count:,} open")
    biggest = Ticket.objects.filter(organization=admin.organization).order_by("-pk").values_list("pk", flat=True)[0]
    if options.explain:
        explain(agent)
    redis_url = bench_redis()
    server = serve(url, redis_url)
    rows = []
    try:
        with as_served(redis_url):  # sessions made and queries counted as the server does
            cookies = {user.pk: session_cookie(user) for user in (agent, admin, manager)}
            wanted = [w for w in options.only.split(",") if w]
            contract = admin.organization.contracts.values_list("pk", flat=True).first()
            for name, path, user in pages(agent, admin, manager, biggest, contract):
                if wanted and not any(w in name for w in wanted):
                    continue
                if any(w and w in name for w in options.skip.split(",")):
                    continue
                if path is None:
                    path = deep_api_path(user)
                rows.append(measure(name, path, user, cookies[user.pk], options.requests))
                row = rows[-1]
                print(
                    f"{row['page']:<36} {row['median']:>9.1f} {row['p95']:>9.1f} {row['queries']:>7} {row['n']:>4}",
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait()
    print(f"\n| page ({options.tickets:,} tickets) | median ms | p95 ms | queries | requests |")
    print("|---|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['page']} | {row['median']:.1f} | {row['p95']:.1f} | {row['queries']} | {row['n']} |")
    if not options.no_sweep:
        sweep_timing(now)
    if not options.keep:
        connection.close()
        _drop(url)


def _drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


if __name__ == "__main__":
    main()
