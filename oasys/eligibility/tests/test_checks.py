"""Running eligibility checks: the 270 sent, the 271 read, messages in words, and the fee
ledger (charged only when the payer answered), through the port fake and the simulator."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from oasys.clearinghouse.port import FinalError, RetryableError
from oasys.core.models import AuditEvent
from oasys.eligibility.models import CheckOutcome, EligibilityCheck, UsageFee
from oasys.eligibility.services import eligibility_check_run
from x12.parse import parse_transaction
from x12.reader import X12Reader
from x12.validate_270 import validate_270

from .conftest import fixture_text

pytestmark = pytest.mark.django_db


def _parsed_270(text: str) -> dict:
    (ts,) = list(X12Reader.from_text(text))
    return parse_transaction(ts).to_dict()


def test_subscriber_270_is_valid_and_names_provider_payer_member(
        el_policy, el_provider, el_ctx, el_answering):
    check = eligibility_check_run(policy=el_policy, ctx=el_ctx)
    assert validate_270(check.x12_270) == []
    sent = _parsed_270(el_answering.eligibility_sent[0])
    assert sent["payer"]["id"] == "SUNEL"  # the eligibility payer id beats the claims id
    assert sent["provider"]["id"] == "1234567893" and sent["provider"]["name"] == \
        "CALM MIND THERAPY"
    assert sent["subscriber"]["id"] == "W123456789" and sent["subscriber"]["name"] == "DOE"
    assert sent["dependent"] is None
    assert {"30", "MH"} <= set(sent["service_types"])
    assert sent["date"] is not None
    assert "DMG*D8*19800517*F" in check.x12_270
    assert check.outcome == CheckOutcome.ACTIVE and check.reached_payer
    assert check.x12_271.startswith("ISA") and check.transaction_id == "elig-txn-1"


def test_dependent_270_when_client_is_not_the_subscriber(
        el_policy_factory, el_provider, el_ctx, el_answering):
    policy = el_policy_factory(
        relationship="child", subscriber_first_name="John", subscriber_last_name="Doe",
        subscriber_date_of_birth=dt.date(1975, 1, 2), subscriber_gender="M",
        subscriber_address1="9 Elm St", subscriber_city="Springfield", subscriber_state="IL",
        subscriber_zip_code="62702")
    check = eligibility_check_run(policy=policy, ctx=el_ctx)
    assert validate_270(check.x12_270) == []
    sent = _parsed_270(check.x12_270)
    assert sent["subscriber"]["first_name"] == "JOHN"
    assert sent["dependent"]["first_name"] == "JANE"
    assert "INS*N*19" in check.x12_270


def test_claims_payer_id_is_used_when_no_eligibility_id(
        el_policy, el_payer, el_provider, el_ctx, el_answering):
    el_payer.payer_id_eligibility = ""
    el_payer.save()
    el_policy.refresh_from_db()
    eligibility_check_run(policy=el_policy, ctx=el_ctx)
    assert _parsed_270(el_answering.eligibility_sent[0])["payer"]["id"] == "SUN01"


def test_missing_provider_npi_is_refused_and_costs_nothing(el_policy, el_ctx, el_answering):
    with pytest.raises(ValidationError) as exc:
        eligibility_check_run(policy=el_policy, ctx=el_ctx)
    assert "provider" in exc.value.message_dict
    assert not EligibilityCheck.objects.exists() and not UsageFee.objects.exists()
    assert el_answering.eligibility_sent == []


def test_answered_check_costs_the_fee_once(el_policy, el_provider, el_ctx, el_answering,
                                           settings):
    settings.ELIGIBILITY_CHECK_FEE = "0.15"
    check = eligibility_check_run(policy=el_policy, ctx=el_ctx)
    fee = UsageFee.objects.get()
    assert fee.amount == Decimal("0.15") and fee.eligibility_check == check
    assert fee.practice_id == check.practice_id


@pytest.mark.parametrize("error, outcome", [
    (RetryableError("timed out: ReadTimeout"), CheckOutcome.NO_RESPONSE),
    (FinalError("HTTP 400: bad", status=400), CheckOutcome.ERROR),
])
def test_check_that_never_reached_the_payer_is_free(
        el_policy, el_provider, el_ctx, el_answering, error, outcome):
    el_answering.fail_next(error)
    check = eligibility_check_run(policy=el_policy, ctx=el_ctx)
    assert check.outcome == outcome and not check.reached_payer and check.is_retryable
    assert not UsageFee.objects.exists()
    if outcome == CheckOutcome.NO_RESPONSE:
        assert "did not answer" in check.message and "try again" in check.message
    assert check.summary["coverage"] is None


def test_rejection_is_explained_in_words(el_policy, el_provider, el_ctx, el_answering):
    text = fixture_text("271_own_mental_health.271")
    # keep only the third transaction set (AAA*Y**72*C): an invalid member ID
    head, third = text.split("ST*271*0001")[0], "ST*271*0003" + text.split("ST*271*0003")[1]
    el_answering.eligibility_answer = head + third.replace("GE*3*", "GE*1*")
    check = eligibility_check_run(policy=el_policy, ctx=el_ctx)
    assert check.outcome == CheckOutcome.REJECTED
    assert "member ID" in check.message
    assert UsageFee.objects.filter(eligibility_check=check).exists()  # the payer answered


def test_unreadable_answer_is_an_error_and_free(el_policy, el_provider, el_ctx, el_answering):
    el_answering.eligibility_answer = "not x12 at all"
    check = eligibility_check_run(policy=el_policy, ctx=el_ctx)
    assert check.outcome == CheckOutcome.ERROR and not UsageFee.objects.exists()


def test_audit_has_no_phi(el_policy, el_provider, el_ctx, el_answering):
    eligibility_check_run(policy=el_policy, ctx=el_ctx)
    events = AuditEvent.objects.filter(category="eligibility")
    assert events.count() >= 2
    blob = str([e.detail for e in events])
    for phi in ("Jane", "Doe", "W123456789", "1980"):
        assert phi not in blob


# --- the simulator as a real process: each kind of answer, through the Stedi adapter -------


def _sim_check(el_policy_factory, el_ctx, el_stedi, member_id):
    policy = el_policy_factory(member_id=member_id)
    return eligibility_check_run(policy=policy, ctx=el_ctx)


def test_simulator_default_plan_summary(el_policy_factory, el_provider, el_ctx, el_stedi):
    check = _sim_check(el_policy_factory, el_ctx, el_stedi, "W123")
    s = check.summary
    assert check.outcome == CheckOutcome.ACTIVE and s["network"] == "in_network"
    mh = s["mental_health"]
    assert mh["copay"]["value"] == "20.00" and mh["copay"]["service_type"] == "MH"
    assert mh["coinsurance"]["value"] == "0.00"
    assert mh["sessions_allowed"]["value"] == "30" and mh["sessions_remaining"]["value"] == "30"
    assert mh["sessions_used"] == {**mh["sessions_used"], "value": "0", "derived": True}
    assert mh["prior_authorization_required"]["value"] is False
    ded = s["deductible"]["individual"]["in_network"]
    assert ded["total"]["value"] == "0.00" and ded["remaining"]["value"] == "0.00"
    oop = s["out_of_pocket"]["individual"]["in_network"]
    assert oop["total"]["value"] == "3000.00" and oop["remaining"]["value"] == "3000.00"
    assert s["out_of_pocket"]["family"]["in_network"]["total"]["value"] == "6000.00"
    assert s["deductible"]["individual"]["out_of_network"]["total"] is None  # not reported


def test_simulator_configured_member_plan_matches(
        el_policy_factory, el_provider, el_ctx, el_stedi, clearinghouse_sim):
    clearinghouse_sim.control("members", {"ZED42": {
        "copay": "0", "coinsurance": "0.3", "deductible_individual": "750",
        "deductible_family": "1500", "oop_max_individual": "4000", "visits_per_year": 12,
        "prior_auth": True}})
    s = _sim_check(el_policy_factory, el_ctx, el_stedi, "ZED42").summary
    mh = s["mental_health"]
    assert mh["copay"] is None  # a $0 copay plan sends no copay row: not reported
    assert mh["coinsurance"]["value"] == "30.00"
    assert mh["sessions_allowed"]["value"] == "12"
    assert mh["prior_authorization_required"]["value"] is True
    assert s["deductible"]["individual"]["in_network"]["remaining"]["value"] == "750.00"
    assert s["deductible"]["family"]["in_network"]["total"]["value"] == "1500.00"
    assert s["out_of_pocket"]["individual"]["in_network"]["total"]["value"] == "4000.00"


@pytest.mark.parametrize("member, outcome, words, charged", [
    ("INACTIVE1", CheckOutcome.INACTIVE, "not active", True),
    ("UNKNOWN1", CheckOutcome.REJECTED, "check the member ID", True),
    ("ELIGTIMEOUT1", CheckOutcome.NO_RESPONSE, "did not answer", False),
    ("CARVE1", CheckOutcome.ACTIVE, "MINDWELL BEHAVIORAL HEALTH", True),
    ("OON1", CheckOutcome.ACTIVE, "Coverage is active", True),
])
def test_simulator_outcomes_in_words(el_policy_factory, el_provider, el_ctx, el_stedi,
                                     member, outcome, words, charged):
    check = _sim_check(el_policy_factory, el_ctx, el_stedi, member)
    assert check.outcome == outcome
    assert words in check.message
    assert UsageFee.objects.filter(eligibility_check=check).exists() is charged
    if member == "CARVE1":
        carve = check.summary["mental_health"]["carve_out"]
        assert carve["payer_id"] == "MWBH1" and check.summary["mental_health"]["copay"] is None
    if member == "OON1":
        assert check.summary["network"] == "out_of_network"
        assert check.summary["mental_health"]["coinsurance"]["value"] == "40.00"
        oon = check.summary["deductible"]["individual"]["out_of_network"]
        assert oon["total"]["value"] == "1000.00"


def test_simulator_timeout_fault_costs_nothing(el_policy_factory, el_provider, el_ctx,
                                               el_stedi, clearinghouse_sim):
    clearinghouse_sim.control("faults", {"kind": "timeout", "path": "eligibility",
                                         "seconds": 3, "count": 1})
    check = _sim_check(el_policy_factory, el_ctx, el_stedi, "W555")
    assert check.outcome == CheckOutcome.NO_RESPONSE and "try again" in check.message
    assert not UsageFee.objects.exists()
