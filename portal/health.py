"""What /healthz reports: each dependency's state."""

from django.conf import settings
from django.db import DatabaseError, connections


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
    url = settings.REDIS_URL if url is None else url
    if not url:
        return "not configured"
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
    except redis.RedisError:
        return "down"
    return "up"
