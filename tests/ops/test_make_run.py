"""`make run` is the whole system: in a temporary copy of the project, the demo's worker and beat come up, the
sweep runs every minute, a ticket whose deadline passed is breached, and one Ctrl-C stops every process."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.ops.webservers import ROOT, free_port

MAKE, GIT = shutil.which("make"), shutil.which("git")
pytestmark = pytest.mark.skipif(MAKE is None or GIT is None, reason="needs make and git")

OPEN_LATE_TICKET = """
import datetime
from django.utils import timezone
from portal.models import User
from tickets import services
ian = User.objects.get(email="ian@initech.test")
ticket = services.ticket_open(organization=ian.organization, requester=ian, subject="Nobody answered",
    description="d", priority="high", now=timezone.now() - datetime.timedelta(days=7))
print("TICKET", ticket.pk)
"""
BREACH_OF = """
from tickets.models import SlaAlert, Ticket
ticket = Ticket.objects.get(pk={pk})
print("BREACH", ticket.breached_at is not None, SlaAlert.objects.filter(ticket=ticket, kind="breached").count())
"""


def _copy_project(target: Path) -> None:
    """The project's files as they are now (tracked and new, not ignored), with their times, and its .venv."""
    files = subprocess.run(
        [GIT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)  # keeps mtimes: the copy's .venv counts as installed
    (target / ".venv").symlink_to(ROOT / ".venv")


def _health(base: str) -> dict | None:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as response:  # noqa: S310 -- loopback
            return json.loads(response.read())
    except (OSError, ValueError):
        return None


def _manage_shell(project: Path, env: dict, code: str) -> str:
    return subprocess.run(
        [str(project / ".venv" / "bin" / "python"), "manage.py", "shell", "-c", code],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_make_run_runs_worker_and_beat_and_one_interrupt_stops_all(tmp_path):
    project = tmp_path / "portal"
    project.mkdir()
    _copy_project(project)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}}
    env.update({"HEARTBEAT_SECONDS": "5", "PYTHON": sys.executable})
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "run.log"
    with open(log_path, "wb") as log:
        run = subprocess.Popen(
            [MAKE, "run", f"PORT={port}"],
            cwd=project,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a process group of its own, as a terminal gives it
        )
    try:
        deadline = time.monotonic() + 240
        health = None
        while time.monotonic() < deadline and run.poll() is None:
            health = _health(base)
            if health and health["worker"] == "up" and health["scheduler"] == "up":
                break
            time.sleep(1)
        assert health and health["worker"] == "up" and health["scheduler"] == "up", log_path.read_text()[-4000:]
        assert health["broker"] == "up" and health["database"] == "up"

        ticket = int(re.search(r"TICKET (\d+)", _manage_shell(project, env, OPEN_LATE_TICKET)).group(1))

        # The beat sends the sweep every minute: last_sweep_at moves on, twice within about two minutes.
        sweeps = set()
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline and len(sweeps) < 2:
            health = _health(base) or {}
            if health.get("last_sweep_at"):
                sweeps.add(health["last_sweep_at"])
            time.sleep(2)
        assert len(sweeps) >= 2, (sweeps, log_path.read_text()[-4000:])
        assert "BREACH True 1" in _manage_shell(project, env, BREACH_OF.format(pk=ticket))
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C
        try:
            run.wait(timeout=30)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.wait()
    started = [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", log_path.read_text())]
    assert len(started) == 3, log_path.read_text()[-4000:]  # web, worker, beat
    time.sleep(1)
    assert [pid for pid in started if _alive(pid)] == []
