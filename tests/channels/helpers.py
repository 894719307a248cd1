"""What the channel tests share: the support address, the Slack secret, contracts with Slack, a database outage."""

import contextlib
import datetime

from django.db import connections
from django.db.utils import load_backend
from django.utils import timezone

from contracts import services as contract_services
from contracts.models import SlackChannel

SUPPORT = "support@demo.test"
SLACK_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
SLACK_TEAM = "T0ACME0001"  # the workspace the app is installed in (the recorded payloads' team)
AUTHSERV = "mx.demo.test"  # our receiving mail server's authserv-id


def passed(domain: str, *, authserv: str = AUTHSERV) -> str:
    """An Authentication-Results value of a message that passed DMARC and aligned DKIM at `authserv`."""
    return (
        f"{authserv}; dkim=pass header.d={domain} header.s=s1; spf=pass smtp.mailfrom={domain}; "
        f"dmarc=pass header.from={domain}"
    )


def contract_with_channels(actor, organization, *, plan: str, add_ons=(), slack_channel_ids=()):
    today = timezone.now().date()
    contract = contract_services.contract_save(
        actor=actor,
        organization=organization,
        plan=plan,
        term_start=today - datetime.timedelta(days=30),
        term_end=today + datetime.timedelta(days=330),
        add_ons=add_ons,
    )
    for channel_id in slack_channel_ids:
        # Mapped directly: Globex's channel stays mapped though its contract has no Slack add-on.
        SlackChannel.objects.create(organization=organization, channel_id=channel_id, name=channel_id.lower())
    return contract


@contextlib.contextmanager
def database_down():
    """The default connection replaced by a real one to a database that is not there (closed port, missing folder).

    Set and restored by hand: monkeypatch does not give the thread-local connection handler its connection back.
    """
    real = connections["default"]
    settings_dict = dict(real.settings_dict)
    if settings_dict["ENGINE"].endswith("sqlite3"):
        settings_dict["NAME"] = "/nonexistent-folder/portal.sqlite3"
    else:
        settings_dict.update(HOST="127.0.0.1", PORT="1")
    connections._connections.default = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict)
    try:
        yield
    finally:
        connections._connections.default = real
