"""Every Celery task the product defines is either in CELERY_BEAT_SCHEDULE or queued by some
code (`.delay(` / `.apply_async(`): no task exists that nothing runs."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

from oasys.celery import app

OASYS = Path(__file__).resolve().parents[2]


def _our_tasks() -> dict[str, str]:
    app.loader.import_default_modules()  # autodiscover every app's tasks.py
    return {name: task.run.__name__ for name, task in app.tasks.items()
            if task.run.__module__.startswith("oasys.")}


def _queued_in_code() -> set[str]:
    found = set()
    for path in OASYS.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        found |= set(re.findall(r"(\w+)\.(?:delay|apply_async)\(", path.read_text()))
    return found


def test_every_task_is_scheduled_or_queued():
    tasks = _our_tasks()
    assert "oasys.clearinghouse.tasks.edi_files_sweep_task" in tasks  # the checker sees them
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    queued = _queued_in_code()
    idle = sorted(name for name, func in tasks.items()
                  if name not in scheduled and func not in queued)
    assert idle == []


def test_every_scheduled_task_exists():
    assert {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()} <= set(_our_tasks())
