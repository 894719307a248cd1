"""The production layout on one machine, under load: does it hold together?

Starts on loopback, against this machine's PostgreSQL and Redis: WEB gunicorn servers on their own ports,
WORKERS Celery workers and one Celery beat, all sharing one database (its own: `<name>_cluster`, made anew)
and one Redis database (flushed first: give it one nobody else uses). Then `ops/load.py` drives every web
server at once for a fixed time, and the database is checked:

- no answer was a 5xx;
- every ticket has exactly one receipt in the outbox, sent, and no email went out twice;
- the tickets whose deadline had passed are breached, with one alert each, sent once;
- every hours ledger's running sums equal the sum of its rows, and none is overdrawn;
- nothing is left in the outbox or in the Celery queue.

It prints requests per second and p50/p95 per kind of request, kills every process it started (by pid, with
its process group), and exits 1 if an invariant failed.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal CLUSTER_REDIS_URL=redis://127.0.0.1:6379/1 \\
        python ops/cluster_test.py --seconds 60
"""

import argparse
import contextlib
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from email import message_from_string
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "ops"))

import load  # noqa: E402 -- ops/load.py, beside this file

INBOUND_TOKEN = "cluster-test-inbound-token"  # noqa: S105 -- a loopback test's own token


def log(message: str) -> None:
    print(f"[cluster-test {time.strftime('%H:%M:%S')}] {message}", flush=True)


# Setting up -------------------------------------------------------------------------------------------


