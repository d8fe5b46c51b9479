"""The 271 interpretation on public and own samples: each benefit kind, its source service
type, and "not reported" (None), never zero, for what the payer did not say."""

from __future__ import annotations

from oasys.eligibility.benefits import parse_271_text, summarize
from x12.parse.benefits_271 import parse_271
from x12.reader import X12Reader

from .conftest import fixture_text


def _all(name: str) -> list[dict]:
    return [summarize(parse_271(ts)) for ts in X12Reader.from_text(fixture_text(name))]


def test_mental_health_sample_every_kind_with_its_source():
    s = _all("271_own_mental_health.271")[0]
    assert s["coverage"] == "active" and s["plan_name"] == "SILVER PPO 2000"
    # In- and out-of-network rows both present: the plan, not this provider's status.
    assert s["network"] == "unknown"
    mh = s["mental_health"]
    assert (mh["copay"]["value"], mh["copay"]["service_type"]) == ("25.00", "MH")
    assert (mh["coinsurance"]["value"], mh["coinsurance"]["service_type"]) == ("20.00", "A6")
    assert (mh["sessions_allowed"]["value"], mh["sessions_allowed"]["service_type"]) == (
        "20", "A6")
    assert mh["sessions_used"] is None and mh["sessions_remaining"] is None
    assert mh["prior_authorization_required"]["value"] is True
    ded = s["deductible"]["individual"]["in_network"]
    assert ded["total"]["value"] == "1500.00" and ded["remaining"]["value"] == "1100.50"
    assert ded["met"] == {**ded["met"], "value": "399.50", "derived": True}
    assert s["deductible"]["family"]["in_network"]["total"] is None
    # W (both networks) applies to in and out of network
    assert s["out_of_pocket"]["family"]["in_network"]["total"]["value"] == "6000.00"
    assert s["out_of_pocket"]["family"]["out_of_network"]["total"]["value"] == "6000.00"
    assert s["out_of_pocket"]["individual"]["in_network"]["total"] is None


def test_inactive_and_rejected_samples():
    _, inactive, rejected = _all("271_own_mental_health.271")
    assert inactive["coverage"] == "inactive" and inactive["mental_health"]["copay"] is None
    assert rejected["coverage"] is None
    (rej,) = rejected["rejections"]
    assert rej["code"] == "72" and "member ID" in rej["advice"]


def test_public_sample_copay_from_mh_in_a_list_of_types():
    (s,) = _all("271_lfh_subscriber.271")
    assert s["coverage"] == "active" and s["plan_name"] == "GOLD 123 PLAN"
    assert s["mental_health"]["copay"]["value"] == "10.00"  # the in-network one
    assert s["mental_health"]["coinsurance"] is None
    assert s["deductible"]["individual"]["in_network"]["total"] is None


def test_public_dependent_sample_reads_the_dependent():
    (s,) = _all("271_lfh_dependent.271")
    assert s["coverage"] == "active"


def test_public_provider_rejection():
    (s,) = _all("271_lfh_subscriber_error_AAA.271")
    assert s["coverage"] is None and s["rejections"][0]["code"] == "50"
    assert "enrollment" in s["rejections"][0]["advice"] and s["payer_answered"]


def test_payer_unavailable_is_not_answered():
    text = fixture_text("271_lfh_subscriber_error_AAA.271").replace("AAA*Y**50*N", "AAA*Y**42*R")
    s = summarize(parse_271_text(text))
    assert s["payer_answered"] is False


def test_not_a_271_gives_none():
    assert parse_271_text(fixture_text("999_own_partial.x12")) is None
