"""Reading inbound email: headers that never raise, the text a person wrote, attachments, references.

Nothing here touches the database; the intake service decides what to do with what is read.
"""

import email
import email.header
import email.policy
import email.utils
import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass, field
from email.message import Message
from html.parser import HTMLParser

from portal.text import size_text  # noqa: F401 -- the intake's messages name sizes through mail.size_text

MAX_TEXT_CHARS = 100_000  # what goes into a ticket; the raw message keeps everything
MAX_HTML_CHARS = 2_000_000  # HTML beyond this is not converted (it would only be truncated afterwards)
MAX_ATTACHMENTS = 50
MAX_MIME_DEPTH = 50  # real mail nests a handful of levels; thousands only exhaust the parser
REFERENCE = r"\d{1,18}-[0-9a-f]{10}"  # tickets.models.ticket_reference(): "<pk>-<10 hex digits>"
TRUNCATION_NOTE = "\n\n[The message was longer; the full original is kept with the raw email.]"

AUTOMATIC_SENDERS = ("mailer-daemon", "postmaster")
AUTOMATIC_PRECEDENCE = ("bulk", "junk", "list")
AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-AutoReply-From", "X-Mail-Autoreply")


@dataclass
class Part:
    """An attachment or inline image taken out of a message."""

    filename: str
    content_type: str
    content: bytes
    inline: bool = False

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass
class Body:
    text: str = ""
    from_html: bool = False
    truncated: bool = False
    parts: list[Part] = field(default_factory=list)
    parts_left_out: int = 0  # beyond MAX_ATTACHMENTS: only the raw message keeps them


def parse(raw: bytes) -> Message:
    """The message as Python's email package reads it (it records defects rather than raising).

    A message whose MIME parts nest deeper than MAX_MIME_DEPTH (or too deep for the parser) is read as its headers
    and its body as plain text, with `too_deep` set: nothing downstream has to walk thousands of levels.
    """
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        if _depth_over(message, MAX_MIME_DEPTH):
            return _flat(raw)
    except RecursionError:
        return _flat(raw)
    message.too_deep = False
    return message


def _depth_over(message: Message, limit: int) -> bool:
    """The MIME tree is deeper than `limit` (walked without recursion)."""
    stack = [(message, 1)]
    while stack:
        part, depth = stack.pop()
        if depth > limit:
            return True
        payload = part.get_payload() if part.is_multipart() else None
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))
    return False


def _flat(raw: bytes) -> Message:
    """The headers of a message too deep to read part by part, with its whole body as plain text."""
    normalised = raw.replace(b"\r\n", b"\n")
    head, _, rest = normalised.partition(b"\n\n")
    message = email.message_from_bytes(head + b"\n\n", policy=email.policy.compat32)
    del message["Content-Type"]
    del message["Content-Transfer-Encoding"]
    message["Content-Type"] = "text/plain; charset=utf-8"
    message.set_payload(rest.decode("utf-8", "replace"), charset="utf-8")
    message = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    message.too_deep = True
    return message


def clean_text(value: str) -> str:
    """Text safe for any database: no NUL characters, and raw 8-bit bytes (which the email package keeps
    as lone surrogates) read as UTF-8, or else as Windows-1252, the usual charset of unlabelled mail."""
    if any("\udc80" <= ch <= "\udcff" for ch in value):
        data = value.encode("utf-8", "surrogateescape")
        try:
            value = data.decode("utf-8")
        except UnicodeDecodeError:
            value = data.decode("windows-1252", "replace")
    value = value.encode("utf-8", "replace").decode("utf-8")
    return value.replace("\x00", "")


def header(message: Message, name: str) -> str:
    """A header's decoded value on one line, or ''; a header too broken to parse falls back to its raw text."""
    try:
        value = message.get(name)
        text = "" if value is None else str(value)
    except Exception:  # the parser can raise on hostile headers; fall back to the raw text
        text = _raw_header(message, name)
    if "\ufffd" in text:
        # Unencoded 8-bit bytes: the parser replaced them, the raw value still has them to decode better.
        raw = _raw_header(message, name)
        if any("\udc80" <= ch <= "\udcff" for ch in raw):
            text = raw
    return clean_text(" ".join(text.split()))


