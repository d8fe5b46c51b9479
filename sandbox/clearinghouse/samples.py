"""Sample 837P claim files built with the x12 library, for demos and tests.

`python -m sandbox.clearinghouse.samples --npi 1234567893 --member DED123 --pcn CLAIM-1`
prints one interchange; repeat `--pcn`/`--member` pairs are not needed: `--claims N` makes N
claims numbered from --pcn.
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from x12.build.claim_837p import (
    Batch837P,
    Claim,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
    build_837p,
)
from x12.build.eligibility_270 import (
    EligibilityInquiry,
    InquiryPayer,
    InquiryPerson,
    InquiryProvider,
    build_270,
)
from x12.build.status_276 import StatusClaim, StatusInquiry, StatusSubscriber, build_276
from x12.envelope import Envelope
from x12.models import Address

OFFICE = Address("123 MAIN ST", "SPRINGFIELD", "IL", "627011234")
HOME = Address("9 ELM ST", "SPRINGFIELD", "IL", "62702")


@dataclass
class SampleClaim:
    pcn: str
    member_id: str = "W123456789"
    procedure: str = "90837"
    charge: Decimal = Decimal("180.00")
    service_date: dt.date | None = None
    prior_authorization: str | None = None
    last_name: str = "DOE"
    first_name: str = "JANE"


def sample_837p(claims: list[SampleClaim], *, npi: str = "1234567893",
                tax_id: str = "371234567", payer_id: str = "62308", payer_name: str = "CIGNA",
                sender_id: str = "OASYSTEST", control_number: int = 1) -> str:
    today = dt.date.today()
    built = []
    for c in claims:
        sub = Subscriber(c.member_id, c.last_name, c.first_name, birth_date=dt.date(1980, 5, 17),
                         gender="F", address=HOME, group_number="GRP1000")
        built.append(Claim(
            patient_control_number=c.pcn, subscriber=sub, payer=Payer(payer_name, payer_id),
            diagnoses=["F41.1"], prior_authorization=c.prior_authorization,
            lines=[ServiceLine(c.procedure, c.charge, c.service_date or today)]))
    now = dt.datetime.now().replace(second=0, microsecond=0)
    batch = Batch837P(
        Submitter("CALM MIND THERAPY LLC", sender_id, "ANA RIVERA", "2175550100"),
        Receiver("STEDI", "117151744"),
        Provider("CALM MIND THERAPY LLC", npi, organization=True, taxonomy="101YM0800X",
                 address=OFFICE, ein=tax_id),
        built, reference_id=f"{control_number:04d}", created=now)
    env = Envelope(sender_id=sender_id, receiver_id="STEDI",
                   interchange_control_number=control_number,
                   group_control_number=control_number,
                   created=now)
    return build_837p(batch, env)


def sample_270(member_id: str, *, payer_id: str = "62308", npi: str = "1234567893",
               trace: str = "TRACE-1", dependent: bool = False) -> str:
    sub = InquiryPerson("DOE", "JANE", dt.date(1980, 5, 17), "F", member_id)
    dep = InquiryPerson("DOE", "TIMMY", dt.date(2012, 3, 4), "M", relationship="19") \
        if dependent else None
    inq = EligibilityInquiry(InquiryPayer("CIGNA", payer_id),
                             InquiryProvider("CALM MIND THERAPY LLC", npi), sub, trace,
                             service_types=["30", "MH"], dependent=dep)
    return build_270(inq, Envelope(sender_id="OASYSTEST", receiver_id="STEDI",
                                   interchange_control_number=1, group_control_number=1))


def sample_276(member_id: str, pcn: str, *, charge: Decimal = Decimal("180.00"),
               service_date: dt.date | None = None, payer_id: str = "62308",
               npi: str = "1234567893", trace: str = "ST-1") -> str:
    inq = StatusInquiry("CIGNA", payer_id, "CALM MIND THERAPY LLC", "OASYSTEST",
                        "CALM MIND THERAPY LLC", npi,
                        [(StatusSubscriber(member_id, "DOE", "JANE"),
                          [StatusClaim(trace, pcn, charge, service_date or dt.date.today())])])
    return build_276(inq, Envelope(sender_id="OASYSTEST", receiver_id="STEDI",
                                   interchange_control_number=1, group_control_number=1))


def main() -> None:
    parser = argparse.ArgumentParser(description="print a sample 837P interchange")
    parser.add_argument("--npi", default="1234567893")
    parser.add_argument("--tax-id", default="371234567")
    parser.add_argument("--member", default="W123456789")
    parser.add_argument("--pcn", default="CLAIM-1")
    parser.add_argument("--claims", type=int, default=1)
    parser.add_argument("--cpt", default="90837")
    parser.add_argument("--charge", default="180.00")
    parser.add_argument("--payer-id", default="62308")
    parser.add_argument("--control-number", type=int, default=1)
    args = parser.parse_args()
    claims = [SampleClaim(args.pcn if args.claims == 1 else f"{args.pcn}-{n}", args.member,
                          args.cpt, Decimal(args.charge)) for n in range(1, args.claims + 1)]
    print(sample_837p(claims, npi=args.npi, tax_id=args.tax_id, payer_id=args.payer_id,
                      control_number=args.control_number))


if __name__ == "__main__":
    main()
