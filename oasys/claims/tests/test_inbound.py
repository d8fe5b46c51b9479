"""Inbound files drive claims, end to end against the clearinghouse simulator (a real
process): 999 → the submission is acknowledged; 277CA → Acknowledged with the payer's claim
number, or Rejected with the reason in words; unknown claims are kept as unmatched notices."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.billing.services import billing_submit
from oasys.billing.tests.factories import (
    committed,
    ctx_for,
    make_appointment,
    make_client,
    make_diagnosis,
    make_policy,
    ready_claim_session,
)
from oasys.claims.inbound import (
    adjudication_status,
    apply_999,
    claim_match,
    status_for_category,
)
from oasys.claims.models import Claim, ClaimNotice
from oasys.claims.services import ClaimDraft, claim_create_for_session
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.models import EdiFile
from oasys.clearinghouse.services import edi_file_receive, reports_poll
from x12 import Envelope
from x12.build.ack_999 import Ack999, SegmentError, TransactionAck, build_999
from x12.build.claim_ack_277ca import ClaimAcknowledgment, build_277ca
from x12.build.claim_ack_277ca import ClaimStatus as AckStatus
from x12.parse import parse_file

pytestmark = pytest.mark.django_db


def _session_for(sc, member_id):
    client = make_client(sc.practice)
    make_diagnosis(client)
    make_policy(client, sc.payer, member_id=member_id)
    return make_appointment(
        sc.practice, client=client, clinician=sc.clinician, service_type=sc.service_type, days_ago=3
    )


@pytest.fixture
def billed(practice, clearinghouse_sim, settings):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    sc = ready_claim_session(practice)
    appts = {
        "ok": sc.appointment,
        "rejmember": _session_for(sc, "REJMEMBER77"),
        "rfi": _session_for(sc, "RFI123"),
    }
    with committed():
        result = billing_submit(
            practice=practice,
            appointment_ids=[a.pk for a in appts.values()],
            ctx=ctx_for(practice=practice),
        )
    assert len(result.claims) == 3, result
    claims = {k: Claim.objects.get(appointment=a) for k, a in appts.items()}
    return sc, claims, clearinghouse_sim


def test_999_then_277ca_move_claims(billed):
    sc, claims, sim = billed
    reports_poll()  # the 999 comes at once
    sub = claims["ok"].submission
    sub.refresh_from_db()
    assert sub.ack_status == "accepted" and sub.acknowledged_at is not None
    assert {c.status for c in Claim.objects.all()} == {ClaimStatus.SUBMITTED}

    sim.advance(1.1)
    reports_poll()  # the 277CA a simulated day later
    ok, rej, rfi = (Claim.objects.get(pk=claims[k].pk) for k in ("ok", "rejmember", "rfi"))
    assert ok.status == ClaimStatus.ACKNOWLEDGED
    assert ok.payer_claim_number  # REF*1K recorded
    assert rfi.status == ClaimStatus.ACKNOWLEDGED
    assert rej.status == ClaimStatus.REJECTED
    event = rej.events.get(to_status=ClaimStatus.REJECTED)
    assert "277CA file #" in event.source
    assert "subscriber" in event.reason.lower() or "insured" in event.reason.lower()
    assert ClaimNotice.objects.filter(claim=rej, kind="277CA", category="A7").exists()

    # Polling again (same files) changes nothing and adds no notices.
    before = (ClaimNotice.objects.count(), [c.status for c in Claim.objects.order_by("pk")])
    reports_poll()
    after = (ClaimNotice.objects.count(), [c.status for c in Claim.objects.order_by("pk")])
    assert before == after


def _our_999(*, control: int, rejected: bool) -> str:
    ack = TransactionAck(
        set_id="837",
        control_number="0001",
        status="R" if rejected else "A",
        implementation="005010X222A1",
        segments=[SegmentError(segment_id="NM1", position=22, loop_id="2010BA", code="8")]
        if rejected
        else [],
        error_codes=["5"] if rejected else [],
    )
    group = Ack999(
        functional_id="HC",
        group_control_number=str(control),
        version="005010X222A1",
        transactions=[ack],
    )
    env = Envelope(
        sender_id="117151744",
        receiver_id="SERENITY-TEST",
        interchange_control_number=901,
        group_control_number=901,
        created=dt.datetime(2026, 11, 20, 9, 0),
    )
    return build_999(group, env)


def test_a_rejecting_999_moves_every_claim_of_the_interchange_to_rejected(
    practice, settings, clearinghouse_sim
):
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    sc = ready_claim_session(practice)
    with committed():
        result = billing_submit(
            practice=practice, appointment_ids=[sc.appointment.pk],
            ctx=ctx_for(practice=practice)
        )
    [claim] = result.claims
    sub = claim.submission
    raw = _our_999(control=sub.interchange_control_number, rejected=True)
    edi_file, created = edi_file_receive(raw=raw)  # stored, matched, handled
    assert created and edi_file.practice_id == practice.pk
    claim.refresh_from_db()
    sub.refresh_from_db()
    assert sub.ack_status == "rejected"
    assert claim.status == ClaimStatus.REJECTED
    reason = claim.events.get(to_status=ClaimStatus.REJECTED).reason
    assert "NM1" in reason


def test_unknown_claim_in_a_277ca_is_kept_as_unmatched(practice, clearinghouse_sim, settings):
    sc = ready_claim_session(practice)
    ack = ClaimAcknowledgment(
        payer_name="AETNA",
        payer_id="60054",
        receiver_name="SERENITY",
        receiver_id="SERENITY",
        billing_provider_name="REYES",
        billing_provider_npi=sc.profile.npi,
        claims=[
            AckStatus(
                patient_control_number="NOTOURS123",
                category="A2",
                status="20",
                charge=Decimal("100.00"),
                patient_last_name="DOE",
                patient_first_name="JANE",
                member_id="X1",
                service_from=dt.date(2026, 11, 1),
                payer_claim_number="PCN999",
            )
        ],
        received_date=dt.date(2026, 11, 20),
        processed_date=dt.date(2026, 11, 20),
    )
    env = Envelope(
        sender_id="117151744",
        receiver_id="SERENITY",
        interchange_control_number=77,
        group_control_number=77,
        created=dt.datetime(2026, 11, 20, 9, 0),
    )
    edi_file, _ = edi_file_receive(raw=build_277ca(ack, env))
    assert edi_file.practice_id == practice.pk  # matched by the billing provider's NPI
    notice = ClaimNotice.objects.get(patient_control_number="NOTOURS123")
    assert notice.claim is None and notice.practice_id == practice.pk
    assert notice.payer_claim_number == "PCN999"
    assert not Claim.objects.exists()  # nothing of ours to touch, nothing created


def test_999_for_an_unknown_interchange_changes_nothing(practice):
    raw = _our_999(control=424242, rejected=True)
    edi_file, _ = edi_file_receive(raw=raw)
    [(_isa, [group])] = parse_file(raw.encode()).interchanges
    assert apply_999(edi_file=edi_file, group=group, ctx=ctx_for(practice=practice)) == 0


def test_claim_match_by_pcn_then_payer_number(practice):
    sc = ready_claim_session(practice)
    claim = claim_create_for_session(
        practice=practice,
        ctx=ctx_for(practice=practice),
        draft=ClaimDraft(
            appointment_id=sc.appointment.pk,
            policy_id=sc.policy.pk,
            payer_id=sc.payer.pk,
            cpt="90834",
            charge=Decimal("130.00"),
            diagnosis_codes=("F41.1",),
        ),
    )
    Claim.objects.filter(pk=claim.pk).update(payer_claim_number="ABC123")
    assert (
        claim_match(practice=practice, patient_control_number=claim.patient_control_number) == claim
    )
    assert (
        claim_match(practice=practice, patient_control_number="nope", payer_claim_number="ABC123")
        == claim
    )
    assert claim_match(practice=practice, patient_control_number="nope") is None
    assert (
        claim_match(practice=practice, patient_control_number="", payer_claim_number="ABC123")
        == claim
    )
    # one of OUR numbers that we do not have is not matched by the payer's number instead
    assert (
        claim_match(
            practice=practice, patient_control_number="OA0000ZZZZ", payer_claim_number="ABC123"
        )
        is None
    )


@pytest.mark.parametrize(
    ("category", "ack", "expected"),
    [
        ("A1", True, ClaimStatus.ACKNOWLEDGED),
        ("A2", True, ClaimStatus.ACKNOWLEDGED),
        ("A3", True, ClaimStatus.REJECTED),
        ("A7", True, ClaimStatus.REJECTED),
        ("P1", False, ClaimStatus.IN_REVIEW),
        ("P3", False, ClaimStatus.PENDING_INFO),
        ("R3", False, ClaimStatus.PENDING_INFO),
        ("F2", False, ClaimStatus.DENIED),
        ("F1", False, None),
        ("E0", False, None),
    ],
)
def test_status_for_category(category, ack, expected):
    assert status_for_category(category, acknowledgment=ack) == expected


@pytest.mark.parametrize(
    ("code", "paid", "pr", "expected"),
    [
        ("1", "80.00", "0.00", ClaimStatus.PAID),
        ("1", "60.00", "20.00", ClaimStatus.PARTIAL),
        ("1", "0.00", "98.00", ClaimStatus.PARTIAL),  # deductible took it all: the client owes
        ("19", "49.00", "49.00", ClaimStatus.PARTIAL),
        ("4", "0.00", "0.00", ClaimStatus.DENIED),
        ("1", "0.00", "0.00", ClaimStatus.DENIED),
        ("22", "-80.00", "0.00", None),
    ],
)
def test_adjudication_status(code, paid, pr, expected):
    assert (
        adjudication_status(
            status_code=code, paid=Decimal(paid), patient_responsibility=Decimal(pr)
        )
        == expected
    )


def test_unmatched_statements_page_lists_them(owner_client, practice):
    f = EdiFile.objects.create(practice=practice, direction="inbound", raw="ISA", sha256="x" * 64,
                               status="parsed", set_id="277", label="277CA")
    ClaimNotice.objects.create(practice=practice, edi_file=f, kind="277CA",
                               patient_control_number="ELSEWHERE9", category="A2", code="20",
                               message="accepted")
    listing = owner_client.get(reverse("claims:list"))
    assert b"1 unmatched statement" in listing.content
    page = owner_client.get(reverse("claims:unmatched"))
    assert page.status_code == 200 and b"ELSEWHERE9" in page.content