def _raw_header(message: Message, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            try:
                return str(email.header.make_header(email.header.decode_header(value)))
            except Exception:  # an undecodable encoded word: keep the raw text
                return value
    return ""


def headers_all(message: Message, name: str) -> list[str]:
    values = []
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            values.append(clean_text(" ".join(str(value).split())))
    return values


def raw_header_items(message: Message) -> list[tuple[str, str]]:
    """Every header as (name, decoded value), in order, for staff to read."""
    items = []
    for key, _value in message.raw_items():
        items.append((clean_text(key), header_value_safe(message, key, _value)))
    return items


def header_value_safe(message: Message, name: str, raw_value) -> str:
    try:
        decoded = str(email.header.make_header(email.header.decode_header(str(raw_value))))
    except Exception:  # show the raw text of a header that cannot be decoded
        decoded = str(raw_value)
    return clean_text(" ".join(decoded.split()))


def sender_address(message: Message) -> str:
    """The From address in lower case, or '' when there is none that looks like an address."""
    return first_address(header(message, "From"))


def first_address(value: str) -> str:
    for address in addresses(value):
        return address
    return ""


def addresses(value: str) -> list[str]:
    found = []
    for _name, address in email.utils.getaddresses([value]):
        address = address.strip().lower()
        if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address) or re.fullmatch(r"[^@\s<>]+@localhost", address):
            found.append(address)
    return found


def message_id_of(message: Message, raw: bytes) -> tuple[str, bool]:
    """(Message-ID without brackets, derived?) — derived from the raw bytes' sha256 when the header is missing."""
    value = header(message, "Message-ID").strip().strip("<>").strip()
    if value and " " not in value:
        if len(value) > 255:
            return f"sha256-{hashlib.sha256(value.encode()).hexdigest()}@long-message-id.invalid", False
        return value, False
    return derived_message_id(raw), True


def derived_message_id(raw: bytes) -> str:
    """A stable id for a message without a Message-ID: the same bytes delivered twice get the same id."""
    return f"sha256-{hashlib.sha256(raw).hexdigest()}@derived.invalid"


def message_ids(value: str) -> list[str]:
    """The msg-ids named in an In-Reply-To or References header, without brackets."""
    ids = re.findall(r"<([^<>\s]+)>", value)
    if not ids and value.strip() and " " not in value.strip():
        ids = [value.strip()]
    return ids


# Automatic mail ------------------------------------------------------------------------------


