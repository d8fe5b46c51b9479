"""Eligibility in plain English: each figure says what it is, for which period, network and
coverage level (not "$500.00 from 30"), and a rejected or inactive answer never shows as a
success: its banner is a warning or an error with the reason in words."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse

from oasys.eligibility.benefits import (
    figure_details,
    figure_text,
    network_text,
    period_text,
    service_type_text,
    summarize,
)
from oasys.eligibility.models import CheckSource
from oasys.eligibility.services import eligibility_check_run
from oasys.eligibility.wizard_views import _check_banner
from x12.parse.benefits_271 import parse_271
from x12.reader import X12Reader

from .conftest import fixture_text

pytestmark = pytest.mark.django_db

MH = "271_own_mental_health.271"  # active, inactive, rejected (AAA 72), in that order


def _transaction(name: str, index: int) -> str:
    """One 271 transaction of a fixture file, in its own interchange (ISA/GS kept)."""
    text = fixture_text(name)
    sep = text[105]  # the segment terminator follows the 106-character ISA
    segments = [s.strip() for s in text.split(sep) if s.strip()]
    starts = [i for i, s in enumerate(segments) if s.startswith("ST*")]
    end = next(i for i in range(starts[index], len(segments))
               if segments[i].startswith("SE*"))
    body = segments[starts[index]:end + 1]
    ge, iea = [s for s in segments if s.startswith("GE*")][0], segments[-1]
    ge = re.sub(r"^GE\*\d+", "GE*1", ge)
    return sep.join([segments[0], segments[1], *body, ge, iea]) + sep


def _summary(index: int = 0) -> dict:
    return [summarize(parse_271(ts)) for ts in X12Reader.from_text(fixture_text(MH))][index]


def test_deductible_in_words():
    ded = _summary()["deductible"]["individual"]["in_network"]
    assert figure_text(ded["total"], what="deductible") == (
        "$1,500.00 deductible, calendar year, in network, individual (whole plan)")
    assert figure_text(ded["remaining"], what="deductible") == (
        "$1,100.50 deductible, remaining, in network, individual (whole plan)")
    # met = total - remaining: says it was calculated, and what period it covers
    assert figure_text(ded["met"], what="deductible") == (
        "$399.50 deductible, year to date, in network, individual (whole plan), calculated "
        "from the other figures")


def test_copay_coinsurance_visits_and_family_in_words():
    s = _summary()
    mh = s["mental_health"]
    assert figure_text(mh["copay"]) == "$25.00 per visit, in network, individual (mental health)"
    assert figure_text(mh["coinsurance"]) == (
        "20% per visit, in network, individual (psychotherapy)")
    assert figure_text(mh["sessions_allowed"]) == (
        "20 visits calendar year, in network, individual (psychotherapy)")
    assert figure_text(mh["prior_authorization_required"]) == (
        "Yes in network, individual (psychotherapy)")
    oop = s["out_of_pocket"]["family"]["in_network"]["total"]
    assert figure_text(oop, what="out-of-pocket") == (
        "$6,000.00 out-of-pocket, calendar year, in and out of network, family (whole plan)")


def test_compact_leaves_network_and_level_to_the_table():
    ded = _summary()["deductible"]["individual"]["in_network"]
    assert figure_details(ded["total"], what="deductible", compact=True) == (
        "deductible, calendar year (whole plan)")


def test_codes_in_words_and_old_summaries():
    assert period_text("23") == "calendar year" and period_text("24") == "year to date"
    assert period_text("29") == "remaining" and period_text("27") == "per visit"
    assert network_text("Y") == "in network" and network_text("N") == "out of network"
    assert network_text("U") == "" and network_text(None) == ""
    assert service_type_text("30") == "whole plan" and service_type_text("A6") == "psychotherapy"
    assert service_type_text("AI") == "substance abuse"  # X12's name, lower case
    # A summary stored before figures carried their row's codes says what it can.
    old = {"value": "500.00", "unit": "usd", "service_type": "30", "derived": False}
    assert figure_text(old, what="deductible") == "$500.00 deductible (whole plan)"
    assert figure_text(None) == "Not reported"


def test_rejection_reason_in_words():
    (rej,) = _summary(2)["rejections"]
    assert rej["code"] == "72"
    assert rej["meaning"] == "Invalid/missing subscriber/insured ID"
    assert rej["follow_up"] == "Please correct and resubmit"


def _run(clearinghouse, policy, owner, el_ctx, index: int):
    clearinghouse.eligibility_answer = _transaction(MH, index)
    return eligibility_check_run(policy=policy, ctx=el_ctx, actor=owner,
                                 source=CheckSource.MANUAL)


def test_active_check_page_green_with_figures_in_words(
        owner_client, owner, el_ctx, el_policy, el_provider, clearinghouse):
    check = _run(clearinghouse, el_policy, owner, el_ctx, 0)
    assert check.outcome == "active"
    html = owner_client.get(reverse("eligibility:detail", args=[check.pk])).content.decode()
    assert 'data-banner="ok"' in html and 'data-banner="error"' not in html
    # the table's rows name network and level; each cell says the rest, its tooltip all
    assert "deductible, calendar year (whole plan)" in html
    assert 'title="$1,500.00 deductible, calendar year, in network, individual (whole plan)"' \
        in html
    assert "per visit, in network, individual" in html  # the copay
    assert "from 30" not in html and "from MH" not in html


@pytest.mark.parametrize(("index", "outcome", "words"), [
    (2, "rejected", "Invalid/missing subscriber/insured ID"),
    (1, "inactive", "not active"),
])
def test_rejected_or_inactive_check_never_green(
        owner_client, owner, el_ctx, el_policy, el_provider, clearinghouse, index, outcome,
        words):
    check = _run(clearinghouse, el_policy, owner, el_ctx, index)
    assert check.outcome == outcome
    html = owner_client.get(reverse("eligibility:detail", args=[check.pk])).content.decode()
    assert 'data-banner="error"' in html and 'data-banner="ok"' not in html
    assert words in html
    # the client's page shows the latest check with the same banner
    client_page = owner_client.get(reverse("clients:detail", args=[check.client_id]))
    assert 'data-banner="error"' in client_page.content.decode()


@pytest.mark.parametrize(("index", "level", "words"), [
    (0, "success", "coverage is active"),
    (1, "error", "not active"),
    (2, "error", "Invalid/missing subscriber/insured ID"),
])
def test_wizard_banner_follows_the_outcome(owner, el_ctx, el_policy, el_provider,
                                           clearinghouse, index, level, words):
    check = _run(clearinghouse, el_policy, owner, el_ctx, index)
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    _check_banner(request, check)
    [message] = list(get_messages(request))
    assert message.level_tag == level
    assert words in message.message
