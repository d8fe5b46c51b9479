"""Sample inputs for the builders (hand-written, fictitious people and ids)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from x12.build.claim_837p import (
    Batch837P,
    Claim,
    LineAdjudication,
    OtherPayer,
    Patient,
    Payer,
    Provider,
    Receiver,
    ServiceLine,
    Submitter,
    Subscriber,
)
from x12.envelope import Envelope
from x12.models import Address, Adjustment

D = Decimal
ADDR = Address("123 MAIN ST", "SPRINGFIELD", "IL", "627011234", "SUITE 4")
HOME = Address("9 ELM ST", "SPRINGFIELD", "IL", "62702")


def envelope(**kw: object) -> Envelope:
    base: dict = dict(sender_id="OASYS", receiver_id="CLEARHOUSE",
                      interchange_control_number=101, group_control_number=7,
                      transaction_control_number=1)
    base.update(kw)
    return Envelope(**base)


def billing_provider(organization: bool = True) -> Provider:
    if organization:
        return Provider("CALM MIND THERAPY LLC", "1234567893", organization=True,
                        taxonomy="101YM0800X", address=ADDR, ein="371234567")
    return Provider("RIVERA", "1234567893", first_name="ANA", taxonomy="1041C0700X",
                    address=ADDR, ssn="123456789")


def subscriber(member_id: str = "W123456789") -> Subscriber:
    return Subscriber(member_id, "DOE", "JANE", birth_date=dt.date(1980, 5, 17), gender="F",
                      address=HOME, group_number="GRP001")


def payer() -> Payer:
    return Payer("ACME HEALTH PLAN", "ACME1", Address("PO BOX 100", "CHICAGO", "IL", "60601"))


def simple_claim(pcn: str = "PCN0001", **kw: object) -> Claim:
    base: dict = dict(
        patient_control_number=pcn, subscriber=subscriber(), payer=payer(),
        diagnoses=["F41.1", "F33.1"],
        lines=[ServiceLine("90837", D("180.00"), dt.date(2026, 1, 5), modifiers=("95",),
                           diagnosis_pointers=(1, 2))],
    )
    base.update(kw)
    return Claim(**base)


def secondary_claim(pcn: str = "PCN0002") -> Claim:
    primary = Payer("BIG PRIMARY INS", "BIGP1")
    line = ServiceLine(
        "90834", D("150.00"), dt.date(2026, 1, 6), diagnosis_pointers=(1,),
        adjudications=[LineAdjudication("BIGP1", D("80.00"), dt.date(2026, 1, 20),
                                        [Adjustment("CO", "45", D("40.00")),
                                         Adjustment("PR", "2", D("30.00"))])])
    return Claim(
        patient_control_number=pcn, subscriber=subscriber("S999"), payer=payer(),
        diagnoses=["F43.23"], lines=[line], responsibility="S",
        other_payers=[OtherPayer(primary, subscriber("PRIM777"), paid=D("80.00"))],
        patient=Patient("DOE", "TIMMY", dt.date(2012, 3, 4), "M", HOME),
    )


def batch(claims: list[Claim] | None = None, organization: bool = True) -> Batch837P:
    return Batch837P(
        Submitter("CALM MIND THERAPY LLC", "SUB12345", "ANA RIVERA", "2175550100"),
        Receiver("CLEARHOUSE", "CH0001"),
        billing_provider(organization),
        claims if claims is not None else [simple_claim()],
    )
