"""The Celery app, per Celery's "First steps with Django". Eager when no broker is set."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ipnb_notes.settings")

app = Celery("ipnb_notes", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
