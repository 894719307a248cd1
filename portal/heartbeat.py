"""Heartbeats: every Celery worker and the beat write theirs; the sweep records when it last ran.

A worker writes from a bootstep's timer (in the worker's main process, whatever its pool), so a worker whose
pool is busy with a long task still says it is alive; the beat writes from its scheduler's tick. A row older
than HEARTBEAT_STALE_SECONDS means the process is gone.
"""

import datetime
import logging

from celery import bootsteps
from celery.beat import PersistentScheduler
from django.conf import settings
from django.db import DatabaseError, close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)

SCHEDULER_NAME = "beat"
SWEEP_NAME = "sla-sweep"
# The kinds (Heartbeat.Kind's values), here as well so that config/celery.py can import this module before
# Django's apps are ready.
WORKER, SCHEDULER, JOB = "worker", "scheduler", "job"


def heartbeat_record(*, name: str, kind: str, now: datetime.datetime | None = None) -> None:
    """Writes (or moves forward) the named heartbeat."""
    from portal.models import Heartbeat

    Heartbeat.objects.update_or_create(name=name[:200], defaults={"kind": kind, "seen_at": now or timezone.now()})


def last_seen(kind: str) -> datetime.datetime | None:
    """The most recent heartbeat of that kind, or None when there never was one."""
    from portal.models import Heartbeat

    return Heartbeat.objects.filter(kind=kind).order_by("-seen_at").values_list("seen_at", flat=True).first()


def state(kind: str, *, now: datetime.datetime | None = None) -> str:
    """'up' when a process of that kind beat within HEARTBEAT_STALE_SECONDS, else 'down'."""
    seen = last_seen(kind)
    now = now or timezone.now()
    if seen is None or now - seen > datetime.timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS):
        return "down"
    return "up"


def _beat_safely(name: str, kind: str) -> None:
    # A database that is away for a moment must not kill the worker or the beat: the next beat tries again.
    try:
        close_old_connections()
        heartbeat_record(name=name, kind=kind)
    except DatabaseError:
        logger.warning("Could not write the %s heartbeat of %s", kind, name, exc_info=True)
    finally:
        close_old_connections()


class WorkerHeartbeat(bootsteps.StartStopStep):
    """A worker bootstep: a heartbeat at start, then every HEARTBEAT_SECONDS from the worker's timer."""

    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker, **kwargs):
        super().__init__(worker, **kwargs)
        self.timer_ref = None

    def start(self, worker):
        name = worker.hostname
        _beat_safely(name, WORKER)
        self.timer_ref = worker.timer.call_repeatedly(
            settings.HEARTBEAT_SECONDS, _beat_safely, (name, WORKER), priority=10
        )

    def stop(self, worker):
        if self.timer_ref is not None:
            self.timer_ref.cancel()
            self.timer_ref = None


class HeartbeatScheduler(PersistentScheduler):
    """Celery beat's scheduler, writing the scheduler's heartbeat at least every HEARTBEAT_SECONDS."""

    _last_beat: datetime.datetime | None = None

    def tick(self, *args, **kwargs):
        now = timezone.now()
        if self._last_beat is None or (now - self._last_beat).total_seconds() >= settings.HEARTBEAT_SECONDS:
            _beat_safely(SCHEDULER_NAME, SCHEDULER)
            self._last_beat = now
        return min(super().tick(*args, **kwargs), settings.HEARTBEAT_SECONDS)
