"""The crash test's worker: a process with Django loaded that posts an 835 in a forked child
per request, so each attempt is a real process that can be SIGKILLed anywhere without paying
Django's start-up again. Reads one request a line on stdin and answers one line on stdout:

    post DB_PATH FILE SLUG DELAY   ->  "exit CODE" | "killed"

The child runs `oasys era import FILE --practice SLUG` (the management command, the product's
own posting path) against the SQLite file DB_PATH. If it has not finished after DELAY seconds
(a negative DELAY: never) the worker kills it with SIGKILL. Nothing in the posting code
knows about any of this: the kill is a timer here, at a random point of the real work.

    python -m oasys.remittance.tests.crash_worker
"""

from __future__ import annotations

import os
import select
import signal
import sys


def _child(db_path: str, path: str, slug: str) -> None:
    from django.conf import settings  # noqa: PLC0415 -- after django.setup() in main
    from django.core.management import call_command  # noqa: PLC0415
    from django.db import connections  # noqa: PLC0415

    settings.DATABASES["default"]["NAME"] = db_path
    connections["default"].settings_dict["NAME"] = db_path
    try:
        call_command("era", "import", path, "--practice", slug, stdout=open(os.devnull, "w"))  # noqa: SIM115
    except BaseException:  # noqa: BLE001 -- the exit code is the whole answer
        os._exit(1)
    os._exit(0)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")
    import django  # noqa: PLC0415

    django.setup()
    from django.db import connections  # noqa: PLC0415

    connections.close_all()  # the children open their own
    for line in sys.stdin:
        cmd, db_path, path, slug, delay = line.split()
        assert cmd == "post"
        sys.stdout.flush()
        pid = os.fork()
        if pid == 0:
            _child(db_path, path, slug)
        fd = os.pidfd_open(pid)
        timeout = float(delay)
        ready, _, _ = select.select([fd], [], [], None if timeout < 0 else timeout)
        killed = False
        if not ready:
            signal.pidfd_send_signal(fd, signal.SIGKILL)
            killed = True
        _, status = os.waitpid(pid, 0)
        os.close(fd)
        if killed and os.WIFSIGNALED(status):
            print("killed", flush=True)
        else:
            print(f"exit {os.waitstatus_to_exitcode(status)}", flush=True)


if __name__ == "__main__":
    main()
