"""Slack helpers: request signatures, message text, and the Web API client (slack-sdk)."""

import hmac
import html
import re
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q
from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier

from portal.refusals import Refusal

# Plain messages, messages with files, and thread replies also sent to the channel; every other
# subtype (edits, deletions, joins, topic changes, ...) is ignored.
HANDLED_SUBTYPES = ("", "file_share", "thread_broadcast")
NO_TEXT = "(The Slack message had no text.)"
SUBJECT_CHARS = 80
SLACK_FILE_HOSTS = ("files.slack.com",)

# Tests replace the clock to check the five-minute replay window.
clock = Clock()


def signature_valid(body: bytes, *, timestamp: str | None, signature: str | None) -> bool:
    """Slack's v0 signature over the raw body, and a timestamp within five minutes of now."""
    secret = settings.SLACK_SIGNING_SECRET
    if not secret or not timestamp or not signature or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    try:
        return SignatureVerifier(secret, clock=clock).is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, UnicodeDecodeError):
        return False


def client() -> WebClient:
    return WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=10)


def team_allowed(payload: dict) -> bool:
    """The event comes from the workspace the app is installed in (SLACK_TEAM_ID)."""
    expected = settings.SLACK_TEAM_ID
    team = payload.get("team_id")
    return bool(expected) and isinstance(team, str) and hmac.compare_digest(team.encode(), expected.encode())


@dataclass(frozen=True)
class SharedFile:
    name: str
    content_type: str
    content: bytes


def _file_host_allowed(url: str) -> bool:
    """The bot token is only ever sent to Slack's file host or to the configured API's own origin."""
    target = urllib.parse.urlsplit(url)
    api = urllib.parse.urlsplit(settings.SLACK_API_URL)
    if (target.scheme, target.netloc) == (api.scheme, api.netloc):
        return True
    return target.scheme == "https" and target.hostname in SLACK_FILE_HOSTS


def file_download(file_id: str, *, limit: int) -> SharedFile:
    """A file shared in Slack, fetched through the Web API (files.info, then its private download URL).

    Raises a Refusal for a file over `limit` bytes or at an address that is not Slack's."""
    info = client().files_info(file=file_id).get("file") or {}
    name = str(info.get("name") or info.get("title") or f"{file_id}.bin")[:200]
    size = info.get("size")
    if isinstance(size, int) and size > limit:
        raise Refusal("file_too_large", f"{name} is {size} bytes, over the {limit} bytes limit")
    url = str(info.get("url_private_download") or info.get("url_private") or "")
    if not _file_host_allowed(url):
        raise Refusal("file_not_slack", f"{name} is not at an address of Slack's")
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {settings.SLACK_BOT_TOKEN}"})  # noqa: S310 -- host checked above
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- host checked above
        content = response.read(limit + 1)
    if len(content) > limit:
        raise Refusal("file_too_large", f"{name} is over the {limit} bytes limit")
    content_type = str(info.get("mimetype") or "application/octet-stream")[:150]
    return SharedFile(name=name, content_type=content_type, content=content)


def shared_file_ids(event: dict) -> list[str]:
    files = event.get("files") if isinstance(event.get("files"), list) else []
    return [str(f["id"])[:32] for f in files if isinstance(f, dict) and f.get("id")][:20]


def same_thread(root_ts: str) -> Q:
    """SlackEvent rows of a thread: its first message (no thread_ts) and the replies in it."""
    return Q(thread_ts=root_ts) | Q(thread_ts="", ts=root_ts)


_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def _link(match: re.Match) -> str:
    target, label = match.group(1), match.group(2)
    if target.startswith("@"):
        return f"@{label or target[1:]}"
    if target.startswith("#"):
        return f"#{label or target[1:].split('|')[0]}"
    if target.startswith("!"):
        return f"@{label or target[1:]}"
    if label and label != target:
        return f"{label} ({target.removeprefix('mailto:')})"
    return target.removeprefix("mailto:")


def message_text(event: dict) -> str:
    """The message as plain text: Slack's <links|labels> and mentions readable, files listed."""
    text = str(event.get("text") or "")
    text = html.unescape(_LINK.sub(_link, text)).replace("\x00", "").strip()
    files = event.get("files") if isinstance(event.get("files"), list) else []
    notes = []
    for item in files:
        if isinstance(item, dict):
            name = str(item.get("name") or item.get("title") or "file")
            link = str(item.get("permalink") or "")
            notes.append(f"[Slack file: {name}{f' <{link}>' if link else ''}]")
    return "\n\n".join(part for part in [text, "\n".join(notes)] if part)


def subject_from(text: str, *, channel_name: str) -> str:
    """The first line of the message, shortened, or a subject naming the channel."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first or first == NO_TEXT:
        return f"Slack message in #{channel_name}"
    return first if len(first) <= SUBJECT_CHARS else first[: SUBJECT_CHARS - 1].rstrip() + "…"
