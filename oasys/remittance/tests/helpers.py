"""Building 835s with the x12 library for claims made by the billing factories."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from decimal import Decimal

from oasys.billing.tests import factories as f
from oasys.claims.models import Claim
from oasys.claims.services import ClaimDraft, claim_create_for_session, claim_transition
from oasys.claims.status import ClaimStatus
from x12.build.remit_835 import ProviderAdjustment, RemitClaim, RemitLine, Remittance, build_835
from x12.envelope import Envelope
from x12.models import Address, Adjustment

D = Decimal
_icn = itertools.count(100)


def submitted_claim(practice, *, charge: str = "130.00", days_ago: int = 3,
                    member_id: str = "W123456789") -> Claim:
    """A Submitted claim of one Ready session (through the claims services)."""
    s = f.ready_claim_session(practice, days_ago=days_ago)
    if member_id != s.policy.member_id:
        s.policy.member_id = member_id
        s.policy.save()
    ctx = f.ctx_for(practice=practice)
    claim = claim_create_for_session(practice=practice, ctx=ctx, draft=ClaimDraft(
        appointment_id=s.appointment.pk, policy_id=s.policy.pk, payer_id=s.payer.pk,
        cpt="90834", charge=D(charge), diagnosis_codes=("F41.1",)))
    claim_transition(claim=claim, to=ClaimStatus.SUBMITTED, ctx=ctx, source="test")
    claim.refresh_from_db()
    return claim


@dataclass
class Adj:
    group: str
    reason: str
    amount: str

    def x12(self) -> Adjustment:
        return Adjustment(self.group, self.reason, D(self.amount))


@dataclass
class C:
    """One claim to put in an 835: CAS on its single service line."""

    pcn: str
    charge: str
    paid: str
    adjustments: list[Adj] = field(default_factory=list)
    status: str = "1"
    payer_claim_number: str = "PCN-PAYER-1"
    claim_adjustments: list[Adj] = field(default_factory=list)
    service_date: dt.date = dt.date(2026, 3, 2)
    allowed: str | None = None
    remarks: list[str] = field(default_factory=list)  # LQ*HE on the service line

    def x12(self) -> RemitClaim:
        pr = sum((D(a.amount) for a in self.adjustments + self.claim_adjustments
                  if a.group == "PR"), D(0))
        return RemitClaim(
            patient_control_number=self.pcn, status_code=self.status, charge=D(self.charge),
            paid=D(self.paid), patient_responsibility=pr,
            payer_claim_number=self.payer_claim_number, patient_last_name="BENNETT",
            patient_first_name="AVERY", member_id="W123456789",
            adjustments=[a.x12() for a in self.claim_adjustments],
            lines=[RemitLine(procedure="90834", charge=D(self.charge), paid=D(self.paid),
                             service_date=self.service_date,
                             allowed=None if self.allowed is None else D(self.allowed),
                             adjustments=[a.x12() for a in self.adjustments],
                             remarks=list(self.remarks))])


def era(claims: list[C], *, trace: str = "EFT0001", payee_npi: str = f.PROFILE_NPI,
        plb: list[tuple[str, str]] = (), amount: str | None = None,
        date: dt.date = dt.date(2026, 3, 10), payer: str = "ACME HEALTH",
        icn: int | None = None) -> str:
    remit = Remittance(
        payer_name=payer, payer_tax_id="123456789",
        payer_address=Address("1 PAYER WAY", "HARTFORD", "CT", "06101"),
        payer_contact_phone="8005550100", payee_name="SERENITY TEST COUNSELING",
        payee_npi=payee_npi, payee_tax_id=f.EIN, trace_number=trace, payment_date=date,
        claims=[c.x12() for c in claims],
        provider_adjustments=[ProviderAdjustment(r, D(a)) for r, a in plb],
        payment_amount=None if amount is None else D(amount))
    n = icn if icn is not None else next(_icn)
    return build_835(remit, Envelope(sender_id="ACMEPAYER", receiver_id="OASYS",
                                     interchange_control_number=n, group_control_number=n))


def copay_claim(claim: Claim, **kw) -> C:
    """$130 billed, $98 allowed: CO-45 $32, PR-3 $20 copay, paid $78."""
    return C(claim.patient_control_number, "130.00", "78.00",
             [Adj("CO", "45", "32.00"), Adj("PR", "3", "20.00")], allowed="98.00", **kw)
