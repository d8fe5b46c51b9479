"""The claim page's "What the payer said": every CARC/RARC of every ERA and every 277CA status
about the claim, in words with what to do, and the 835 among the claim's files."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.billing.tests import factories as f
from oasys.claims.denials import CLIENT_SHARE_FIX, fix_for
from oasys.claims.models import ClaimNotice
from oasys.claims.payer_said import claim_era_files, claim_payer_said, status_said
from oasys.clearinghouse.services import edi_file_receive
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import Adj, C, copay_claim, era, submitted_claim
from x12 import Envelope
from x12.build.claim_ack_277ca import ClaimAcknowledgment, build_277ca
from x12.build.claim_ack_277ca import ClaimStatus as AckStatus

D = Decimal


@pytest.fixture
def ctx(practice):
    return f.ctx_for(practice=practice)


def _denied_era(claim) -> str:
    """A denial: CO-16 (information missing) with remarks MA130 and M51 on the line."""
    return era([C(claim.patient_control_number, "130.00", "0.00", [Adj("CO", "16", "130.00")],
                  status="4", remarks=["MA130", "M51"])], trace="EFTDENY",
               date=dt.date(2026, 3, 10))


def _277ca(claim, *, category: str, status: str, entity: str | None = None,
           icn: int = 501) -> str:
    ack = ClaimAcknowledgment(
        payer_name="ACME HEALTH", payer_id="60054", receiver_name="SERENITY",
        receiver_id="SERENITY", billing_provider_name="REYES",
        billing_provider_npi=f.PROFILE_NPI,
        claims=[AckStatus(patient_control_number=claim.patient_control_number,
                          category=category, status=status, entity=entity,
                          charge=D("130.00"), patient_last_name="BENNETT",
                          patient_first_name="AVERY", member_id="W123456789",
                          service_from=claim.service_date)],
        received_date=dt.date(2026, 3, 4), processed_date=dt.date(2026, 3, 4))
    env = Envelope(sender_id="117151744", receiver_id="SERENITY",
                   interchange_control_number=icn, group_control_number=icn,
                   created=dt.datetime(2026, 3, 4, 9, 0))
    return build_277ca(ack, env)


def test_nothing_heard_yet(practice, owner_client):
    claim = submitted_claim(practice)
    assert claim_payer_said(claim=claim) == []
    body = owner_client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert "What the payer said" in body
    assert "Nothing heard yet" in body


def test_denial_codes_in_words_with_fixes(practice, ctx, owner_client):
    claim = submitted_claim(practice)
    era_import(practice=practice, raw=_denied_era(claim), ctx=ctx)

    [statement] = claim_payer_said(claim=claim)
    assert statement.kind == "era" and statement.source == "ERA of Mar 10, 2026"
    assert statement.summary == "Denied" and statement.paid == D("0.00")
    by_code = {c.code: c for c in statement.codes}
    assert set(by_code) == {"CO-16", "MA130", "M51"}
    co16 = by_code["CO-16"]
    assert co16.group_words == "Contractual obligation" and co16.amount == D("130.00")
    assert "missing information" in co16.words and co16.known
    assert "replacement claim" in co16.fix
    assert co16.where.startswith("Line 1")
    assert "cannot be appealed" in by_code["MA130"].words
    assert "Do not appeal" in by_code["MA130"].fix
    assert "procedure code" in by_code["M51"].words

    body = owner_client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert "ERA of Mar 10, 2026" in body
    assert "Contractual obligation" in body
    assert "$130.00" in body
    assert "cannot be appealed" in body  # MA130 in words
    assert "Nothing heard yet" not in body


def test_reversal_and_repost_show_as_two_eras_and_two_files(practice, ctx, owner_client):
    claim = submitted_claim(practice)
    era_import(practice=practice, raw=era([copay_claim(claim)], trace="EFT1",
                                          date=dt.date(2026, 3, 10)), ctx=ctx)
    reversal = C(claim.patient_control_number, "-130.00", "-78.00",
                 [Adj("CO", "45", "-32.00"), Adj("PR", "3", "-20.00")], status="22")
    repost = C(claim.patient_control_number, "130.00", "88.00",
               [Adj("CO", "45", "22.00"), Adj("PR", "3", "20.00")],
               payer_claim_number="PCN-PAYER-2")
    era_import(practice=practice, raw=era([reversal, repost], trace="EFT2",
                                          date=dt.date(2026, 4, 2)), ctx=ctx)

    said = claim_payer_said(claim=claim)
    assert [s.source for s in said] == ["ERA of Apr 2, 2026", "ERA of Apr 2, 2026",
                                        "ERA of Mar 10, 2026"]
    reversals = [s for s in said if s.reversal]
    assert len(reversals) == 1 and reversals[0].paid == D("-78.00")
    assert {(c.code, c.amount) for c in reversals[0].codes} == {
        ("CO-45", D("-32.00")), ("PR-3", D("-20.00"))}
    pr3 = next(c for c in said[-1].codes if c.code == "PR-3")
    assert pr3.group_words == "Patient responsibility" and pr3.fix == CLIENT_SHARE_FIX
    assert "copay" in pr3.words

    files = claim_era_files(claim=claim)
    assert len(files) == 2  # two 835s, each once although the second names the claim twice

    body = owner_client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert "reversal" in body and "took back −$78.00" in body
    assert "Patient responsibility" in body
    for e in files:
        assert reverse("remittance:detail", args=[e["remittance_id"]]) in body
        assert reverse("clearinghouse:file", args=[e["edi_file"].pk]) in body


def test_277ca_rejection_in_words(practice, owner_client):
    claim = submitted_claim(practice)
    edi_file, _ = edi_file_receive(raw=_277ca(claim, category="A7", status="33", entity="IL"))

    [statement] = claim_payer_said(claim=claim)
    assert statement.kind == "277CA" and statement.edi_file_id == edi_file.pk
    assert statement.source.startswith("277CA of ")
    [code] = statement.codes
    assert code.code == "A7:33"
    assert code.words.startswith("Rejected: some information is invalid.")
    assert "Subscriber and subscriber id not found" in code.words
    assert code.where == "Insured or subscriber"
    assert "member ID" in code.fix

    body = owner_client.get(reverse("claims:detail", args=[claim.pk])).content.decode()
    assert "Rejected: some information is invalid." in body
    assert "About: Insured or subscriber" in body
    assert reverse("clearinghouse:file", args=[edi_file.pk]) in body  # among the files


def test_277_and_era_newest_first(practice, ctx):
    claim = submitted_claim(practice)
    edi_file_receive(raw=_277ca(claim, category="A2", status="20"))
    era_import(practice=practice, raw=era([copay_claim(claim)], date=dt.date(2026, 3, 10)),
               ctx=ctx)
    said = claim_payer_said(claim=claim)
    # The 277CA arrived today; the ERA's payment date is Mar 10: the 277CA comes first.
    assert [s.kind for s in said] == ["277CA", "era"]
    accepted = next(s for s in said if s.kind == "277CA").codes[0]
    assert accepted.words.startswith("Accepted for processing.")
    assert "wait" in accepted.fix


@pytest.mark.parametrize(("category", "code", "expect"), [
    ("A6", "21", "Information is missing"),      # the status code's own fix
    ("A8", "999", "so they agree"),              # unknown status: the category's fix
    ("P1", "", "still working"),                 # a family of categories (P)
    ("ZZ", "", ""),                              # nothing we know: no advice invented
])
def test_status_fixes(category, code, expect):
    said = status_said(category=category, code=code, entity="")
    assert (expect in said.fix) if expect else said.fix == ""


def test_unknown_codes_say_so():
    said = status_said(category="ZZ", code="", entity="")
    assert said.words == "Category ZZ" and not said.known
    assert fix_for(carc="999", group="CO") == ""
    assert fix_for(carc="999", group="PR") == CLIENT_SHARE_FIX


def test_a_999_rejection_in_words(practice):
    claim = submitted_claim(practice)
    edi_file, _ = edi_file_receive(raw=_277ca(claim, category="A2", status="20"))
    # what claims/inbound.py keeps for a rejecting 999 (its reason already in words)
    ClaimNotice.objects.create(practice=practice, edi_file=edi_file, claim=claim, kind="999",
                               patient_control_number=claim.patient_control_number,
                               category="R", message="NM1 segment: required element missing")
    said = next(s for s in claim_payer_said(claim=claim) if s.kind == "999")
    [code] = said.codes
    assert code.code == "999 rejected" and "NM1 segment" in code.words
    assert "never received" in code.fix and "Category" not in code.words
