"""A local fake of the part of Asana's REST API (v1.0) the portal reads, served on 127.0.0.1 for the real client.

It answers GET /projects/{gid}/sections and GET /sections/{gid}/tasks the way Asana does: a `data` array, paged
with `limit` and `offset` and a `next_page` object, errors as `{"errors": [{"message": ...}]}`, and a 401 for a
missing or wrong bearer token.
"""

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse


@dataclass
class FakeAsana:
    token: str
    projects: dict = field(default_factory=dict)  # project gid -> [{"gid", "name", "tasks": [task dicts]}]
    failure: tuple[int, str] | None = None  # (status, message) answered to every request while set
    requests: list = field(default_factory=list)
    url: str = ""

    def add_project(self, gid: str, sections: list[tuple[str, str, list[dict]]]) -> None:
        self.projects[gid] = [{"gid": sgid, "name": name, "tasks": tasks} for sgid, name, tasks in sections]

    def section(self, gid: str) -> dict | None:
        for sections in self.projects.values():
            for section in sections:
                if section["gid"] == gid:
                    return section
        return None


def task(gid, name, *, due_on=None, start_on=None, completed=False, completed_at=None, assignee=None) -> dict:
    """A task as Asana returns it with the portal's opt_fields."""
    return {
        "gid": gid,
        "resource_type": "task",
        "name": name,
        "due_on": due_on,
        "start_on": start_on,
        "completed": completed,
        "completed_at": completed_at,
        "assignee": None if assignee is None else {"gid": f"u{gid}", "name": assignee[0], "email": assignee[1]},
    }


def _handler(fake: FakeAsana):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet test output
            pass

        def _send(self, status: int, body: dict) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _error(self, status: int, message: str) -> None:
            self._send(status, {"errors": [{"message": message, "help": "fake"}]})

        def do_GET(self):  # noqa: N802 -- http.server's name
            parsed = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(parsed.query).items()}
            fake.requests.append((parsed.path, query, self.headers.get("Authorization", "")))
            if self.headers.get("Authorization") != f"Bearer {fake.token}":
                return self._error(401, "Not Authorized")
            if fake.failure is not None:
                return self._error(*fake.failure)
            parts = parsed.path.removeprefix("/api/1.0").strip("/").split("/")
            if len(parts) == 3 and parts[0] == "projects" and parts[2] == "sections":
                if parts[1] not in fake.projects:
                    return self._error(404, f"project: Unknown object: {parts[1]}")
                rows = [
                    {"gid": s["gid"], "name": s["name"], "resource_type": "section"} for s in fake.projects[parts[1]]
                ]
            elif len(parts) == 3 and parts[0] == "sections" and parts[2] == "tasks":
                section = fake.section(parts[1])
                if section is None:
                    return self._error(404, f"section: Unknown object: {parts[1]}")
                rows = section["tasks"]
            else:
                return self._error(404, "No matching route for request")
            limit = int(query.get("limit", 100))
            start = int(query.get("offset", 0) or 0)
            page = rows[start : start + limit]
            following = start + limit
            next_page = (
                {"offset": str(following), "path": parsed.path, "uri": f"{fake.url}{parsed.path}?offset={following}"}
                if following < len(rows)
                else None
            )
            return self._send(200, {"data": page, "next_page": next_page})

    return Handler


def serve(token: str):
    """Starts the fake on a free port of 127.0.0.1; returns (fake, stop)."""
    fake = FakeAsana(token=token)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/1.0"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop():
        server.shutdown()
        server.server_close()

    return fake, stop
