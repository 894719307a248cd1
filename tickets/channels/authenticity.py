"""Who really sent an inbound email: signed reply addresses, and the receiving server's verdict.

Two proofs, and nothing else, make a message authenticated (docs/intake.md):
- it was sent to a reply address the portal issued to one person for one ticket
  (`support+t42.u7.k3f9c1d2e4a@demo.test`, an HMAC over the ticket and the person with the secret key), from that
  person's address: authenticated for that ticket;
- the `Authentication-Results` header that our own receiving server added (its authserv-id is the setting
  EMAIL_AUTHSERV_ID) shows `dmarc=pass`, or `dkim=pass` with a signing domain aligned to the From domain.
Headers of any other authserv-id are ignored, and of ours only the topmost counts: a server prepends its header, so
one further down came with the message and may be forged.
"""

import logging
import re
from dataclasses import dataclass
from email.message import Message

import authres
from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

from tickets.channels import mail

logger = logging.getLogger(__name__)

SALT = "tickets.channels.reply-address"
SIGNATURE_CHARS = 12
REPLY_TOKEN = re.compile(rf"^t(\d{{1,18}})\.u(\d{{1,18}})\.k([0-9a-f]{{{SIGNATURE_CHARS}}})$")
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


class Method:
    REPLY_ADDRESS = "reply_address"
    DMARC = "dmarc"
    DKIM = "dkim"
    NONE = ""


@dataclass(frozen=True)
class Verdict:
    """How the sender was authenticated (Method.NONE: not at all), and for which ticket, if by its reply address."""

    method: str = Method.NONE
    ticket_id: int | None = None
    detail: str = ""

    @property
    def is_authenticated(self) -> bool:
        return bool(self.method)


# Signed reply addresses -----------------------------------------------------------------------------------


def _signature(ticket_id: int, user_id: int) -> str:
    return salted_hmac(SALT, f"{ticket_id}.{user_id}", algorithm="sha256").hexdigest()[:SIGNATURE_CHARS]


def reply_address_for(*, ticket_id: int, user_id: int) -> str:
    """The address one person replies to about one ticket: the support address's local part plus a signed token."""
    local, _, domain = settings.SUPPORT_EMAIL.partition("@")
    return f"{local}+t{ticket_id}.u{user_id}.k{_signature(ticket_id, user_id)}@{domain}"


def signed_reply(message: Message) -> tuple[int, int] | None:
    """(ticket id, user id) of a validly signed reply address the message was sent to, or None."""
    local, _, domain = settings.SUPPORT_EMAIL.lower().partition("@")
    for name in RECIPIENT_HEADERS:
        for value in mail.headers_all(message, name):
            for address in mail.addresses(value):
                their_local, _, their_domain = address.partition("@")
                base, plus, token = their_local.partition("+")
                if their_domain != domain or base != local or not plus:
                    continue
                match = REPLY_TOKEN.match(token)
                if match is None:
                    continue
                ticket_id, user_id, signature = int(match[1]), int(match[2]), match[3]
                if constant_time_compare(signature, _signature(ticket_id, user_id)):
                    return ticket_id, user_id
    return None


# The receiving server's verdict -----------------------------------------------------------------------------


def _aligned(signing_domain: str, from_domain: str) -> bool:
    """Relaxed alignment (RFC 7489): the same domain, or one a subdomain of the other's organizational domain.

    Without a public-suffix list we accept the signing domain equal to the From domain or a parent of it that still
    has a dot (acme.test signs mail.acme.test); a bare top-level domain never aligns.
    """
    signing_domain, from_domain = signing_domain.lower().rstrip("."), from_domain.lower().rstrip(".")
    if not signing_domain or not from_domain or "." not in signing_domain:
        return False
    return from_domain == signing_domain or from_domain.endswith("." + signing_domain)


def server_verdict(message: Message, *, sender: str) -> Verdict:
    """The verdict of the topmost Authentication-Results header our server (EMAIL_AUTHSERV_ID) added."""
    ours = (getattr(settings, "EMAIL_AUTHSERV_ID", "") or "").strip().lower()
    if not ours:
        return Verdict(detail="EMAIL_AUTHSERV_ID is not set: no server's verdict is trusted.")
    from_domain = sender.rpartition("@")[2]
    for value in mail.headers_all(message, "Authentication-Results"):
        try:
            parsed = authres.AuthenticationResultsHeader.parse_value(value)
        except Exception:  # authres raises its own errors, and others on hostile input: such a header proves nothing
            logger.info("Unreadable Authentication-Results header ignored: %.200s", value)
            continue
        if str(parsed.authserv_id or "").lower() != ours:
            continue
        for result in parsed.results:
            method, outcome = str(result.method).lower(), str(result.result).lower()
            if method == "dmarc" and outcome == "pass":
                return Verdict(method=Method.DMARC, detail=f"{ours}: dmarc=pass")
        for result in parsed.results:
            method, outcome = str(result.method).lower(), str(result.result).lower()
            if method == "dkim" and outcome == "pass":
                signing = next((str(p.value) for p in result.properties if (p.type, p.name) == ("header", "d")), "")
                if _aligned(signing, from_domain):
                    return Verdict(method=Method.DKIM, detail=f"{ours}: dkim=pass header.d={signing}")
        return Verdict(detail=f"{ours} reports neither dmarc=pass nor an aligned dkim=pass.")
    return Verdict(detail=f"No Authentication-Results header from {ours}.")


def authenticate(message: Message, *, sender: str, sender_user_id: int | None) -> Verdict:
    """The strongest proof the message carries: its signed reply address (from its person), else the server's."""
    signed = signed_reply(message)
    if signed is not None and sender_user_id is not None and signed[1] == sender_user_id:
        return Verdict(method=Method.REPLY_ADDRESS, ticket_id=signed[0], detail="sent to the sender's reply address")
    return server_verdict(message, sender=sender)
