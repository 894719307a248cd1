"""Slack helpers: request signatures, message text, and the Web API client (slack-sdk)."""

import html
import re

from django.conf import settings
from django.db.models import Q
from slack_sdk import WebClient
from slack_sdk.signature import Clock, SignatureVerifier

# Plain messages, messages with files, and thread replies also sent to the channel; every other
# subtype (edits, deletions, joins, topic changes, ...) is ignored.
HANDLED_SUBTYPES = ("", "file_share", "thread_broadcast")
NO_TEXT = "(The Slack message had no text.)"
SUBJECT_CHARS = 80

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
