"""Workers keep their database connection between tasks (oasys/celery.py): Celery's Django
fixup is told not to close it after every task, and Oasys's own handler closes only a broken
or aged connection around each task, never one an eager task shares with its caller."""

from __future__ import annotations

from types import SimpleNamespace

import django.db

from oasys.celery import _connections_tidy, app


def _task(*, eager: bool) -> SimpleNamespace:
    return SimpleNamespace(request=SimpleNamespace(is_eager=eager))


def test_celery_is_told_to_reuse_connections():
    assert app.conf.get("CELERY_DB_REUSE_MAX") == 1000


def test_a_worker_task_tidies_connections_before_and_after(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(django.db, "close_old_connections", lambda: calls.append("tidy"))
    _connections_tidy(task=_task(eager=False))
    assert calls == ["tidy"]


def test_an_eager_task_leaves_its_callers_connection_alone(monkeypatch):
    calls: list[str] = []
    monkeypatch.setattr(django.db, "close_old_connections", lambda: calls.append("tidy"))
    _connections_tidy(task=_task(eager=True))
    assert calls == []
