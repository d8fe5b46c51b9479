"""A practice with something on every line of the home page, `size` times over, built with
the billing and remittance factories (sessions, claims and ERAs through the apps' own
services; a claim's or invoice's status set directly where the path to it is long).

What it holds per unit of `size` (the expected counts are `size` times these):
  sessions: 1 Ready; 1 missing diagnosis codes; 1 unsigned and missing diagnosis codes
  claims:   1 rejected, 1 denied, 1 submission failed, 1 in flight for 40 days, 1 fresh
  ERAs:     1 quarantined (does not balance), 1 held (a claim's date cannot be read)
  invoices: 1 overdue, 1 open
  eligibility: 1 client inactive, 1 failed then active (cleared), 1 error then pending
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.eligibility.models import CheckOutcome, CheckSource, EligibilityCheck
from oasys.invoices.models import Invoice, InvoiceKind, InvoiceStatus
from oasys.invoices.services import invoice_number_next
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era, submitted_claim

PER_SIZE = {
    "ready": 1, "incomplete": 2, "reason-missing_diagnosis": 2, "reason-unsigned_note": 1,
    "claims-rejected": 1, "claims-denied": 1, "claims-failed": 1, "claims-aging": 1,
    "eras-damaged": 1, "eras-quarantined": 1, "era-reviews": 0, "invoices-overdue": 1,
    "eligibility-failing": 2,
}


@dataclass
class HomeWorld:
    size: int
    clinicians: list = field(default_factory=list)  # the queue sessions' clinicians

    def expected(self, key: str) -> int:
        return PER_SIZE[key] * self.size


def _status(claim: Claim, status: str, **more) -> None:
    Claim.objects.filter(pk=claim.pk).update(status=status, **more)


def _check(client, outcome: str, *, minutes_ago: int) -> EligibilityCheck:
    check = EligibilityCheck.objects.create(
        practice=client.practice, client=client, source=CheckSource.MANUAL, outcome=outcome)
    EligibilityCheck.objects.filter(pk=check.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return check


def home_world_build(practice, *, size: int = 1, era_number: int = 0) -> HomeWorld:
    world = HomeWorld(size=size)
    ctx = f.ctx_for(practice=practice)
    for n in range(size):
        ready = f.ready_claim_session(practice)
        world.clinicians.append(ready.clinician)
        no_dx = f.ready_claim_session(practice)
        no_dx.diagnosis.delete()
        both = f.ready_claim_session(practice)
        both.diagnosis.delete()
        both.appointment.note_signed_at = None
        both.appointment.save()
        world.clinicians += [no_dx.clinician, both.clinician]

        _status(submitted_claim(practice), ClaimStatus.REJECTED)
        _status(submitted_claim(practice), ClaimStatus.DENIED)
        _status(submitted_claim(practice), ClaimStatus.SUBMISSION_FAILED)
        _status(submitted_claim(practice), ClaimStatus.ACKNOWLEDGED,
                submitted_at=timezone.now() - dt.timedelta(days=40))
        submitted_claim(practice)  # in flight, 3 days: not yet a worry

        unbalanced = submitted_claim(practice)
        result = era_import(practice=practice, ctx=ctx, raw=era(
            [copay_claim(unbalanced)], amount="80.00", trace=f"Q{era_number}{n}"))
        assert [o.state for o in result.outcomes] == ["quarantined"]
        held = [submitted_claim(practice), submitted_claim(practice)]
        raw = era([copay_claim(c, service_date=dt.date(2026, 3, 2 + i))
                   for i, c in enumerate(held)], trace=f"D{era_number}{n}")
        raw = raw.replace("DTM*472*20260303~", "DTM*472*20140231~")
        result = era_import(practice=practice, ctx=ctx, raw=raw)
        assert [o.state for o in result.outcomes] == ["damaged"]

        for status in (InvoiceStatus.OVERDUE, InvoiceStatus.OPEN):
            client = f.make_client(practice)
            Invoice.objects.create(
                practice=practice, client=client, number=invoice_number_next(practice=practice),
                kind=InvoiceKind.STANDALONE, status=status, total=Decimal("100.00"),
                issue_date=timezone.localdate() - dt.timedelta(days=40),
                due_date=timezone.localdate() - dt.timedelta(days=10))

        inactive, cleared, retried = (f.make_client(practice) for _ in range(3))
        _check(inactive, CheckOutcome.ACTIVE, minutes_ago=90)
        _check(inactive, CheckOutcome.INACTIVE, minutes_ago=10)
        _check(cleared, CheckOutcome.REJECTED, minutes_ago=90)
        _check(cleared, CheckOutcome.ACTIVE, minutes_ago=10)
        _check(retried, CheckOutcome.ERROR, minutes_ago=90)
        _check(retried, CheckOutcome.PENDING, minutes_ago=1)  # still on its way
    return world