def cluster_database_url(database_url: str) -> tuple[str, str]:
    """The cluster's own database on the same server: (its URL, its name)."""
    parts = urllib.parse.urlsplit(database_url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit("The cluster test needs PostgreSQL: set DATABASE_URL=postgres://...")
    name = parts.path.lstrip("/") + "_cluster"
    return urllib.parse.urlunsplit(parts._replace(path="/" + name)), name


def recreate_database(database_url: str, name: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(database_url)
    admin_url = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')


def flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def manage(env: dict, *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def prepare(env: dict) -> dict:
    """Tokens for the demo's accounts, and a few tickets whose response deadline has passed; the load's plan."""
    os.environ.update(env)
    import django

    django.setup()
    from django.conf import settings
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from portal import clock
    from portal.models import User
    from tickets import services

    def token(email: str) -> dict:
        user = User.objects.get(email=email)
        return {"email": email, "token": Token.objects.get_or_create(user=user)[0].key}

    customers = ["alice@acme.test", "bob@acme.test", "gina@globex.test", "ian@initech.test", "uma@umbrella.test"]
    # Tickets opened a week ago that nobody answered: the beat's sweep must breach each once.
    late = []
    ian = User.objects.get(email="ian@initech.test")
    gina = User.objects.get(email="gina@globex.test")
    week_ago = timezone.now() - datetime.timedelta(days=7)
    for n, requester in enumerate([ian, gina, ian, gina]):
        ticket = services.ticket_open(
            organization=requester.organization,
            requester=requester,
            subject=f"Late ticket {n}: nobody answered",
            description="Opened a week ago.",
            priority="high",
            now=week_ago + datetime.timedelta(minutes=n),
        )
        late.append(ticket.pk)
    # Configuration work for the SA, on the demo's two customers with Solution Architect hours.
    hours_tickets = [
        services.ticket_open(
            organization=requester.organization,
            requester=requester,
            subject="Configuration work for the load test",
            description="Field mapping.",
            kind="configuration_request",
        ).pk
        for requester in (gina, ian)
    ]
    from tickets.models import Ticket

    return {
        "customers": [token(email) for email in customers],
        "engineer": token("agent@demo.test"),
        "architect": token("sa@demo.test"),
        "tickets": list(Ticket.objects.values_list("pk", flat=True)),
        "late_tickets": late,
        "hours_tickets": hours_tickets,
        "today": clock.support_today().isoformat(),
        "support_email": settings.SUPPORT_EMAIL,
        "inbound_token": INBOUND_TOKEN,
    }


# The processes -----------------------------------------------------------------------------------------


class Processes:
    """Every process the test starts, each in its own process group; stopped by pid, whatever happens."""

    def __init__(self, env: dict, log_dir: Path):
        self.env, self.log_dir, self.started = env, log_dir, []

    def start(self, name: str, *command: str) -> subprocess.Popen:
        output = open(self.log_dir / f"{name}.log", "wb")  # noqa: SIM115 -- closed in stop_all
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.started.append((name, process, output))
        log(f"started {name} (pid {process.pid})")
        return process

    def stop_all(self) -> None:
        for _, process, _ in self.started:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)  # the group led by our pid: its pool children too
        deadline = time.monotonic() + 20
        for name, process, output in self.started:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log(f"{name} (pid {process.pid}) did not stop: killing it")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
            process.wait()
            output.close()
        log(f"stopped {len(self.started)} processes")

    def check_alive(self) -> None:
        dead = [(name, process.returncode) for name, process, _ in self.started if process.poll() is not None]
        if dead:
            raise RuntimeError(f"processes died: {dead}; logs in {self.log_dir}")


def wait_for_health(base: str, *, until, timeout: float, processes: Processes) -> dict:
    deadline = time.monotonic() + timeout
    body = None
    while time.monotonic() < deadline:
        processes.check_alive()
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:  # noqa: S310 -- loopback
                body = json.loads(response.read())
                if until(body):
                    return body
        except OSError:
            pass
        time.sleep(1)
    raise RuntimeError(f"{base}/healthz did not become ready in {timeout:.0f} s: {body}")


# Checking ----------------------------------------------------------------------------------------------


def sent_emails(mail_dir: Path) -> list[tuple[str, str, str]]:
    """(To, Subject, body) of every email the processes sent (Django's file backend, one message per block)."""
    emails = []
    for path in sorted(mail_dir.glob("*.log")):
        for block in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            if block.strip():
                message = message_from_string(block)
                payload = message.get_payload()
                body = payload if isinstance(payload, str) else str(payload[0].get_payload())
                emails.append((message["To"] or "", message["Subject"] or "", body.strip()))
    return emails


def wait_until_drained(redis_url: str, timeout: float) -> None:
    """Until the outbox has nothing pending and the Celery queue is empty."""
    import redis

    from portal.models import OutboxMessage

    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pending = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).count()
        if pending == 0 and client.llen("celery") == 0:
            return
        time.sleep(2)


def check(plan: dict, results: load.Results, mail_dir: Path) -> list[tuple[str, bool, str]]:
    """Each invariant: (what, held, details)."""
    from collections import Counter

    from django.db.models import Count

    from hours.models import HoursBalance, LedgerEntry
    from hours.selectors import ledger_totals
    from portal.models import OutboxMessage
    from tickets.models import SlaAlert, Ticket

    checks = []
    errors = results.server_errors()
    checks.append(("no 5xx answered", errors == 0, f"{errors} server errors of {results.total()} requests"))

    tickets = list(Ticket.objects.values_list("pk", flat=True))
    receipts = Counter(
        int(key.split(":")[1])
        for key in OutboxMessage.objects.filter(key__endswith=":receipt", status="sent").values_list("key", flat=True)
    )
    without = [pk for pk in tickets if receipts[pk] != 1]
    checks.append(
        ("every ticket has exactly one receipt, sent", not without, f"{len(tickets)} tickets; without: {without[:10]}")
    )

    emails = sent_emails(mail_dir)
    twice = [email for email, count in Counter(emails).items() if count > 1]
    checks.append(("no email sent twice", not twice, f"{len(emails)} emails; twice: {[e[:2] for e in twice[:5]]}"))

    late = Ticket.objects.filter(pk__in=plan["late_tickets"])
    not_breached = [t.pk for t in late if t.breached_at is None]
    alerts = dict(
        SlaAlert.objects.filter(ticket_id__in=plan["late_tickets"], kind="breached")
        .values("ticket_id")
        .annotate(n=Count("pk"))
        .values_list("ticket_id", "n")
    )
    breach_notices = OutboxMessage.objects.filter(
        key__in=[f"ticket:{pk}:breached" for pk in plan["late_tickets"]], status="sent"
    ).count()
    held = not not_breached and all(alerts.get(pk) == 1 for pk in plan["late_tickets"])
    held = held and breach_notices == len(plan["late_tickets"])
    checks.append(
        (
            "late tickets breached once, one notice each",
            held,
            f"{len(plan['late_tickets'])} late; not breached {not_breached}; alerts {alerts}; notices {breach_notices}",
        )
    )
    alert_keys = [f"ticket:{t}:{k}" for t, k in SlaAlert.objects.values_list("ticket_id", "kind")]
    unsent = OutboxMessage.objects.filter(key__in=alert_keys).exclude(status="sent").count()
    checks.append(("every alert's notice sent", unsent == 0, f"{len(alert_keys)} alerts, {unsent} not sent"))

    wrong = []
    for balance in HoursBalance.objects.all():
        granted, adjusted, used, _ = ledger_totals(
            contract_id=balance.contract_id, period_start=balance.period_start, engagement_id=balance.engagement_id
        )
        overage = LedgerEntry.objects.filter(
            contract_id=balance.contract_id, period_start=balance.period_start, engagement_id=balance.engagement_id
        ).filter(kind="overage")
        if (granted, adjusted, used) != (balance.granted_minutes, balance.adjusted_minutes, balance.used_minutes):
            wrong.append((balance.pk, "sums differ"))
        elif balance.balance_minutes < 0 and not overage.exists():
            wrong.append((balance.pk, f"overdrawn {balance.balance_minutes}"))
    checks.append(
        (
            "ledgers equal the sum of their rows, none overdrawn",
            not wrong,
            f"{HoursBalance.objects.count()} ledgers, {LedgerEntry.objects.count()} rows; wrong: {wrong}",
        )
    )

    stuck = OutboxMessage.objects.exclude(status="sent").count()
    checks.append(
        ("outbox drained", stuck == 0, f"{OutboxMessage.objects.count()} messages, {stuck} pending or failed")
    )
    return checks


# The run -----------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60, help="how long the load runs")
    parser.add_argument("--web", type=int, default=2, help="gunicorn servers")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers")
    parser.add_argument("--threads", type=int, default=8, help="the load's concurrent clients")
    parser.add_argument("--base-port", type=int, default=8301)
    args = parser.parse_args()

    database_url, database_name = cluster_database_url(os.environ.get("DATABASE_URL", ""))
    redis_url = os.environ.get("CLUSTER_REDIS_URL") or os.environ.get("REDIS_URL", "")
    if not redis_url:
        raise SystemExit("The cluster test needs Redis: set CLUSTER_REDIS_URL (or REDIS_URL); its db is flushed.")
    work_dir = Path(tempfile.mkdtemp(prefix="cluster-test-"))
    mail_dir = work_dir / "mail"
    mail_dir.mkdir()
    env = {
        **os.environ,
        "DJANGO_ENV": "development",
        "DEBUG": "0",
        "SECRET_KEY": "cluster-test-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CACHE_KEY_PREFIX": "cluster",
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "EMAIL_INBOUND_TOKEN": INBOUND_TOKEN,
        "API_THROTTLE_USER": "1000000/minute",
        "MEDIA_ROOT": str(work_dir / "media"),
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    env.pop("AWS_STORAGE_BUCKET_NAME", None)
    log(f"database {database_name} (made anew), Redis {redis_url} (flushed), logs in {work_dir}")
    recreate_database(database_url, database_name)
    flush_redis(redis_url)
    # Migrate once, before any new code serves: as the README says production does.
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    plan = prepare(env)
    (work_dir / "plan.json").write_text(json.dumps(plan))
    log(f"{len(plan['tickets'])} tickets at the start, {len(plan['late_tickets'])} of them late")

    processes = Processes(env, work_dir)
    bases = []
    try:
        for n in range(args.web):
            port = args.base_port + n
            processes.start(
                f"web{n + 1}",
                sys.executable,
                "-m",
                "gunicorn",
                "config.wsgi",
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--timeout=60",
            )
            bases.append(f"http://127.0.0.1:{port}")
        for n in range(args.workers):
            processes.start(
                f"worker{n + 1}",
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=2",
                f"--hostname=worker{n + 1}@%h",
            )
        processes.start(
            "beat",
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "--loglevel=WARNING",
            f"--schedule={work_dir / 'celerybeat-schedule'}",
        )
        for base in bases:
            wait_for_health(base, until=lambda body: body.get("status") == "ok", timeout=90, processes=processes)
        health = wait_for_health(
            bases[0],
            until=lambda body: body.get("worker") == "up" and body.get("scheduler") == "up",
            timeout=90,
            processes=processes,
        )
        log(f"all up: {health}")

        log(f"load: {args.threads} clients on {len(bases)} web servers for {args.seconds:.0f} s")
        results, elapsed = load.run(plan, bases, seconds=args.seconds, threads=args.threads)
        print(results.report(elapsed), flush=True)

        # The sweep runs every minute: wait for one that started after the load, then for the outbox to drain.
        load_ended = datetime.datetime.now(datetime.UTC)
        wait_for_health(
            bases[0],
            until=lambda body: (
                body.get("last_sweep_at") and datetime.datetime.fromisoformat(body["last_sweep_at"]) > load_ended
            ),
            timeout=90,
            processes=processes,
        )
        wait_until_drained(redis_url, timeout=120)
        processes.check_alive()
        health = wait_for_health(bases[1 % len(bases)], until=lambda body: True, timeout=10, processes=processes)
        log(f"after the load: {health}")
        checks = check(plan, results, mail_dir)
    finally:
        processes.stop_all()

    failed = 0
    for what, held, details in checks:
        failed += not held
        print(f"{'PASS' if held else 'FAIL'}  {what}: {details}")
    print(f"cluster-test: {len(checks) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
