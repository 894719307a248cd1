"""Benchmark the hours ledger on PostgreSQL: debits per second from concurrent workers, and the balance query
over a ledger of 1,000,000 rows.

Run: .venv/bin/python bench/hours.py [--workers 4] [--debits 250] [--rows 1000000] [--keep]

It uses its own database, `portal_bench` on the local PostgreSQL unless DATABASE_URL names another
(creating and migrating it), and drops it at the end unless --keep: the million rows never land in a
database that the tests or the demo use.

* Debits: each worker is a separate process with its own connection, calling `time_entry_log()` (the
  whole service: entitlements, rules, the row lock, the entry, its history row, the ledger row and the
  balance update, one transaction). Two runs: all workers on one contract year (they queue on its
  balance row's lock, the worst case) and each worker on its own customer. The usage-notice task
  that a debit enqueues after commit is left out: it runs on a Celery worker in production.
* Balance query: the ledger sum of one contract year (`selectors.ledger_totals`, the truth the
  pages and the API show) and the lock-protected balance row, timed over many calls among 1,000,000
  ledger rows spread over 1,000 contract years, plus a hot year that holds 100,000 of them.
"""

from __future__ import annotations

import argparse
import datetime
import io
import multiprocessing
import os
import statistics
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlparse, urlunparse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/portal_bench"


def _admin_url(url: str) -> tuple[str, str]:
    parts = urlparse(url)
    return urlunparse(parts._replace(path="/postgres")).replace("postgres://", "postgresql://", 1), parts.path.lstrip(
        "/"
    )


def ensure_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    admin, name = _admin_url(url)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = ""  # no broker: nothing this bench enqueues may reach a real queue
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from hours.services import ledger

    ledger.usage_check_after_commit = lambda *args, **kwargs: None


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


# Fixtures ---------------------------------------------------------------------------------------------


def make_customer(tag: str, *, today: datetime.date):
    """An Enterprise customer with a large allotment, a configuration ticket and a Solution Architect."""
    from django.contrib.auth.models import Group

    from contracts import services as contract_services
    from portal import roles
    from portal.models import Organization, User
    from tickets.services import ticket_open

    manager = User.objects.filter(email="bench-am@bench.test").first() or User.objects.create_user(
        "bench-am@bench.test", None
    )
    manager.groups.add(Group.objects.get(name=roles.ACCOUNT_MANAGER))
    architect = User.objects.create_user(f"sa-{tag}@bench.test", None)
    architect.groups.add(Group.objects.get(name=roles.SOLUTION_ARCHITECT))
    organization = Organization.objects.create(name=f"Bench {tag}", account_manager=manager)
    contract_services.contract_save(
        actor=manager,
        organization=organization,
        plan="enterprise",
        term_start=today - datetime.timedelta(days=100),
        term_end=today + datetime.timedelta(days=264),
        sa_hours_per_year=Decimal("10000"),
    )
    ticket = ticket_open(
        organization=organization,
        requester=architect,
        subject="Bench",
        description="Bench",
        kind="configuration_request",
    )
    return architect.pk, ticket.pk


def _worker(args) -> tuple[int, float, float]:
    architect_id, ticket_id, debits, start_at = args
    from django.db import connections

    connections.close_all()  # never share the parent's connection
    from hours import services
    from portal import clock
    from portal.models import User
    from tickets.models import Ticket

    architect = User.objects.get(pk=architect_id)
    ticket = Ticket.objects.get(pk=ticket_id)
    today = clock.support_today()
    while time.time() < start_at:
        time.sleep(0.001)
    began = time.perf_counter()
    for _ in range(debits):
        services.time_entry_log(
            architect=architect, ticket=ticket, category="system_setup", minutes=30, work_date=today
        )
    ended = time.perf_counter()
    connections.close_all()
    return debits, began, ended


