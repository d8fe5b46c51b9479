"""The Celery application. Tasks take ids, are idempotent, and never carry PHI in arguments."""

import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")

app = Celery("oasys")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@task_prerun.connect
@task_postrun.connect
def _connections_tidy(task=None, **_kwargs) -> None:
    """Around every task, what Django does around every request: close a database
    connection that errored (a dropped connection, a failed transaction) or outlived
    CONN_MAX_AGE, and keep a healthy one for the next task (settings.CELERY_DB_REUSE_MAX).
    Not for a task run eagerly: that one runs inside its caller's transaction."""
    if task is not None and getattr(task.request, "is_eager", False):
        return
    from django.db import close_old_connections  # noqa: PLC0415 - Django is set up by now

    close_old_connections()
