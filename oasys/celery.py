"""The Celery application. Tasks take ids, are idempotent, and never carry PHI in arguments."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")

app = Celery("oasys")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
