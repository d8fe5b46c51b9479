"""The demo's insurance money already back: a few of Serenity's Ready insured sessions are
billed, sent to the clearinghouse simulator, and answered -- 999, 277CA and an 835 -- so the
practice has posted ERAs whose client shares (the plan's $20 copay) are not invoiced yet.
That is what auto-billing's client-responsibility phase bills (issue 13's demo), and what
Payment Remittances shows from the start.

Made through the product's own path: `billing_submit` (claims and their 837P), the outbox's
`edi_file_transmit`, the simulator's clock moved past the payer's answer (its control, as
sandbox/README.md shows by hand), and `reports_poll` (the 835 posted as any ERA is). Safe to
run again: a practice with an ERA already is left as it is. Only ever against a loopback
simulator."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db.models import Sum

from oasys.billing.readiness import Route, billing_queue, unbilled_sessions
from oasys.billing.services import billing_submit
from oasys.clearinghouse.services import edi_file_transmit, reports_poll
from oasys.core.audit import AuditContext
from oasys.core.models import Practice, User
from oasys.demo.seed import _LOOPBACK  # the one list of what counts as this machine
from oasys.remittance.models import Remittance, RemittanceClaim

ERA_SESSIONS = 4  # the oldest Ready insured sessions, answered by the payer
PAYER_DAYS = 9  # the simulator's 835 comes 8 days after the claim (sandbox/README.md)


@dataclass
class EraSeedResult:
    claims: int = 0  # billed and answered by this seeding
    remittances: int = 0  # the practice's ERAs
    client_share: str = "0.00"  # the client shares they leave
    warning: str = ""


def _simulator() -> str:
    """The simulator's base URL, or "" when the clearinghouse is not a local simulator."""
    if getattr(settings, "CLEARINGHOUSE_ADAPTER", "stedi") != "stedi":
        return ""
    base = (settings.CLEARINGHOUSE_BASE_URL or "").rstrip("/")
    return base if (urlsplit(base).hostname or "") in _LOOPBACK else ""


def seed_demo_eras(*, practice_slug: str = "serenity",
                   owner_email: str = "therapist@demo.test") -> EraSeedResult:
    practice = Practice.objects.filter(slug=practice_slug).first()
    if practice is None:
        return EraSeedResult(warning="run seed_demo() first: no such practice")
    if not Remittance.objects.filter(practice=practice).exists():
        base = _simulator()
        if not base:
            return EraSeedResult(warning="ERAs are seeded only against the local "
                                         "clearinghouse simulator")
        try:
            httpx.get(f"{base}/_sandbox/health", timeout=5).raise_for_status()
        except httpx.HTTPError as exc:
            return EraSeedResult(warning=f"the clearinghouse simulator at {base} is not "
                                         f"answering ({exc}): ERAs not seeded")
        claims = _bill_and_answer(practice, base, User.objects.get(email=owner_email))
    else:
        claims = 0
    shares = RemittanceClaim.objects.filter(practice=practice).aggregate(
        total=Sum("client_share"))["total"]
    return EraSeedResult(claims=claims,
                         remittances=Remittance.objects.filter(practice=practice).count(),
                         client_share=f"{shares or 0:.2f}")


def _bill_and_answer(practice: Practice, base: str, owner: User) -> int:
    ready = [i.appointment.pk for i in billing_queue(
        practice=practice, sessions=unbilled_sessions(practice=practice))
        if i.ready and i.route == Route.CLAIM][:ERA_SESSIONS]
    if not ready:
        return 0
    ctx = AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=practice.pk)
    result = billing_submit(practice=practice, appointment_ids=ready, ctx=ctx, actor=owner)
    files = {c.submission.edi_file_id for c in result.claims if c.submission_id}
    for file_id in sorted(files):
        edi_file_transmit(edi_file_id=file_id)
    # The payer's answers are due on the simulator's clock: move it past them, then poll.
    httpx.post(f"{base}/_sandbox/clock", json={"days": PAYER_DAYS}, timeout=30
               ).raise_for_status()
    reports_poll()
    return len(result.claims)
