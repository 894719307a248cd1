"""Schemathesis against the live schema, on the seeded demo data, with each demo role's token.

It fails on any server error (5xx) and on any response that the OpenAPI schema does not describe.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.throttling import SimpleRateThrottle

from portal.models import User

ROLES = ["alice@acme.test", "gina@globex.test", "agent@demo.test", "sa@demo.test", "am@demo.test", "admin@demo.test"]
MAX_TIME = os.environ.get("SCHEMATHESIS_MAX_TIME", "60")
EXAMPLES = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "25")
CHECKS = "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance"
BIN = Path(sys.executable).with_name("schemathesis")


@pytest.fixture
def seeded_live_server(live_server, monkeypatch, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    # The fuzzer sends thousands of requests: lift the throttles for this run only.
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "anon", "1000000/minute")
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "1000000/minute")
    call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115, PTH123
    return live_server


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("email", ROLES)
def test_schemathesis_finds_no_server_error_and_no_schema_violation(seeded_live_server, email, tmp_path):
    token, _ = Token.objects.get_or_create(user=User.objects.get(email=email))
    report = tmp_path / "report.json"
    command = [
        str(BIN),
        "run",
        f"{seeded_live_server.url}/api/schema/",
        "--header",
        f"Authorization: Token {token.key}",
        "--checks",
        CHECKS,
        "--max-examples",
        EXAMPLES,
        "--max-time",
        MAX_TIME,
        "--workers",
        "1",
        "--seed",
        "20261127",
        "--no-color",
        "--request-timeout",
        "30",
        "--report",
        "json",
        "--report-json-path",
        str(report),
        "--suppress-health-check",
        "all",
        "--generation-database",
        "none",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=int(MAX_TIME) + 240, check=False)
    summary = [line for line in result.stdout.splitlines() if "generated" in line or "Tested:" in line]
    print(f"schemathesis as {email}: {' | '.join(summary)}")
    assert result.returncode == 0, result.stdout[-6000:]
