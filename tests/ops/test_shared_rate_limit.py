"""Two web processes share one Redis cache: a rate limit counts every attempt, whichever process answered."""

import http.cookiejar
import os
import re
import urllib.parse
import urllib.request
import uuid

import pytest
from django.conf import settings
from django.db import connection

from tests.ops.webservers import gunicorn_servers

REDIS_URL = os.environ.get("REDIS_URL", "")
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL (CI does)"),
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
        reason="the web processes share the test database: needs PostgreSQL (CI has it)",
    ),
]
# Both servers are reached under one host name, as behind a load balancer.
HOST = "localhost"


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{urllib.parse.quote(s['PASSWORD'])}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Browser:
    """One visitor's cookie jar against one server."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
            urllib.request.HTTPErrorProcessor(),
        )

    def request(self, path: str, data: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers={"Host": HOST})  # noqa: S310 -- loopback
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def failed_sign_in(self, email: str) -> str:
        status, page = self.request("/accounts/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        status, page = self.request(
            "/accounts/login/", {"csrfmiddlewaretoken": token, "login": email, "password": "not-the-password-1"}
        )
        assert status == 200, page[:500]
        return page


@pytest.mark.django_db
def test_failed_sign_ins_are_counted_across_two_web_processes(tmp_path):
    env = {
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "CACHE_KEY_PREFIX": f"ratelimit-test-{uuid.uuid4().hex}",  # a fresh count, shared by both processes
        "DJANGO_ENV": "development",
    }
    with gunicorn_servers(2, env=env, log_dir=tmp_path) as (first, second):
        browsers = [Browser(first), Browser(second)]
        email = "someone@example.test"
        # Five failures allowed per address in five minutes: three answered by one process, two by the other.
        for attempt in range(5):
            page = browsers[attempt % 2].failed_sign_in(email)
            assert "Too many failed login attempts" not in page, attempt
            assert "The email address and/or password you specified are not correct." in page
        # The sixth, on the process that has seen only two, is refused: the count is shared.
        assert "Too many failed login attempts. Try again later." in browsers[1].failed_sign_in(email)
