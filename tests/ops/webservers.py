"""Real web server processes for the tests of the several-hosts layout (started and stopped by pid)."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn_servers(count: int, *, env: dict[str, str], log_dir: Path):
    """Starts `count` gunicorn servers of the portal on loopback with `env`; yields their base URLs."""
    processes, urls = [], []
    try:
        for n in range(count):
            port = free_port()
            log = open(log_dir / f"web{n}.log", "wb")  # noqa: SIM115 -- closed with the process below
            processes.append(
                (
                    subprocess.Popen(
                        [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers=1"],
                        cwd=ROOT,
                        env={**os.environ, **env},
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    ),
                    log,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        for url in urls:
            _wait_for(url + "/healthz", processes, log_dir)
        yield urls
    finally:
        for process, _log in processes:
            process.terminate()
        for process, log in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _wait_for(url: str, processes, log_dir: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 -- a loopback URL we built
                return
        except OSError:
            if any(process.poll() is not None for process, _ in processes):
                break
            time.sleep(0.2)
    logs = "\n".join(path.read_text(errors="replace")[-3000:] for path in sorted(log_dir.glob("web*.log")))
    raise AssertionError(f"{url} did not answer:\n{logs}")
