"""Builds the crash test's database: run as a separate process with DATABASE_URL naming a
fresh SQLite file. Migrates it, creates a practice with `n` submitted claims and writes one
835 paying all of them (copay claims: paid, contractual, client share), for the crash test
to post under SIGKILL.

    python -m oasys.remittance.tests.crash_setup OUT.835 N
"""

from __future__ import annotations

import os
import sys


def main(out: str, n: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oasys.settings")
    import django  # noqa: PLC0415 -- Django must be configured before anything is imported

    django.setup()
    from django.core.management import call_command  # noqa: PLC0415

    call_command("migrate", verbosity=0)
    from oasys.core.services import practice_create  # noqa: PLC0415
    from oasys.remittance.tests.helpers import (  # noqa: PLC0415
        copay_claim,
        era,
        submitted_claim,
    )

    practice = practice_create(name="Crash Test Counseling", slug="crash-test")
    claims = [submitted_claim(practice) for _ in range(n)]
    raw = era([copay_claim(c, payer_claim_number=f"PAYER-{c.pk}") for c in claims],
              trace="CRASH0001")
    with open(out, "w", encoding="utf-8") as fh:
        fh.write(raw)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
