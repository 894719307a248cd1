"""The email corpus: messages built in code (EmailMessage, email.mime and raw bytes), each with its outcome.

A case's builder takes the test world (people and tickets) and returns the raw bytes a mail server
would pipe; its check asserts what the message became.
"""

import base64
import quopri
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.image import MIMEImage
from email.mime.message import MIMEMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, make_msgid

from django.utils import timezone

from tests.channels.helpers import passed
from tickets.channels.authenticity import reply_address_for
from tickets.models import Attachment, Comment

SUPPORT = "support@demo.test"
ALICE = "Alice Acme <alice@acme.test>"
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


UNVERIFIED = "new_ticket_unverified"


@dataclass
class Case:
    id: str
    build: Callable[[dict], bytes]
    status: str
    reason_code: str
    check: Callable[[dict, object], None] | None = None


def notification_id(ticket, what: str = "staff_reply") -> str:
    return f"<ticket.{ticket.reference}.{what}.0123456789ab@demo.test>"


def message(
    *,
    frm: str | None = ALICE,
    to: str = SUPPORT,
    subject: str | None = "Inventory counts are off",
    body: str = "Hello,\n\nThe counts for SKU 1234 differ between the shop and the ERP.\n\nAlice",
    headers: dict | None = None,
    message_id: bool = True,
    date: bool = True,
    verified: bool = True,
) -> EmailMessage:
    """A message; `verified`: our receiving server (AUTHSERV) says it passed DMARC for its From domain."""
    msg = EmailMessage()
    if verified and frm is not None:
        msg["Authentication-Results"] = passed(frm.rpartition("@")[2].strip(">"))
    if frm is not None:
        msg["From"] = frm
    msg["To"] = to
    if subject is not None:
        msg["Subject"] = subject
    if date:
        msg["Date"] = format_datetime(timezone.now())
    if message_id:
        msg["Message-ID"] = make_msgid(domain="acme.test")
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    return msg


def raw(text: str) -> bytes:
    """Raw bytes from a literal (LF line endings, the way a mail server pipes a message)."""
    return text.lstrip("\n").encode("latin-1")


def mime_headers(msg, *, frm=ALICE, subject="Inventory counts are off", extra: dict | None = None):
    msg["Authentication-Results"] = passed(frm.rpartition("@")[2].strip(">"))
    msg["From"] = frm
    msg["To"] = SUPPORT
    msg["Subject"] = subject
    msg["Date"] = format_datetime(timezone.now())
    msg["Message-ID"] = make_msgid(domain="acme.test")
    for name, value in (extra or {}).items():
        msg[name] = value
    return msg


# Checks ------------------------------------------------------------------------------------------


def new_ticket(description: str | None = None, subject: str | None = None, requester: str = "alice", **more):
    def check(world, email):
        ticket = email.ticket
        assert ticket is not None
        assert ticket.channel == "email"
        assert ticket.priority == "normal"
        assert ticket.requester == world[requester]
        assert ticket.organization == world[requester].organization
        assert email.organization == ticket.organization
        # Raw literals carry no Authentication-Results: they open a ticket marked for staff.
        assert ticket.sender_verified is (email.reason_code == "new_ticket")
        assert email.authentication == ("" if email.reason_code == UNVERIFIED else "dmarc")
        if description is not None:
            assert ticket.description == description
        if subject is not None:
            assert ticket.subject == subject
        for name, value in more.items():
            if name == "attachments":
                found = sorted((a.filename, a.content_type, a.size) for a in ticket.attachments.all())
                assert found == value
            elif name == "ccs":
                assert sorted(u.email for u in ticket.ccs.all()) == value
            elif name == "description_startswith":
                assert ticket.description.startswith(value)
            elif name == "description_endswith":
                assert ticket.description.endswith(value)
            else:  # pragma: no cover
                raise AssertionError(name)

    return check