def automatic_reason(message: Message) -> str:
    """Why the message is automatic (an auto-reply, a bounce, bulk mail), or '' for a person's message."""
    auto_submitted = header(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return f"Auto-Submitted: {auto_submitted}"
    precedence = header(message, "Precedence").lower()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    for name in AUTOREPLY_HEADERS:
        if header(message, name):
            return f"{name} header"
    sender = sender_address(message)
    if sender.partition("@")[0] in AUTOMATIC_SENDERS:
        return f"sent by {sender}"
    if message.get_content_type() == "multipart/report":
        report = message.get_param("report-type") or "report"
        return f"a delivery report (multipart/report; {report})"
    if header(message, "Return-Path").replace(" ", "") == "<>":
        return "a null Return-Path (a delivery status notification)"
    return ""


# Body and attachments --------------------------------------------------------------------------


def part_text(part: Message) -> str:
    """A text part decoded with its declared charset, then UTF-8, Windows-1252, and Latin-1 (never fails)."""
    payload = part.get_payload(decode=True)
    if payload is None:
        payload = b""
    if isinstance(payload, str):  # pragma: no cover - get_payload(decode=True) returns bytes
        payload = payload.encode("utf-8", "surrogateescape")
    charsets = []
    declared = part.get_content_charset()
    if declared and declared not in ("unknown-8bit", "x-unknown"):
        charsets.append(declared)
    charsets += ["utf-8", "windows-1252"]
    for charset in charsets:
        try:
            return clean_text(payload.decode(charset))
        except (LookupError, UnicodeDecodeError):
            continue
    return clean_text(payload.decode("latin-1"))


def _is_attachment(part: Message) -> bool:
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    if part.get_content_maintype() != "text":
        return True
    if part.get_content_type() not in ("text/plain", "text/html"):
        return True
    return bool(_filename(part)) and disposition != "inline"


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a broken RFC 2231 parameter must not lose the part
        name = ""
    name = clean_text(str(name))
    name = os.path.basename(name.replace("\\", "/"))
    return "".join(ch for ch in name if ch.isprintable()).strip()[:200]


def _as_part(part: Message, index: int) -> Part:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        try:
            content = inner.as_bytes(policy=email.policy.SMTP) if isinstance(inner, Message) else b""
        except Exception:  # a forward too broken to serialise again: keep its text form
            content = str(inner).encode("utf-8", "replace")
        subject = header(inner, "Subject") if isinstance(inner, Message) else ""
        default = f"forwarded-{index}.eml" if not subject else f"{_safe_stem(subject)}.eml"
        return Part(filename=_filename(part) or default, content_type=content_type, content=content)
    content = part.get_payload(decode=True)
    if not isinstance(content, bytes):
        content = b""
    inline = (part.get_content_disposition() or "") == "inline" or bool(part.get("Content-ID"))
    extension = mimetypes.guess_extension(content_type) or ".bin"
    default = f"{'inline' if inline else 'attachment'}-{index}{extension}"
    return Part(filename=_filename(part) or default, content_type=content_type, content=content, inline=inline)


def _safe_stem(text: str) -> str:
    stem = re.sub(r"[^\w\- ]+", "", text, flags=re.UNICODE).strip()[:60]
    return stem or "forwarded"


def body(message: Message) -> Body:
    """The text a person wrote (text/plain preferred, else HTML as text) and the attachments, inline ones too."""
    plain: list[str] = []
    html: list[str] = []
    parts: list[Part] = []
    _walk(message, plain, html, parts)
    if plain:
        text, from_html = "\n\n".join(t for t in plain if t.strip()), False
    else:
        text, from_html = "\n\n".join(html_to_text(h[:MAX_HTML_CHARS]) for h in html), True
    text = normalise_newlines(text).strip("\n")
    truncated = len(text) > MAX_TEXT_CHARS
    if truncated:
        text = text[:MAX_TEXT_CHARS]
    return Body(
        text=text,
        from_html=from_html,
        truncated=truncated,
        parts=parts[:MAX_ATTACHMENTS],
        parts_left_out=max(0, len(parts) - MAX_ATTACHMENTS),
    )


def _walk(part: Message, plain: list[str], html: list[str], parts: list[Part]) -> None:
    content_type = part.get_content_type()
    if content_type == "message/rfc822":
        parts.append(_as_part(part, len(parts) + 1))
        return
    if part.is_multipart():
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        if content_type == "multipart/alternative":
            _walk_alternative(children, plain, html, parts)
        else:
            for child in children:
                _walk(child, plain, html, parts)
        return
    if _is_attachment(part):
        parts.append(_as_part(part, len(parts) + 1))
    elif content_type == "text/html":
        html.append(part_text(part))
    else:
        plain.append(part_text(part))


def _walk_alternative(children: list[Message], plain: list[str], html: list[str], parts: list[Part]) -> None:
    """Text from the best alternative (plain over HTML); attachments and inline images from all of them."""
    branches = []
    for child in children:
        branch_plain: list[str] = []
        branch_html: list[str] = []
        _walk(child, branch_plain, branch_html, parts)
        branches.append((branch_plain, branch_html))
    for branch_plain, _ in branches:
        if any(t.strip() for t in branch_plain):
            plain.extend(branch_plain)
            return
    for _, branch_html in branches:
        if branch_html:
            html.extend(branch_html)
            return


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# HTML to text ----------------------------------------------------------------------------------

BLOCK_TAGS = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tr", "ul",
}  # fmt: skip
PARAGRAPH_TAGS = {"p", "blockquote", "table", "ul", "ol", "pre", "h1", "h2", "h3", "h4", "h5", "h6"}
SKIPPED_TAGS = {"script", "style", "head", "title", "template", "noscript"}


