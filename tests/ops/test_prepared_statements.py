"""PostgreSQL parses and plans a statement once per connection: parameters are bound on the server and psycopg
prepares what a connection has run five times (DATABASE_PREPARED_STATEMENTS, on by default)."""

import json
import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.db import connection

from portal.models import User

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql", reason="PostgreSQL's statements"
    ),
]


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def test_a_statement_run_five_times_is_prepared_and_each_run_answers_for_its_own_values(make_user):
    people = [make_user(f"p{i}@prepared.test", full_name=f"Person {i}") for i in range(8)]
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 5
    for person in people:  # the same statement, other values each time
        assert User.objects.get(email=person.email).full_name == person.full_name
    statements = [s for s in _prepared() if '"portal_user"."email" = $1' in s]
    assert len(statements) == 1  # one statement, its values bound apart
    assert User.objects.filter(email="nobody@prepared.test").first() is None


def _options(**env) -> dict:
    code = "import django; django.setup(); from django.conf import settings; "
    code += "print(__import__('json').dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    out = subprocess.run([sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_prepared_statements_can_be_turned_off_for_a_pooler_that_cannot_keep_them():
    url = "postgres://postgres@127.0.0.1:5432/portal"
    assert _options(DATABASE_URL=url) == {"server_side_binding": True, "prepare_threshold": 5}
    assert _options(DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="false") == {}
    assert "server_side_binding" not in _options(DATABASE_URL="sqlite:///demo.sqlite3")