def reply(body: str, *, ticket: str = "acme_ticket", author: str = "alice", staff: bool = False):
    def check(world, email):
        target = world[ticket]
        assert email.ticket_id == target.pk
        comment = email.comment
        assert comment.ticket_id == target.pk
        assert comment.body == body
        assert comment.author == world[author]
        assert comment.channel == "email"
        assert comment.public is True
        assert comment.is_staff_reply is staff
        assert comment.external_id == email.message_id

    return check


def held(*fragments: str):
    def check(world, email):
        assert email.ticket_id is None
        assert email.comment_id is None
        for fragment in fragments:
            assert fragment in email.reason
        # Nothing was added to any ticket of the world.
        for name in ("acme_ticket", "closed", "globex_ticket"):
            assert not Comment.objects.filter(ticket=world[name], is_automatic=False).exists()

    return check


# Builders ----------------------------------------------------------------------------------------


def plain(world):
    return message().as_bytes()


def multipart_alternative(world):
    msg = message(body="Plain version: the feed stopped at 09:00.")
    msg.add_alternative("<p>HTML version: the <b>feed</b> stopped at 09:00.</p>", subtype="html")
    return msg.as_bytes()


def html_only(world):
    msg = message()
    msg.set_content(
        "<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
        "<p>The import fails with <b>error&nbsp;42</b>.</p><p>See <a href='https://status.acme.test/x'>our "
        "status page</a>.</p><ul><li>SKU 1</li><li>SKU 2</li></ul></body></html>",
        subtype="html",
    )
    return msg.as_bytes()


def base64_utf8(world):
    body = "Grüße aus Köln: the prices show as 12,50 € instead of 12.50 €.\n"
    return raw(
        f"""
From: {ALICE}
To: {SUPPORT}
Subject: Prices with the wrong separator
Date: Tue, 03 Mar 2026 10:00:00 +0000
Message-ID: <base64-utf8@acme.test>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{base64.encodebytes(body.encode()).decode()}"""
    )


def quoted_printable_latin1(world):
    body = "Café déjà vu: the order #1001 was sent twice to the warehouse.\n"
    encoded = quopri.encodestring(body.encode("iso-8859-1")).decode("ascii")
    return raw(
        f"""
From: {ALICE}
To: {SUPPORT}
Subject: Duplicate order
Message-ID: <qp-latin1@acme.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

{encoded}"""
    )


def rfc2047_latin1(world):
    return raw(
        f"""
From: =?ISO-8859-1?Q?Alice_M=FCller?= <alice@acme.test>
To: {SUPPORT}
Subject: =?ISO-8859-1?Q?Probl=E8me_de_synchronisation_=E0_10h?=
Message-ID: <rfc2047-latin1@acme.test>
Content-Type: text/plain; charset=us-ascii

Stock levels stopped syncing at ten.
"""
    )


JAPANESE_SUBJECT = "注文が同期されません"
JAPANESE_BODY = "在庫数が一致しません。確認をお願いします。"


def rfc2047_shift_jis(world):
    subject = base64.b64encode(JAPANESE_SUBJECT.encode("shift_jis")).decode()
    body = base64.encodebytes(JAPANESE_BODY.encode("shift_jis")).decode()
    return raw(
        f"""
From: {ALICE}
To: {SUPPORT}
Subject: =?Shift_JIS?B?{subject}?=
Message-ID: <sjis@acme.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: base64

{body}"""
    )


def rfc2047_iso2022jp(world):
    subject = base64.b64encode(JAPANESE_SUBJECT.encode("iso-2022-jp")).decode()
    body = JAPANESE_BODY.encode("iso-2022-jp")
    head = raw(
        f"""
From: {ALICE}
To: {SUPPORT}
Subject: =?ISO-2022-JP?B?{subject}?=
Message-ID: <iso2022jp@acme.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

"""
    )
    return head + body + b"\n"


def rfc2047_utf8(world):
    msg = message(subject="Résumé of the 🚚 delivery issue", frm="Alice Ærøskøbing <alice@acme.test>")
    return msg.as_bytes()


def crlf_line_endings(world):
    return message(body="Sent from a Windows server.\n").as_bytes().replace(b"\n", b"\r\n")


def attachment_pdf(world):
    msg = message(body="The invoice is attached.")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="invoice-2026.pdf")
    return msg.as_bytes()


