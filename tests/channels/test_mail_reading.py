"""The pure helpers that read a message: no database."""

import pytest

from tickets.channels import mail

REPLY = "Thanks, it works again."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"{REPLY}\n\nOn Tue, 3 Mar 2026 at 10:00, Support <support@demo.test> wrote:\n> old\n> older", REPLY),
        (f"{REPLY}\n\nOn Tue, 3 Mar 2026 at 10:00, Support Team <support@demo.test>\nwrote:\n> old", REPLY),
        (f"{REPLY}\n\n-----Original Message-----\nFrom: Support\nSent: Tuesday\n\nold", REPLY),
        (f"{REPLY}\n\n________________________________\nFrom: Support <support@demo.test>\nSent: Tuesday", REPLY),
        (f"{REPLY}\n\nFrom: Support <support@demo.test>\nSent: Tuesday, March 3\nTo: Alice\n\nold", REPLY),
        (f"{REPLY}\n-- \nAlice Acme\nOperations", REPLY),
        (f"{REPLY}\n--\nAlice Acme", REPLY),
        (f"{REPLY}\n\nSent from my iPhone", REPLY),
        (f"{REPLY}\n\nGet Outlook for Android", REPLY),
        (f"{REPLY}\n\nLe mar. 3 mars 2026 à 10:00, Support <support@demo.test> a écrit :\n> vieux", REPLY),
        (f"{REPLY}\n\nAm Di., 3. März 2026 um 10:00 schrieb Support <support@demo.test>:\n> alt", REPLY),
        ("> question one\nanswer one\n> question two\nanswer two", "answer one\nanswer two"),
        ("> everything is quoted\n> and nothing new", "> everything is quoted\n> and nothing new"),
        ("Line one\r\nLine two\r\n", "Line one\nLine two"),
        ("Use the -- flag and --verbose.", "Use the -- flag and --verbose."),
    ],
    ids=[
        "on-wrote",
        "on-wrote-wrapped",
        "original-message",
        "outlook-underscores",
        "outlook-header-block",
        "signature-delimiter",
        "signature-delimiter-stripped",
        "sent-from-iphone",
        "get-outlook",
        "french",
        "german",
        "interleaved-quotes",
        "all-quoted-kept",
        "crlf",
        "dashes-inside-a-line",
    ],
)
def test_reply_trim(text, expected):
    assert mail.reply_trim(text) == expected


def test_html_to_text_keeps_structure_and_drops_code():
    html = (
        "<html><head><title>t</title><style>p{}</style></head><body><h1>Sync report</h1>"
        "<p>Line <b>one</b><br>Line two</p><script>document.cookie</script>"
        "<table><tr><td>SKU</td><td>42</td></tr></table>"
        "<p>Mail <a href='mailto:ops@acme.test'>ops</a> or read <a href='https://acme.test/kb'>https://acme.test/kb</a>."
        "</p><pre>  keep   spacing</pre><blockquote>quoted</blockquote>&lt;not a tag&gt; &amp; &eacute;</body></html>"
    )
    assert mail.html_to_text(html) == (
        "Sync report\n\nLine one\nLine two\n\nSKU 42\n\nMail ops <ops@acme.test> or read https://acme.test/kb.\n\n"
        "  keep   spacing\n\n> quoted\n\n<not a tag> & é"
    )


def test_html_to_text_survives_broken_markup():
    assert mail.html_to_text("<p>unclosed <b>bold <i>text</p></div></span>") == "unclosed bold text"


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Auto-Submitted": "auto-generated"}, "Auto-Submitted: auto-generated"),
        ({"Precedence": "junk"}, "Precedence: junk"),
        ({"Precedence": "list"}, "Precedence: list"),
        ({"X-Autorespond": "yes"}, "X-Autorespond header"),
        ({"Return-Path": "<>"}, "a null Return-Path (a delivery status notification)"),
        ({"Auto-Submitted": "no"}, ""),
        ({"Precedence": "first-class"}, ""),
        ({}, ""),
    ],
)
def test_automatic_reason(headers, reason):
    lines = "".join(f"{name}: {value}\n" for name, value in headers.items())
    message = mail.parse(f"From: alice@acme.test\nSubject: hi\n{lines}\nbody\n".encode())
    assert mail.automatic_reason(message) == reason


def test_references_are_found_in_headers_address_and_subject():
    raw = (
        "From: alice@acme.test\n"
        "To: Support <support+7-aaaaaaaaaa@demo.test>\n"
        "In-Reply-To: <ticket.5-bbbbbbbbbb.staff_reply.0123@demo.test>\n"
        "References: <other@acme.test> <ticket.6-cccccccccc.receipt.99@demo.test>\n"
        "Subject: Re: [#8-dddddddddd] and #9-eeeeeeeeee\n\nbody\n"
    )
    refs = mail.references_in(mail.parse(raw.encode()), support_email="support@demo.test")
    assert refs == ["5-bbbbbbbbbb", "6-cccccccccc", "7-aaaaaaaaaa", "8-dddddddddd", "9-eeeeeeeeee"]


def test_references_of_another_domain_are_not_ours():
    raw = (
        "From: a@b.test\nIn-Reply-To: <ticket.5-bbbbbbbbbb.staff_reply.0123@evil.test>\n"
        "To: support+5-bbbbbbbbbb@evil.test\n\nx"
    )
    assert mail.references_in(mail.parse(raw.encode()), support_email="support@demo.test") == []


def test_message_id_is_derived_from_the_bytes_when_missing():
    raw = b"From: a@b.test\n\nbody\n"
    first = mail.message_id_of(mail.parse(raw), raw)
    assert first == mail.message_id_of(mail.parse(raw), raw)
    assert first[1] is True
    other = mail.message_id_of(mail.parse(raw + b"x"), raw + b"x")
    assert other[0] != first[0]


def test_clean_text_makes_database_safe_text():
    assert mail.clean_text("a\x00b") == "ab"
    assert mail.clean_text("Caf\udce9") == "Café"
    assert mail.clean_text("\udcc3\udca9t\udcc3\udca9") == "été"
