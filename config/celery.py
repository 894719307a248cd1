"""The Celery app; its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every worker writes its heartbeat, which /healthz reads (portal.heartbeat; the beat's is its scheduler's).
from portal.heartbeat import WorkerHeartbeat  # noqa: E402 -- after the app, as the bootstep needs Celery set up

app.steps["worker"].add(WorkerHeartbeat)