def inline_image(world):
    outer = MIMEMultipart("related")
    outer.attach(MIMEText('<p>The error looks like this:</p><img src="cid:shot1" alt="screenshot">', "html"))
    image = MIMEImage(PNG, "png")
    image.add_header("Content-ID", "<shot1>")
    image.add_header("Content-Disposition", "inline")
    outer.attach(image)
    return mime_headers(outer).as_bytes()


def oversize_attachment(world):
    msg = message(body="Here is the full export.")
    msg.add_attachment(b"x" * 5000, maintype="application", subtype="zip", filename="export.zip")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="summary.pdf")
    return msg.as_bytes()


def nested_forward(world):
    inner = message(frm="Carrier <ops@carrier.test>", subject="Shipment 77 rejected", body="Rejected: bad label.")
    outer = MIMEMultipart("mixed")
    outer.attach(MIMEText("Please look at the carrier's message below.", "plain"))
    outer.attach(MIMEMessage(inner))
    return mime_headers(outer, subject="Fwd: Shipment 77 rejected").as_bytes()


FORWARDED = (
    "Can you check this?\n\n"
    "---------- Forwarded message ---------\n"
    "From: Carrier <ops@carrier.test>\n"
    "Date: Mon, 2 Mar 2026\n"
    "Subject: Shipment 77 rejected\n\n"
    "Rejected: bad label."
)


def inline_forward(world):
    return message(subject="Fwd: Shipment 77 rejected", body=FORWARDED).as_bytes()


def no_from(world):
    return message(frm=None).as_bytes()


def no_message_id(world):
    return message(message_id=False, subject="No id here").as_bytes()


def no_date(world):
    return message(date=False, subject="No date").as_bytes()


def no_subject(world):
    return message(subject=None).as_bytes()


def auto_submitted(world):
    ticket = world["acme_ticket"]
    return message(
        subject=f"Automatic reply: [#{ticket.reference}] Orders stuck in sync",
        body="I am out of the office until Monday.",
        headers={"Auto-Submitted": "auto-replied", "In-Reply-To": notification_id(ticket)},
    ).as_bytes()


def precedence_bulk(world):
    return message(subject="Our newsletter", headers={"Precedence": "bulk"}).as_bytes()


def x_autoreply(world):
    return message(subject="Re: your message", headers={"X-Autoreply": "yes"}).as_bytes()


def bounce_mailer_daemon(world):
    return raw(
        f"""
From: Mail Delivery System <MAILER-DAEMON@mx.acme.test>
To: {SUPPORT}
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.acme.test>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.acme.test. I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.acme.test
Final-Recipient: rfc822; nobody@acme.test
Action: failed
Status: 5.1.1

--B--
"""
    )


def bounce_postmaster(world):
    return message(frm="postmaster@acme.test", subject="Delivery failure").as_bytes()


def loop_own_address(world):
    return message(frm=f"Support <{SUPPORT}>", subject="[#1-0000000000] Our own notification").as_bytes()


def loop_own_message_id(world):
    msg = message(frm="Forwarder <robot@elsewhere.test>", message_id=False, subject="We received your request")
    msg["Message-ID"] = notification_id(world["acme_ticket"], "receipt")
    return msg.as_bytes()


def loop_x_ticket(world):
    return message(
        frm="Alias <alias@acme.test>", subject="Redirected", headers={"X-Ticket": world["acme_ticket"].reference}
    ).as_bytes()


def unknown_sender(world):
    return message(frm="Stranger <stranger@nowhere.test>").as_bytes()


def not_an_email(world):
    return b"this is not an email at all\n\x00\xff\xfe garbage\n"


def broken_headers(world):
    return raw(
        f"""
From: {ALICE}
To: {SUPPORT}, "unterminated <
Subject: =?utf-8?B?broken-base64!!?= and =?x-unknown?Q?foo?= tail
Message-ID: <broken-headers@acme.test>
Date: not a date at all
Content-Type: text/plain; charset="utf-8"; format=
X-Weird-\x01Header: value
 continued line without a header

The body survives broken headers.
"""
    )


