"""The Celery app; its configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Django's LOGGING (structured, see config/logs.py) rather than Celery's own; request ids bound in task context.
@setup_logging.connect
def _use_django_logging(**kwargs) -> None:
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


app.steps["worker"].add(DjangoStructLogInitStep)

# Every worker writes its heartbeat, which /healthz reads (portal.heartbeat; the beat's is its scheduler's).
from portal.heartbeat import WorkerHeartbeat  # noqa: E402 -- after the app, as the bootstep needs Celery set up

app.steps["worker"].add(WorkerHeartbeat)
