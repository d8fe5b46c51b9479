"""Running the same code in several threads at once, for concurrency tests: `run_together`
starts them at a barrier and collects what each returned or raised. Use it with the root
conftest's `threads_share_the_database` fixture: each thread opens its own connection to the
committed test database."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from django.db import connection


def run_together(fn: Callable[[], Any], n: int = 2) -> tuple[list, list]:
    """`fn` in `n` threads released together: (results, errors), in completion order."""
    barrier = threading.Barrier(n)
    results: list = []
    errors: list = []
    lock = threading.Lock()
    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            out = fn()
            with lock:
                results.append(out)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results, errors