def eight_bit_subject(world):
    return (
        b"From: alice@acme.test\nTo: support@demo.test\nSubject: Caf\xe9 cr\xe8me prices\n"
        b"Message-ID: <8bit@acme.test>\nContent-Type: text/plain\n\nPrices are wrong.\n"
    )


def unknown_charset(world):
    return raw(
        f"""
From: {ALICE}
To: {SUPPORT}
Subject: Strange charset
Message-ID: <charset@acme.test>
Content-Type: text/plain; charset="x-does-not-exist"
Content-Transfer-Encoding: 8bit

Plain words survive.
"""
    )


def attachment_only(world):
    msg = MIMEMultipart("mixed")
    attachment = MIMEApplication(PDF, "pdf")
    attachment.add_header("Content-Disposition", "attachment", filename="scan.pdf")
    msg.attach(attachment)
    return mime_headers(msg, subject="Scan").as_bytes()


def cc_colleague(world):
    return message(subject="Please keep Bob informed", headers={"Cc": "Bob Acme <bob@acme.test>"}).as_bytes()


REPLY_TEXT = "Thanks, it works again after the restart."
QUOTED = (
    f"{REPLY_TEXT}\n\nOn Tue, 3 Mar 2026 at 10:00, Support <support@demo.test> wrote:\n"
    "> Hello Alice,\n> please restart the connector.\n"
)


def reply_in_reply_to(world):
    ticket = world["acme_ticket"]
    return message(
        subject="Re: Orders stuck in sync",
        body=QUOTED,
        headers={"In-Reply-To": notification_id(ticket), "References": notification_id(ticket, "receipt")},
    ).as_bytes()


def reply_subject_token(world):
    ticket = world["acme_ticket"]
    return message(subject=f"Re: [#{ticket.reference}] Orders stuck in sync", body=QUOTED).as_bytes()


def reply_address(world):
    ticket = world["acme_ticket"]
    return message(to=f"support+{ticket.reference}@demo.test", subject="Re: the sync", body=QUOTED).as_bytes()


def reply_outlook(world):
    ticket = world["acme_ticket"]
    body = (
        f"{REPLY_TEXT}\n\n-----Original Message-----\nFrom: Support <support@demo.test>\n"
        "Sent: Tuesday, March 3, 2026 10:00 AM\nTo: Alice\nSubject: Orders stuck in sync\n\nplease restart."
    )
    return message(subject=f"RE: [#{ticket.reference}] Orders stuck in sync", body=body).as_bytes()


def reply_html_gmail(world):
    ticket = world["acme_ticket"]
    msg = message(subject="Re: Orders stuck in sync", headers={"In-Reply-To": notification_id(ticket)})
    msg.set_content(
        f'<div dir="ltr">{REPLY_TEXT}</div><br><div class="gmail_quote"><div class="gmail_attr">On Tue, Mar 3, '
        '2026 at 10:00 AM Support &lt;support@demo.test&gt; wrote:<br></div><blockquote class="gmail_quote">'
        "Hello Alice,<br>please restart the connector.</blockquote></div>",
        subtype="html",
    )
    return msg.as_bytes()


def reply_signature(world):
    ticket = world["acme_ticket"]
    body = f"{REPLY_TEXT}\n\nSent from my iPhone\n\n> quoted"
    return message(subject=f"Re: [#{ticket.reference}]", body=body).as_bytes()


def reply_dash_signature(world):
    ticket = world["acme_ticket"]
    body = f"{REPLY_TEXT}\n-- \nAlice Acme\nHead of Operations, Acme Outfitters\n+1 555 0100"
    return message(subject=f"Re: [#{ticket.reference}]", body=body).as_bytes()


def reply_with_attachment(world):
    ticket = world["acme_ticket"]
    msg = message(subject=f"Re: [#{ticket.reference}]", body="The log is attached.")
    msg.add_attachment(b"line 1\nline 2\n", maintype="text", subtype="plain", filename="connector.log")
    return msg.as_bytes()


