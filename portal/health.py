"""What /healthz reports: each dependency's state, and whether the background work is being done."""

from django.conf import settings
from django.db import DatabaseError, connections

from portal import heartbeat


def database_state(connection=None) -> str:
    connection = connection or connections["default"]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return "down"
    return "up"


def broker_state(url: str | None = None) -> str:
    """'up' or 'down'; 'not configured' when tasks run inline in the web process (no broker at all)."""
    url = settings.CELERY_BROKER_URL if url is None else url
    if not url or url.startswith("memory://"):
        return "not configured"
    if url.startswith(("redis://", "rediss://")):
        import redis

        try:
            client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
            client.ping()
        except redis.RedisError:
            return "down"
        return "up"
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=1) as connection:
            # A passive declare reads the queue's size: the broker's storage must answer (virtual transports
            # such as the demo's SQLite file connect lazily, so connecting alone proves nothing).
            connection.default_channel.queue_declare(queue="celery", passive=True)
    except Exception:  # any transport's failure to connect means the same thing to a monitor
        return "down"
    return "up"


def work_state(*, now=None) -> dict:
    """The background work: workers, the beat, the last sweep and the outbox backlog (reads the database)."""
    from portal import outbox

    last_sweep = heartbeat.last_seen(heartbeat.JOB)
    pending = outbox.pending_summary(now=now)
    return {
        "worker": "inline" if settings.CELERY_TASK_ALWAYS_EAGER else heartbeat.state(heartbeat.WORKER, now=now),
        "scheduler": heartbeat.state(heartbeat.SCHEDULER, now=now),
        "last_sweep_at": last_sweep.isoformat() if last_sweep else None,
        "outbox_pending": {"count": pending["count"], "oldest_age_seconds": pending["oldest_age_seconds"]},
    }
