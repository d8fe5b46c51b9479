"""Each number of the home page against a world built with the factories, and against the
list it links to (the same rows), the journal and the AR aging report (the same money)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from oasys.billing.selectors import QueueFilters, queue_get
from oasys.billing.tests import factories as f
from oasys.claims.selectors import claim_counts
from oasys.core.models import Role
from oasys.core.services import user_create
from oasys.eligibility.models import CheckOutcome
from oasys.eligibility.selectors import eligibility_check_failing_list
from oasys.home.selectors import (
    _month_start,
    home_billing_attention,
    home_clinician_ids,
    home_money_summary,
    home_sessions_attention,
)
from oasys.ledger.selectors import ar_aging
from oasys.ledger.services import ledger_post_claim_charge
from oasys.remittance.tests.helpers import submitted_claim
from oasys.statements.tests.world import client_month, posted_on

from .world import home_world_build

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def world(practice):
    return home_world_build(practice, size=2)


def _params(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def test_sessions_by_reason_match_bill_sessions(practice, owner, world):
    got = home_sessions_attention(practice=practice, user=owner)
    assert (got.ready, got.incomplete) == (world.expected("ready"), world.expected("incomplete"))
    lines = {line.key: line.count for line in got.reasons}
    assert lines == {"reason-missing_diagnosis": world.expected("reason-missing_diagnosis"),
                     "reason-unsigned_note": world.expected("reason-unsigned_note")}
    assert [line.key for line in got.reasons][0] == "reason-missing_diagnosis"  # most first
    queue = queue_get(practice=practice)
    assert (len(queue.ready), len(queue.incomplete)) == (got.ready, got.incomplete)
    assert {f"reason-{code}": n for code, _m, n in queue.reason_counts} == lines
    for line in got.reasons:  # the link opens Bill Sessions' Incomplete tab on that reason
        params = _params(line.url)
        assert urlsplit(line.url).path == reverse("billing:queue")
        assert params == {"tab": ["incomplete"], "reason": [line.key.removeprefix("reason-")]}
        listed = queue_get(practice=practice, filters=QueueFilters(reason=params["reason"][0]))
        assert len(listed.incomplete) == line.count


def test_a_clinician_counts_only_their_own_sessions(practice, world):
    clinician = world.clinicians[2]  # the unsigned, undiagnosed session's
    user = user_create(practice=practice, email="c@home.example", password="x" * 16,
                       role=Role.CLINICIAN)
    assert home_clinician_ids(practice=practice, user=user) == []
    clinician.user = user
    clinician.save()
    got = home_sessions_attention(practice=practice, user=user)
    assert (got.ready, got.incomplete) == (0, 1)
    assert {line.key: line.count for line in got.reasons} == {
        "reason-missing_diagnosis": 1, "reason-unsigned_note": 1}
    for line in got.reasons:  # the link narrows the list to them
        assert _params(line.url)["clinician"] == [str(clinician.pk)]
        listed = queue_get(practice=practice, filters=QueueFilters(
            clinician_id=clinician.pk, reason=line.key.removeprefix("reason-")))
        assert len(listed.incomplete) == line.count


def test_a_supervisor_counts_their_supervisees_too(practice, world):
    user = user_create(practice=practice, email="s@home.example", password="x" * 16,
                       role=Role.SUPERVISOR)
    own = f.make_clinician(practice, user=user)
    for supervisee in world.clinicians[:3]:
        supervisee.supervisor = own
        supervisee.save()
    assert home_clinician_ids(practice=practice, user=user) == sorted(
        [own.pk] + [c.pk for c in world.clinicians[:3]])
    got = home_sessions_attention(practice=practice, user=user)
    # supervised now: the sessions also wait for the supervisor's approval
    assert (got.ready, got.incomplete) == (0, 3)
    lines = {line.key: line.count for line in got.reasons}
    assert lines["reason-awaiting_supervisor"] == 3 and lines["reason-missing_diagnosis"] == 2
    assert all("clinician" not in _params(line.url) for line in got.reasons)


def test_billing_lines_count_what_their_lists_show(practice, world, other_practice):
    home_world_build(other_practice, size=1, era_number=9)  # another practice's: not counted
    lines = {line.key: line for line in home_billing_attention(practice=practice)}
    for key in ("claims-rejected", "claims-denied", "claims-failed", "claims-aging",
                "eras-damaged", "eras-quarantined", "era-reviews", "invoices-overdue",
                "eligibility-failing"):
        assert lines[key].count == world.expected(key), key
    assert lines["claims-aging"].count == claim_counts(practice=practice)["aging"]
    assert _params(lines["claims-rejected"].url) == {"status": ["rejected"]}
    assert _params(lines["claims-denied"].url) == {"status": ["denied"]}
    assert _params(lines["claims-failed"].url) == {
        "status": ["validation_failed", "submission_failed"]}
    assert _params(lines["claims-aging"].url) == {"tab": ["submitted"], "age_min": ["30"]}
    assert _params(lines["eras-damaged"].url) == {"status": ["damaged"]}
    assert _params(lines["invoices-overdue"].url) == {"status": ["overdue"]}
    assert urlsplit(lines["eligibility-failing"].url).path == reverse("eligibility:failing")


def test_failing_eligibility_is_each_clients_newest_finished_check(practice, world):
    failing = list(eligibility_check_failing_list(practice=practice))
    assert len(failing) == world.expected("eligibility-failing")
    assert {c.outcome for c in failing} == {CheckOutcome.INACTIVE, CheckOutcome.ERROR}
    assert len({c.client_id for c in failing}) == len(failing)


def test_money_this_month_is_the_journals_and_outstanding_is_the_aging_reports(practice):
    month = client_month(practice)  # Jan: $100 invoice; Feb: $130 claim, $78 + $60 paid
    feb = dt.datetime(2026, 2, 27, 18, tzinfo=dt.UTC)
    got = home_money_summary(practice=practice, now=feb)
    assert got.month.start == dt.date(2026, 2, 1)
    assert (got.month.billed, got.month.collected) == (D("130.00"), D("138.00"))
    assert [(m.start.month, m.billed, m.collected) for m in got.months] == [
        (9, 0, 0), (10, 0, 0), (11, 0, 0), (12, 0, 0), (1, D("100.00"), 0),
        (2, D("130.00"), D("138.00"))]
    report = ar_aging(practice=practice, today=dt.date(2026, 2, 27))
    assert got.insurance_outstanding == report.insurance_total
    assert got.client_outstanding == report.client_total
    # the invoice's $100 less $60 + $10 paid and $15 written off, and the claim's $20 share
    assert (got.insurance_outstanding, got.client_outstanding) == (D("0.00"), D("35.00"))
    # March: the $10 payment is March's, the figures outstanding the aging report's of now
    march = home_money_summary(practice=practice, now=dt.datetime(2026, 3, 9, tzinfo=dt.UTC))
    assert (march.month.billed, march.month.collected) == (D("0.00"), D("10.00"))
    assert march.client_outstanding == ar_aging(practice=practice).client_total
    assert month.invoice.pk


def test_a_month_is_the_practices_calendar_month(practice):
    practice.timezone = "America/Los_Angeles"
    practice.save()
    ctx = f.ctx_for(practice=practice)
    f.make_profile(practice)
    with posted_on(practice, dt.date(2026, 1, 31), hour=22):  # 06:00 UTC on Feb 1
        ledger_post_claim_charge(claim=submitted_claim(practice), ctx=ctx)
    got = home_money_summary(practice=practice, now=dt.datetime(2026, 2, 2, tzinfo=dt.UTC))
    assert got.month.billed == 0 and got.months[-2].billed == D("130.00")


def test_month_start_counts_back_across_years():
    assert _month_start(dt.date(2026, 2, 14), 5) == dt.date(2025, 9, 1)
    assert _month_start(dt.date(2026, 12, 31), -1) == dt.date(2027, 1, 1)
