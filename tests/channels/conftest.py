import datetime
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from tests.channels.helpers import AUTHSERV, SLACK_SECRET, SLACK_TEAM, SUPPORT, contract_with_channels
from tickets.models import Status
from tickets.services import ticket_change_status, ticket_open


@pytest.fixture(autouse=True)
def _channel_settings(settings, tmp_path):
    settings.SUPPORT_EMAIL = SUPPORT
    settings.EMAIL_INBOUND_TOKEN = "inbound-test-token"
    settings.SLACK_SIGNING_SECRET = SLACK_SECRET
    settings.SLACK_BOT_TOKEN = "xoxb-test-token"
    settings.SLACK_TEAM_ID = SLACK_TEAM
    settings.EMAIL_AUTHSERV_ID = AUTHSERV
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = "https://support.example.test"


@pytest.fixture
def acme_contract(account_manager, acme):
    """Acme: Enterprise with the Slack add-on, its channel C0ACME0001 mapped."""
    return contract_with_channels(
        account_manager, acme, plan="enterprise", add_ons=["slack_channel"], slack_channel_ids=["C0ACME0001"]
    )


@pytest.fixture
def globex_contract(account_manager, globex):
    """Globex: Standard (Growth plan), no Slack, yet a channel C0GLOBEX01 is mapped to it."""
    return contract_with_channels(account_manager, globex, plan="growth", slack_channel_ids=["C0GLOBEX01"])


@pytest.fixture
def world(acme_contract, globex_contract, alice, bob, gina, support_engineer):
    """Two organizations with contracts, their people, and tickets to answer (open and closed)."""
    moment = timezone.now() - datetime.timedelta(hours=2)
    acme_ticket = ticket_open(
        organization=alice.organization,
        requester=alice,
        subject="Orders stuck in sync",
        description="Since Monday orders do not reach the ERP.",
        now=moment,
    )
    closed = ticket_open(
        organization=alice.organization, requester=alice, subject="Old question", description="How?", now=moment
    )
    closed = ticket_change_status(ticket=closed, actor=support_engineer, status=Status.CLOSED)
    globex_ticket = ticket_open(
        organization=gina.organization, requester=gina, subject="Globex secret", description="Private.", now=moment
    )
    return {
        "alice": alice,
        "bob": bob,
        "gina": gina,
        "staff": support_engineer,
        "acme_ticket": acme_ticket,
        "closed": closed,
        "globex_ticket": globex_ticket,
    }


class FakeSlack:
    """A tiny Slack Web API on loopback: records each call and answers like Slack does."""

    def __init__(self):
        self.calls: list[dict] = []
        self.files: dict[str, tuple[str, str, bytes]] = {}  # file id: (name, mimetype, content)
        self.fail_with: int | None = None
        self.error: str | None = None
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                if self.path.endswith("/files.info"):  # slack-sdk posts it as a form
                    self.path = f"{self.path}?{raw.decode()}"
                    self.do_GET()
                    return
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {"raw": raw.decode("utf-8", "replace")}
                fake.calls.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = fake.fail_with or 200
                if fake.error:
                    answer = {"ok": False, "error": fake.error}
                elif status >= 400:
                    answer = {"ok": False, "error": "internal_error"}
                else:
                    answer = {"ok": True, "channel": body.get("channel"), "ts": "1700000000.000200"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                fake.calls.append({"path": self.path, "headers": dict(self.headers), "body": None})
                path, _, query = self.path.partition("?")
                authorized = self.headers.get("Authorization") == "Bearer xoxb-test-token"
                if path.endswith("/files.info"):
                    file_id = dict(part.partition("=")[::2] for part in query.split("&")).get("file", "")
                    if file_id in fake.files and authorized:
                        name, mimetype, content = fake.files[file_id]
                        base = fake.url.removesuffix("api/")
                        info = {
                            "id": file_id,
                            "name": name,
                            "mimetype": mimetype,
                            "size": len(content),
                            "url_private_download": f"{base}files-pri/{file_id}/download/{name}",
                        }
                        self._answer(200, {"ok": True, "file": info})
                    else:
                        self._answer(200, {"ok": False, "error": "file_not_found"})
                    return
                file_id = path.split("/")[2] if path.startswith("/files-pri/") else ""
                if file_id in fake.files and authorized:
                    content = fake.files[file_id][2]
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(content)))
                    self.end_headers()
                    self.wfile.write(content)
                    return
                self._answer(404, {"ok": False})

            def _answer(self, status, answer):
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def posts(self, method: str = "chat.postMessage") -> list[dict]:
        return [c for c in self.calls if c["path"].endswith(method)]


@pytest.fixture
def fake_slack(settings, monkeypatch):
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    fake = FakeSlack()
    fake.thread.start()
    settings.SLACK_API_URL = fake.url
    yield fake
    fake.server.shutdown()
    fake.server.server_close()