class _TextExtractor(HTMLParser):
    """HTML as plain text: blocks become lines, quotes get '> ', links keep their address, scripts vanish."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote_depth = 0
        self.skip_depth = 0
        self.pre_depth = 0
        self.links: list[tuple[str, int]] = []

    def _flush(self) -> None:
        text = "".join(self.current)
        if self.pre_depth == 0:
            text = " ".join(text.split())
        self.current = []
        prefix = "> " * self.quote_depth
        for line in text.split("\n") if text else []:
            self.lines.append(prefix + line if line else prefix.rstrip())

    def _blank(self) -> None:
        """A paragraph break: one empty line, never two."""
        if self.lines and self.lines[-1].strip("> "):
            self.lines.append(("> " * self.quote_depth).rstrip())

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skip_depth += 1
            return
        if tag == "br":
            if "".join(self.current).strip():
                self._flush()
            else:
                self.current = []
                self.lines.append(("> " * self.quote_depth).rstrip())
            return
        if tag in BLOCK_TAGS:
            self._flush()
            if tag in PARAGRAPH_TAGS:
                self._blank()
        if tag == "blockquote":
            self.quote_depth += 1
        elif tag == "pre":
            self.pre_depth += 1
        elif tag == "li":
            self.current.append("- ")
        elif tag == "hr":
            self.lines.append("-" * 20)
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag == "a":
            href = dict(attrs).get("href") or ""
            self.links.append((href, len("".join(self.current))))
        elif tag == "img":
            alt = dict(attrs).get("alt") or ""
            if alt:
                self.current.append(f"[{alt}]")

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.current)[start:].strip()
            if href.startswith(("http://", "https://")) and href != label:
                self.current.append(f" <{href}>")
            elif href.startswith("mailto:") and href[7:] != label:
                self.current.append(f" <{href[7:]}>")
            return
        if tag in BLOCK_TAGS:
            self._flush()
            if tag in PARAGRAPH_TAGS:
                self._blank()
        if tag == "blockquote":
            self.quote_depth = max(0, self.quote_depth - 1)
            if self.lines and not self.lines[-1].strip("> "):
                self.lines[-1] = ("> " * self.quote_depth).rstrip()
        elif tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data):
        if self.skip_depth:
            return
        self.current.append(data)

    def text(self) -> str:
        self._flush()
        text = "\n".join(line.rstrip() for line in self.lines)
        text = re.sub(r"(\n[> ]*)+$", "", text)  # the empty quote markers a closing blockquote leaves
        return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def html_to_text(html: str) -> str:
    """Readable plain text from an HTML email body (Python's html.parser, nothing rendered or executed)."""
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient, but a pathological document keeps its tags stripped
        return re.sub(r"<[^>]*>", " ", html)
    return parser.text()


# Quoted history and signatures -----------------------------------------------------------------

_STOP_PATTERNS = [
    re.compile(r"^-{2,}\s*original message\s*-{2,}$", re.IGNORECASE),
    re.compile(r"^_{10,}$"),
    re.compile(r"^sent from my \w+", re.IGNORECASE),
    re.compile(r"^get outlook for \w+", re.IGNORECASE),
    re.compile(r"^on .{4,300}wrote:$", re.IGNORECASE),
    re.compile(r"^le .{4,300}a écrit\s?:$", re.IGNORECASE),
    re.compile(r"^am .{4,300}schrieb .{1,200}:$", re.IGNORECASE),
    re.compile(r"^-{5,}\s*forwarded message\s*-{5,}$", re.IGNORECASE),
]
_HEADER_BLOCK = re.compile(r"^(from|von|de)\s*:", re.IGNORECASE)
_HEADER_FOLLOW = re.compile(r"^(sent|date|to|subject|gesendet|envoyé)\s*:", re.IGNORECASE)


def reply_trim(text: str) -> str:
    """The new part of a reply: quoted history ('>' lines, 'On … wrote:', Outlook headers) and signature cut.

    Falls back to the whole text when nothing would be left, so a message is never emptied.
    """
    lines = normalise_newlines(text).split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if line in ("-- ", "--") or stripped == "-- ":
            break
        if any(p.match(stripped) for p in _STOP_PATTERNS):
            break
        if _wrapped_attribution(lines, index):
            break
        if _HEADER_BLOCK.match(stripped) and any(
            _HEADER_FOLLOW.match(ln.strip()) for ln in lines[index + 1 : index + 4]
        ):
            break
        if stripped.startswith(">"):
            continue
        kept.append(line.rstrip())
    trimmed = "\n".join(kept).strip("\n")
    if not trimmed.strip():
        return normalise_newlines(text).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", trimmed)


def _wrapped_attribution(lines: list[str], index: int) -> bool:
    """'On Tue, 3 Mar 2026, Alice <alice@x>' + 'wrote:' on the next line (clients wrap long attributions)."""
    first = lines[index].strip()
    if not re.match(r"^on\s.+", first, re.IGNORECASE) or first.lower().endswith("wrote:"):
        return False
    following = " ".join(ln.strip() for ln in lines[index + 1 : index + 3])
    return bool(re.match(r"^[^\n]{0,200}wrote:", following, re.IGNORECASE)) and ("@" in first or "," in first)


# Ticket references -----------------------------------------------------------------------------


def references_in(message: Message, *, support_email: str) -> list[str]:
    """Ticket references the message names, most trustworthy first: reply headers, reply address, subject.

    They are only candidates: the caller checks each one's signature.
    """
    local, _, domain = support_email.lower().partition("@")
    found: list[str] = []
    ids = message_ids(header(message, "In-Reply-To")) + list(reversed(message_ids(header(message, "References"))))
    notification = re.compile(rf"^ticket\.({REFERENCE})\.[^@]+@{re.escape(domain)}$", re.IGNORECASE)
    for msg_id in ids:
        match = notification.match(msg_id)
        if match:
            found.append(match.group(1).lower())
    address = re.compile(rf"^{re.escape(local)}\+({REFERENCE})@{re.escape(domain)}$", re.IGNORECASE)
    recipients = [header(message, "To"), header(message, "Cc")]
    for name in ("Delivered-To", "X-Original-To", "Envelope-To"):
        recipients += headers_all(message, name)
    for value in recipients:
        for addr in addresses(value):
            match = address.match(addr)
            if match:
                found.append(match.group(1).lower())
    for token in re.findall(rf"\[#({REFERENCE})\]|#({REFERENCE})\b", header(message, "Subject"), re.IGNORECASE):
        found.append((token[0] or token[1]).lower())
    unique: list[str] = []
    for reference in found:
        if reference not in unique:
            unique.append(reference)
    return unique


def replied_message_ids(message: Message) -> list[str]:
    """Message-IDs this message answers (In-Reply-To first), for matching earlier inbound mail."""
    ids = message_ids(header(message, "In-Reply-To")) + list(reversed(message_ids(header(message, "References"))))
    return list(dict.fromkeys(ids))


def is_our_message_id(msg_id: str, *, support_email: str) -> bool:
    domain = support_email.rpartition("@")[2].lower()
    return bool(re.match(rf"^(ticket|inbound)\.[^@]+@{re.escape(domain)}$", msg_id, re.IGNORECASE))


def is_our_address(address: str, *, support_email: str) -> bool:
    """The support address itself, or one of its +reference reply addresses."""
    local, _, domain = support_email.lower().partition("@")
    their_local, _, their_domain = address.lower().partition("@")
    return their_domain == domain and their_local.partition("+")[0] == local


def loop_reason(message: Message, *, support_email: str, own_addresses: tuple[str, ...] = ()) -> str:
    """Why the message is one of ours coming back, or ''."""
    sender = sender_address(message)
    if sender and (is_our_address(sender, support_email=support_email) or sender in own_addresses):
        return f"it comes from our own address {sender}"
    own_id = header(message, "Message-ID").strip().strip("<>")
    if own_id and is_our_message_id(own_id, support_email=support_email):
        return "its Message-ID is one of ours"
    if header(message, "X-Ticket"):
        return "it carries our X-Ticket header"
    return ""
