"""Reading a project plan from Asana through the official client (`asana`, API v5).

Only this module talks to Asana. It returns plain values; contracts.services.plans turns them into milestones.
`settings.ASANA_API_URL` is the API's address (tests point it at a local fake of the Asana API).
"""

import datetime
import json
from dataclasses import dataclass

import asana
from asana.rest import ApiException
from django.conf import settings
from urllib3.util.retry import Retry

TASK_FIELDS = "name,due_on,start_on,completed,completed_at,assignee.name,assignee.email"
TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class AsanaTask:
    """One task of the project, with the section it sits in and its place in the plan."""

    gid: str
    name: str
    section: str
    position: int
    due_on: datetime.date | None
    start_on: datetime.date | None
    completed: bool
    completed_at: datetime.datetime | None
    assignee_name: str
    assignee_email: str


@dataclass(frozen=True)
class Fetched:
    """What reading the project gave: its tasks, or why it could not be read (in words staff can act on)."""

    tasks: tuple[AsanaTask, ...] = ()
    error: str = ""


def _client() -> asana.ApiClient:
    configuration = asana.Configuration()
    configuration.access_token = settings.ASANA_TOKEN
    configuration.host = settings.ASANA_API_URL
    # The sync runs again in a quarter of an hour: a brief retry of a busy Asana is enough, and an error is
    # answered as itself (raise_on_status off) so that staff read Asana's reason.
    configuration.retry_strategy = Retry(
        total=2, backoff_factor=0.5, status_forcelist=[429, 502, 503, 504], raise_on_status=False
    )
    return asana.ApiClient(configuration)


def _date(value) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


def _moment(value) -> datetime.datetime | None:
    return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _reason(error: Exception) -> str:
    if isinstance(error, ApiException):
        detail = ""
        body = getattr(error, "body", None) or ""
        if isinstance(body, bytes):
            body = body.decode("utf-8", "replace")
        if '"message"' in body:
            try:
                detail = "; ".join(e.get("message", "") for e in json.loads(body).get("errors", []))
            except ValueError:
                detail = ""
        status = {401: "the token was refused", 403: "the token may not read this project", 404: "no such project"}
        text = status.get(error.status, f"Asana answered {error.status} {error.reason or ''}".strip())
        return f"{text}{': ' + detail if detail else ''}"
    return f"Asana could not be reached ({type(error).__name__}: {error})"


def project_plan(project_gid: str) -> Fetched:
    """Every task of the project, section by section in the project's order; or the reason it could not be read."""
    client = _client()
    sections_api = asana.SectionsApi(client)
    tasks_api = asana.TasksApi(client)
    tasks: list[AsanaTask] = []
    try:
        sections = list(
            sections_api.get_sections_for_project(project_gid, {"opt_fields": "name"}, _request_timeout=TIMEOUT_SECONDS)
        )
        for section in sections:
            for task in tasks_api.get_tasks_for_section(
                section["gid"], {"opt_fields": TASK_FIELDS}, _request_timeout=TIMEOUT_SECONDS
            ):
                assignee = task.get("assignee") or {}
                tasks.append(
                    AsanaTask(
                        gid=str(task["gid"]),
                        name=(task.get("name") or "").strip() or "(untitled task)",
                        section=(section.get("name") or "").strip(),
                        position=len(tasks),
                        due_on=_date(task.get("due_on")),
                        start_on=_date(task.get("start_on")),
                        completed=bool(task.get("completed")),
                        completed_at=_moment(task.get("completed_at")),
                        assignee_name=(assignee.get("name") or "").strip(),
                        assignee_email=(assignee.get("email") or "").strip(),
                    )
                )
    except Exception as error:  # the client raises ApiException, urllib3's errors and more: each is reported
        return Fetched(error=_reason(error))
    return Fetched(tasks=tuple(tasks))