def reply_closed(world):
    closed = world["closed"]
    body = "One more thing: what about returns?\n\nOn Mon, 2 Mar 2026, Support <support@demo.test> wrote:\n> Done."
    return message(subject=f"Re: [#{closed.reference}] Old question", body=body).as_bytes()


def staff_reply(world):
    ticket = world["acme_ticket"]
    return message(
        frm="Sam Agent <agent@vendor.test>",
        to=reply_address_for(ticket_id=ticket.pk, user_id=world["staff"].pk),
        verified=False,
        subject="Re: Orders stuck in sync",
        body="We restarted the connector on our side.\n\nOn Tue, Alice wrote:\n> it is stuck",
        headers={"In-Reply-To": notification_id(ticket, "customer_reply")},
    ).as_bytes()


def cross_tenant(world):
    ticket = world["acme_ticket"]  # Acme's ticket, named with its valid reference by Globex's admin
    return message(
        frm="Gina Globex <gina@globex.test>",
        subject=f"Re: [#{ticket.reference}] Orders stuck in sync",
        body="Let me add something to Acme's ticket.",
        headers={"In-Reply-To": notification_id(ticket)},
    ).as_bytes()


def unknown_sender_with_reference(world):
    ticket = world["acme_ticket"]
    return message(frm="Stranger <stranger@nowhere.test>", subject=f"Re: [#{ticket.reference}]", body="Hi").as_bytes()


def forged_reference(world):
    ticket = world["acme_ticket"]  # counting ticket numbers without the signature
    return message(
        frm="Gina Globex <gina@globex.test>",
        to=f"support+{ticket.pk}-0000000000@demo.test",
        subject=f"Re: [#{ticket.pk}-0000000000] guessed",
        body="Guessing Acme's ticket.",
    ).as_bytes()


def member_not_on_ticket(world):
    ticket = world["acme_ticket"]  # Bob is a member of Acme, neither the requester, a CC nor an admin: email lets him
    return message(frm="Bob Acme <bob@acme.test>", subject=f"Re: [#{ticket.reference}]", body="Me too.").as_bytes()


