"""`make run` declares the task queues before its three processes start (manage.py declare_broker_queues)."""

import io
import sqlite3

from django.core.management import call_command


def _declare(**options) -> str:
    out = io.StringIO()
    call_command("declare_broker_queues", stdout=out, **options)
    return out.getvalue().strip()


def test_the_task_queue_is_declared_once_on_a_new_sqlite_broker(tmp_path):
    broker = tmp_path / "broker.sqlite3"
    # Twice, as every `make run` does on the same broker file: the second finds the queue and adds nothing.
    assert _declare(broker=f"sqla+sqlite:///{broker}") == "Declared on the broker: celery."
    assert _declare(broker=f"sqla+sqlite:///{broker}") == "Declared on the broker: celery."
    with sqlite3.connect(broker) as db:
        assert db.execute("SELECT name FROM kombu_queue").fetchall() == [("celery",)]


def test_without_a_broker_there_is_nothing_to_declare():
    assert _declare(broker="memory://") == "No broker: tasks run inline, there is no queue to declare."