def run_debits(pairs, debits: int) -> tuple[float, float]:
    """Total debits per second over the workers' common wall time, and the mean milliseconds of one debit."""
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("fork")
    start_at = time.time() + 1.0
    with context.Pool(len(pairs)) as pool:
        results = pool.map(_worker, [(a, t, debits, start_at) for a, t in pairs])
    total = sum(r[0] for r in results)
    wall = max(r[2] for r in results) - min(r[1] for r in results)
    per_debit_ms = statistics.mean((r[2] - r[1]) / r[0] for r in results) * 1000
    return total / wall, per_debit_ms


def check_ledger(pairs) -> int:
    """Minutes the ledger says were used on the bench tickets' contracts, and a check against the balance rows."""
    from hours.models import HoursBalance
    from hours.selectors import ledger_totals
    from tickets.models import Ticket

    used = 0
    for _, ticket_id in {p[1]: p for p in pairs}.values():
        contract = Ticket.objects.get(pk=ticket_id).organization.contracts.get()
        for balance in HoursBalance.objects.filter(contract=contract, engagement__isnull=True):
            granted, adjusted, ledger_used, _ = ledger_totals(
                contract_id=contract.pk, period_start=balance.period_start
            )
            assert (granted, adjusted, ledger_used) == (
                balance.granted_minutes,
                balance.adjusted_minutes,
                balance.used_minutes,
            ), "balance row and ledger disagree"
            used += ledger_used
    return used


# A million rows -----------------------------------------------------------------------------------