def huge_body(world):
    line = "0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789\n"
    body = line * (10 * 1024 * 1024 // len(line) + 1)
    head = (
        f"From: {ALICE}\nTo: {SUPPORT}\nSubject: Full log\nMessage-ID: <huge@acme.test>\nContent-Type: text/plain\n\n"
    )
    return (head + body).encode()


LATIN1_TEXT = "Café déjà vu: the order #1001 was sent twice to the warehouse."
ALTERNATIVE_TEXT = "Plain version: the feed stopped at 09:00."
HTML_TEXT = "The import fails with error 42.\n\nSee our status page <https://status.acme.test/x>.\n\n- SKU 1\n- SKU 2"
DEFAULT_TEXT = "Hello,\n\nThe counts for SKU 1234 differ between the shop and the ERP.\n\nAlice"


def _closed_follow_up(world, email):
    closed = world["closed"]
    closed.refresh_from_db()
    assert closed.status == "closed"
    assert not Comment.objects.filter(ticket=closed, is_automatic=False).exists()
    ticket = email.ticket
    assert ticket.pk != closed.pk
    assert ticket.subject == f"Follow-up to #{closed.pk}: Old question"
    assert ticket.description == (
        f"This email answers ticket #{closed.pk}, which is closed.\n\nOne more thing: what about returns?"
    )
    assert ticket.requester == world["alice"]


def _huge(world, email):
    assert email.raw_size > 10 * 1024 * 1024
    assert len(email.raw_bytes) == email.raw_size
    description = email.ticket.description
    assert description.startswith("0123456789 abcdefghijklmnopqrstuvwxyz")
    assert description.endswith("[The message was longer; the full original is kept with the raw email.]")
    assert len(description) < 100_200


def _no_message_id(world, email):
    assert email.message_id_derived is True
    assert email.message_id.startswith("sha256-") and email.message_id.endswith("@derived.invalid")
    assert email.ticket.subject == "No id here"


def _inline_image(world, email):
    ticket = email.ticket
    assert ticket.description == "The error looks like this:\n\n[screenshot]"
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.filename == "inline-1.png"
    assert attachment.content_type == "image/png"
    assert attachment.file.read() == PNG


def _nested_forward(world, email):
    ticket = email.ticket
    assert ticket.description == "Please look at the carrier's message below."
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.filename == "Shipment 77 rejected.eml"
    assert attachment.content_type == "message/rfc822"
    assert b"Rejected: bad label." in attachment.file.read()


def _broken_headers(world, email):
    ticket = email.ticket
    assert ticket.requester == world["alice"]
    # The line that is no header ends the headers (as Python's parser reads it): it and the rest are the body.
    assert ticket.description == (
        "X-Weird-\x01Header: value\n continued line without a header\n\nThe body survives broken headers."
    )
    assert ticket.subject.endswith(" and foo tail")  # undecodable encoded words do not stop the message


def _cross_tenant(world, email):
    held("gina@globex.test")(world, email)
    assert email.reason == (
        f"gina@globex.test may not add to ticket #{world['acme_ticket'].pk}: only its requester, its CCs, "
        "members of its organization and staff can."
    )


def _forged(world, email):
    ticket = email.ticket
    assert ticket.organization == world["gina"].organization
    assert ticket.pk != world["acme_ticket"].pk


CASES = [
    Case("plain", plain, "ticket_created", "new_ticket", new_ticket(DEFAULT_TEXT, "Inventory counts are off")),
    Case("multipart-alternative", multipart_alternative, "ticket_created", "new_ticket", new_ticket(ALTERNATIVE_TEXT)),
    Case("html-only", html_only, "ticket_created", "new_ticket", new_ticket(HTML_TEXT)),
    Case(
        "base64-utf8",
        base64_utf8,
        "ticket_created",
        UNVERIFIED,
        new_ticket("Grüße aus Köln: the prices show as 12,50 € instead of 12.50 €."),
    ),
    Case("quoted-printable-latin1", quoted_printable_latin1, "ticket_created", UNVERIFIED, new_ticket(LATIN1_TEXT)),
    Case(
        "rfc2047-iso-8859-1",
        rfc2047_latin1,
        "ticket_created",
        UNVERIFIED,
        new_ticket("Stock levels stopped syncing at ten.", "Problème de synchronisation à 10h"),
    ),
    Case(
        "rfc2047-shift-jis",
        rfc2047_shift_jis,
        "ticket_created",
        UNVERIFIED,
        new_ticket(JAPANESE_BODY, JAPANESE_SUBJECT),
    ),
    Case(
        "rfc2047-iso-2022-jp",
        rfc2047_iso2022jp,
        "ticket_created",
        UNVERIFIED,
        new_ticket(JAPANESE_BODY, JAPANESE_SUBJECT),
    ),
    Case(
        "rfc2047-utf8",
        rfc2047_utf8,
        "ticket_created",
        "new_ticket",
        new_ticket(subject="Résumé of the 🚚 delivery issue"),
    ),
    Case("crlf", crlf_line_endings, "ticket_created", "new_ticket", new_ticket("Sent from a Windows server.")),
    Case(
        "attachment",
        attachment_pdf,
        "ticket_created",
        "new_ticket",
        new_ticket("The invoice is attached.", attachments=[("invoice-2026.pdf", "application/pdf", len(PDF))]),
    ),
    Case("inline-image", inline_image, "ticket_created", "new_ticket", _inline_image),
    Case(
        "oversize-attachment",
        oversize_attachment,
        "ticket_created",
        "new_ticket",
        new_ticket(
            "Here is the full export.\n\n[Not attached: export.zip (4.9 KB) is over the 4.0 KB limit; it is kept "
            "with the original email.]",
            attachments=[("summary.pdf", "application/pdf", len(PDF))],
        ),
    ),
    Case("nested-forward", nested_forward, "ticket_created", "new_ticket", _nested_forward),
    Case("inline-forward", inline_forward, "ticket_created", "new_ticket", new_ticket(FORWARDED)),
    Case("no-from", no_from, "quarantined", "no_sender", held("no usable From")),
    Case("no-message-id", no_message_id, "ticket_created", "new_ticket", _no_message_id),
    Case("no-date", no_date, "ticket_created", "new_ticket", new_ticket(DEFAULT_TEXT, "No date")),
    Case("no-subject", no_subject, "ticket_created", "new_ticket", new_ticket(DEFAULT_TEXT, "(no subject)")),
    Case("auto-submitted", auto_submitted, "quarantined", "automatic", held("Auto-Submitted: auto-replied")),
    Case("precedence-bulk", precedence_bulk, "quarantined", "automatic", held("Precedence: bulk")),
    Case("x-autoreply", x_autoreply, "quarantined", "automatic", held("X-Autoreply")),
    Case("bounce-mailer-daemon", bounce_mailer_daemon, "quarantined", "automatic", held("mailer-daemon@mx.acme.test")),
    Case("bounce-postmaster", bounce_postmaster, "quarantined", "automatic", held("postmaster@acme.test")),
    Case("loop-own-address", loop_own_address, "quarantined", "loop", held("our own address")),
    Case("loop-own-message-id", loop_own_message_id, "quarantined", "loop", held("Message-ID is one of ours")),
    Case("loop-x-ticket", loop_x_ticket, "quarantined", "loop", held("X-Ticket")),
    Case("unknown-sender", unknown_sender, "quarantined", "unknown_sender", held("stranger@nowhere.test")),
    Case("not-an-email", not_an_email, "quarantined", "malformed", held("no headers")),
    Case("broken-headers", broken_headers, "ticket_created", UNVERIFIED, _broken_headers),
    Case(
        "8bit-header",
        eight_bit_subject,
        "ticket_created",
        UNVERIFIED,
        new_ticket("Prices are wrong.", "Café crème prices"),
    ),
    Case("unknown-charset", unknown_charset, "ticket_created", UNVERIFIED, new_ticket("Plain words survive.")),
    Case(
        "attachment-only",
        attachment_only,
        "ticket_created",
        "new_ticket",
        new_ticket(
            "(The message had no text; see the attachments.)", attachments=[("scan.pdf", "application/pdf", len(PDF))]
        ),
    ),
    Case("cc-colleague", cc_colleague, "ticket_created", "new_ticket", new_ticket(ccs=["bob@acme.test"])),
    Case("reply-in-reply-to", reply_in_reply_to, "comment_added", "reply", reply(REPLY_TEXT)),
    Case("reply-subject-token", reply_subject_token, "comment_added", "reply", reply(REPLY_TEXT)),
    Case("reply-address", reply_address, "comment_added", "reply", reply(REPLY_TEXT)),
    Case("reply-outlook", reply_outlook, "comment_added", "reply", reply(REPLY_TEXT)),
    Case("reply-html-gmail", reply_html_gmail, "comment_added", "reply", reply(REPLY_TEXT)),
    Case("reply-sent-from-iphone", reply_signature, "comment_added", "reply", reply(REPLY_TEXT)),
    Case("reply-dash-signature", reply_dash_signature, "comment_added", "reply", reply(REPLY_TEXT)),
    Case("reply-attachment", reply_with_attachment, "comment_added", "reply", reply("The log is attached.")),
    Case("reply-closed-ticket", reply_closed, "ticket_created", "follow_up", _closed_follow_up),
    Case(
        "staff-reply",
        staff_reply,
        "comment_added",
        "staff_reply",
        reply("We restarted the connector on our side.", author="staff", staff=True),
    ),
    Case("cross-tenant-reply", cross_tenant, "quarantined", "not_allowed", _cross_tenant),
    Case(
        "unknown-sender-naming-ticket",
        unknown_sender_with_reference,
        "quarantined",
        "not_allowed",
        held("not a portal user, yet names ticket"),
    ),
    Case("forged-reference", forged_reference, "ticket_created", "new_ticket", _forged),
    Case("member-not-on-ticket", member_not_on_ticket, "comment_added", "reply", reply("Me too.", author="bob")),
    Case("huge-10mb-body", huge_body, "ticket_created", UNVERIFIED, _huge),
]
