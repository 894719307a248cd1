"""A bounded load on the portal's web servers: mixed requests by customers, engineers, SAs and the mail server.

Plain HTTP against one or more base URLs (round robin), from a few threads, for a fixed time. It needs no
Django: `ops/cluster_test.py` prepares the accounts (API tokens) and checks the database afterwards.

    python ops/load.py --seconds 60 --plan plan.json http://127.0.0.1:8001 http://127.0.0.1:8002

prints requests per second and p50/p95 per kind of request, and exits 1 if any answer was a 5xx.
"""

import argparse
import datetime
import itertools
import json
import random
import statistics
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

# Relative weights of the kinds of request: what a busy support day looks like, roughly.
WEIGHTS = {
    "customer_open": 14,
    "customer_reply": 12,
    "customer_list": 12,
    "engineer_answer": 14,
    "engineer_priority": 8,
    "sa_log": 10,
    "sa_void": 5,
    "email_inbound": 10,
}


@dataclass
class Results:
    """Every answer's kind, status and latency; thread-safe."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    samples: dict = field(default_factory=lambda: defaultdict(list))  # kind -> [(status, seconds)]
    refusals: Counter = field(default_factory=Counter)  # (kind, status, the answer's `code`) of each 4xx

    def add(self, kind: str, status: int, seconds: float, code: str = "") -> None:
        with self.lock:
            self.samples[kind].append((status, seconds))
            if 400 <= status < 500:
                self.refusals[(kind, status, code)] += 1

    def server_errors(self) -> int:
        return sum(1 for rows in self.samples.values() for status, _ in rows if status >= 500 or status == 0)

    def total(self) -> int:
        return sum(len(rows) for rows in self.samples.values())

    def report(self, elapsed: float) -> str:
        lines = [f"{'kind':<18} {'count':>6} {'2xx':>5} {'4xx':>5} {'5xx':>5} {'p50 ms':>8} {'p95 ms':>8}"]
        for kind in sorted(self.samples):
            rows = self.samples[kind]
            times = sorted(seconds * 1000 for _, seconds in rows)
            p50 = statistics.median(times)
            p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
            ok = sum(1 for s, _ in rows if 200 <= s < 300)
            refused = sum(1 for s, _ in rows if 400 <= s < 500)
            failed = sum(1 for s, _ in rows if s >= 500 or s == 0)
            lines.append(f"{kind:<18} {len(rows):>6} {ok:>5} {refused:>5} {failed:>5} {p50:>8.1f} {p95:>8.1f}")
        for (kind, status, code), count in sorted(self.refusals.items()):
            lines.append(f"  refused: {kind} {status} {code or '(no code)'} x{count}")
        total = self.total()
        lines.append(f"{total} requests in {elapsed:.1f} s: {total / elapsed:.1f} requests/s")
        return "\n".join(lines)


class Load:
    """The shared state of the run: the plan (tokens, ids) and what the requests created so far."""

    def __init__(self, plan: dict, bases: list[str], results: Results):
        self.plan = plan
        self.bases = itertools.cycle(bases)
        self.results = results
        self.lock = threading.Lock()
        self.tickets_by_customer: dict[str, list[int]] = defaultdict(list)
        self.all_tickets: list[int] = list(plan["tickets"])
        self.time_entries: list[int] = []
        self.counter = itertools.count(1)

    def base(self) -> str:
        with self.lock:
            return next(self.bases)

    def call(self, kind: str, method: str, path: str, *, token=None, body=None, raw=None, headers=None):
        """One request; records its kind, status and latency; returns (status, JSON body or None)."""
        headers = dict(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        elif raw is not None:
            data = raw
        if token:
            headers["Authorization"] = f"Token {token}"
        request = urllib.request.Request(self.base() + path, data=data, method=method, headers=headers)  # noqa: S310
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 -- our own loopback servers
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        except OSError:
            status, payload = 0, b""  # no answer at all: counted as a server error
        elapsed = time.perf_counter() - start
        try:
            body = json.loads(payload) if payload else None
        except ValueError:
            body = None
        self.results.add(kind, status, elapsed, body.get("code", "") if isinstance(body, dict) else "")
        return status, body

    # The kinds of request ------------------------------------------------------------------------------

    def customer_open(self, rng: random.Random) -> None:
        customer = rng.choice(self.plan["customers"])
        n = next(self.counter)
        status, body = self.call(
            "customer_open",
            "POST",
            "/api/v1/tickets/",
            token=customer["token"],
            body={
                "subject": f"Load ticket {n}: orders not syncing",
                "description": f"Orders from the shop stopped syncing ({uuid.uuid4().hex}).",
                "kind": rng.choice(["question", "incident"]),
                "priority": rng.choice(["normal", "normal", "high", "low"]),
            },
        )
        if status == 201:
            with self.lock:
                self.tickets_by_customer[customer["email"]].append(body["id"])
                self.all_tickets.append(body["id"])

    def customer_reply(self, rng: random.Random) -> None:
        customer = rng.choice(self.plan["customers"])
        with self.lock:
            mine = list(self.tickets_by_customer[customer["email"]])
        if not mine:
            return self.customer_list(rng)
        self.call(
            "customer_reply",
            "POST",
            f"/api/v1/tickets/{rng.choice(mine)}/comments/",
            token=customer["token"],
            body={"body": f"Any news? ({next(self.counter)})"},
        )

    def customer_list(self, rng: random.Random) -> None:
        customer = rng.choice(self.plan["customers"])
        self.call("customer_list", "GET", "/api/v1/tickets/", token=customer["token"])

    def _some_ticket(self, rng: random.Random) -> int:
        with self.lock:
            return rng.choice(self.all_tickets)

    def engineer_answer(self, rng: random.Random) -> None:
        self.call(
            "engineer_answer",
            "POST",
            f"/api/v1/tickets/{self._some_ticket(rng)}/comments/",
            token=self.plan["engineer"]["token"],
            body={"body": f"We are looking into it ({next(self.counter)}).", "public": True},
        )

    def engineer_priority(self, rng: random.Random) -> None:
        self.call(
            "engineer_priority",
            "PATCH",
            f"/api/v1/tickets/{self._some_ticket(rng)}/",
            token=self.plan["engineer"]["token"],
            body={"priority": rng.choice(["high", "normal", "low"]), "priority_reason": "Impact reassessed."},
        )

    def sa_log(self, rng: random.Random) -> None:
        status, body = self.call(
            "sa_log",
            "POST",
            "/api/v1/time-entries/",
            token=self.plan["architect"]["token"],
            body={
                "ticket": rng.choice(self.plan["hours_tickets"]),
                "category": "system_setup",
                "work_date": self.plan["today"],
                "minutes": rng.choice([15, 30, 45, 60]),
                "note": f"Mapping fields ({next(self.counter)}).",
            },
        )
        if status == 201:
            with self.lock:
                self.time_entries.append(body["id"])

    def sa_void(self, rng: random.Random) -> None:
        with self.lock:
            entry = self.time_entries.pop(rng.randrange(len(self.time_entries))) if self.time_entries else None
        if entry is None:
            return self.sa_log(rng)
        self.call(
            "sa_void",
            "POST",
            f"/api/v1/time-entries/{entry}/void/",
            token=self.plan["architect"]["token"],
            body={"reason": "Logged on the wrong day."},
        )

    def email_inbound(self, rng: random.Random) -> None:
        sender = rng.choice(self.plan["customers"])["email"]
        message = EmailMessage()
        message["From"] = sender
        message["To"] = self.plan["support_email"]
        message["Subject"] = f"Load email {next(self.counter)}: stock levels wrong"
        message["Date"] = format_datetime(datetime.datetime.now(datetime.UTC))
        message["Message-ID"] = make_msgid(domain="load.test")
        message.set_content("Hello,\n\nThe stock levels in the shop differ from the ERP.\n")
        self.call(
            "email_inbound",
            "POST",
            "/integrations/email/inbound/",
            raw=message.as_bytes(),
            headers={"Content-Type": "message/rfc822", "Authorization": f"Bearer {self.plan['inbound_token']}"},
        )


def run(plan: dict, bases: list[str], *, seconds: float, threads: int, seed: int = 18) -> tuple[Results, float]:
    """Drives the servers for `seconds` from `threads` threads; returns the results and the time it took."""
    results = Results()
    load = Load(plan, bases, results)
    kinds = list(WEIGHTS)
    weights = [WEIGHTS[k] for k in kinds]
    stop_at = time.monotonic() + seconds

    def worker(n: int) -> None:
        rng = random.Random(seed * 1000 + n)  # noqa: S311 -- a load's choices, not secrets
        while time.monotonic() < stop_at:
            getattr(load, rng.choices(kinds, weights)[0])(rng)

    start = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results, time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("bases", nargs="+", help="the web servers' base URLs")
    parser.add_argument("--plan", required=True, help="JSON written by ops/cluster_test.py's preparation")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    with open(args.plan) as handle:
        plan = json.load(handle)
    results, elapsed = run(plan, args.bases, seconds=args.seconds, threads=args.threads)
    print(results.report(elapsed))
    return 1 if results.server_errors() else 0


if __name__ == "__main__":
    raise SystemExit(main())