def load_ledger(rows: int, *, hot_rows: int, years: int = 1000) -> tuple[int, datetime.date, int, datetime.date]:
    """COPYs `rows` ledger rows over `years` contract years, one of which holds `hot_rows`.

    Returns (contract, period start) of an ordinary year and of the hot one.
    """
    from django.db import connection

    from contracts.models import Contract
    from portal.models import Organization

    contracts_count = years // 5
    run = uuid.uuid4().hex[:8]
    organizations = Organization.objects.bulk_create(
        [Organization(name=f"Load {run} {i}", slug=f"load-{run}-{i}") for i in range(contracts_count)]
    )
    start = datetime.date(2021, 1, 1)
    contracts = Contract.objects.bulk_create(
        [
            Contract(
                organization=o,
                plan="enterprise",
                term_start=start,
                term_end=datetime.date(2025, 12, 31),
                sa_hours_per_year=Decimal("100"),
            )
            for o in organizations
        ]
    )
    period_starts = [datetime.date(2021 + i, 1, 1) for i in range(5)]
    keys = [(c.pk, p) for c in contracts for p in period_starts]
    hot_key = keys[len(keys) // 2]
    normal_key = keys[len(keys) // 3]
    per_year = (rows - hot_rows) // (len(keys) - 1)
    now = "2024-01-01 00:00:00+00"
    buffer = io.StringIO()
    written = 0
    for key in keys:
        count = hot_rows if key == hot_key else per_year
        if key == keys[-1]:
            count = rows - written
        contract_id, period_start = key
        buffer.write(f"{contract_id}\t{period_start}\tgrant\t6000\t\t{now}\n")
        for i in range(count - 1):
            buffer.write(f"{contract_id}\t{period_start}\tdebit\t-{15 * (1 + i % 8)}\tbench\t{now}\n")
        written += count
    buffer.seek(0)
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor().copy(
            "COPY hours_ledgerentry (contract_id, period_start, kind, minutes, reason, created_at) FROM STDIN"
        ) as copy:
            while chunk := buffer.read(1 << 20):
                copy.write(chunk)
    # A table of that age has been vacuumed: its visibility map lets the sum read the index alone.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE hours_ledgerentry")
    from hours.models import LedgerEntry

    assert LedgerEntry.objects.count() >= rows
    return normal_key[0], normal_key[1], hot_key[0], hot_key[1]


def time_query(call, repeat: int) -> tuple[float, float]:
    call()  # warm
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--debits", type=int, default=250, help="debits per worker and run")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--hot-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    options = parser.parse_args()

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/hours.py measures PostgreSQL: set DATABASE_URL to a PostgreSQL database.")
    if urlparse(url).path.lstrip("/") in {"portal", "test_portal", "postgres"}:
        sys.exit("Give the bench a database of its own (default portal_bench): it loads a million rows.")
    ensure_database(url)
    setup_django(url)
    migrate()
    import django
    from django.db import connection

    from hours.models import HoursBalance, LedgerEntry
    from hours.selectors import ledger_totals
    from portal.clock import support_today

    version = connection.cursor().connection.info.server_version
    print(f"hours ledger bench · PostgreSQL {version // 10000}.{version % 10000} · Django {django.get_version()}")
    print(f"database {urlparse(url).path.lstrip('/')} · {options.workers} worker processes × {options.debits} debits")
    try:
        today = support_today()
        shared = make_customer(f"shared-{uuid.uuid4().hex[:6]}", today=today)
        pairs_shared = [shared] * options.workers
        # Every worker needs an architect of its own only for realism; the ticket (and balance row) is shared.
        rate, per_ms = run_debits(pairs_shared, options.debits)
        print(
            f"debits/s, {options.workers} workers, one contract year (one balance row): {rate:,.0f}/s "
            f"({per_ms:.1f} ms per debit per worker)"
        )
        own = [make_customer(f"own-{i}-{uuid.uuid4().hex[:6]}", today=today) for i in range(options.workers)]
        rate, per_ms = run_debits(own, options.debits)
        print(
            f"debits/s, {options.workers} workers, a contract each:                {rate:,.0f}/s "
            f"({per_ms:.1f} ms per debit per worker)"
        )
        used = check_ledger(pairs_shared + own)
        expected = 2 * options.workers * options.debits * 30
        print(f"ledger check: {used:,} minutes used = {expected:,} expected; balance rows equal the ledger sums")
        assert used == expected

        began = time.perf_counter()
        normal_contract, normal_start, hot_contract, hot_start = load_ledger(options.rows, hot_rows=options.hot_rows)
        total = LedgerEntry.objects.count()
        print(
            f"loaded {options.rows:,} ledger rows with COPY in {time.perf_counter() - began:.1f} s "
            f"({total:,} rows in the table)"
        )
        median, p95 = time_query(
            lambda: ledger_totals(contract_id=normal_contract, period_start=normal_start), options.repeat
        )
        rows_normal = LedgerEntry.objects.filter(contract_id=normal_contract, period_start=normal_start).count()
        print(
            f"balance query (ledger sum of one contract year, {rows_normal:,} rows): "
            f"median {median:.2f} ms, p95 {p95:.2f} ms"
        )
        median, p95 = time_query(lambda: ledger_totals(contract_id=hot_contract, period_start=hot_start), 50)
        print(
            f"balance query (ledger sum of the hot year, {options.hot_rows:,} rows):   "
            f"median {median:.2f} ms, p95 {p95:.2f} ms"
        )
        contract_id = HoursBalance.objects.values_list("contract_id", "period_start").first()
        median, p95 = time_query(
            lambda: (
                HoursBalance.objects.filter(
                    contract_id=contract_id[0], period_start=contract_id[1], engagement__isnull=True
                )
                .values_list("granted_minutes", "adjusted_minutes", "used_minutes")
                .get()
            ),
            options.repeat,
        )
        print(
            f"balance row read (what a debit locks):                         median {median:.2f} ms, p95 {p95:.2f} ms"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT SUM(minutes) FROM hours_ledgerentry "
                "WHERE contract_id = %s AND period_start = %s AND engagement_id IS NULL",
                [normal_contract, normal_start],
            )
            plan = " / ".join(line[0].strip() for line in cursor.fetchall()[:3])
        print(f"plan: {plan}")
    finally:
        from django.db import connections

        connections.close_all()
        if not options.keep:
            drop_database(url)
            print(f"dropped the bench database {urlparse(url).path.lstrip('/')}")


if __name__ == "__main__":
    main()
