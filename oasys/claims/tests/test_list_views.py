"""Manage Claims as a biller works it: every filter alone and together, bad values refused
(page and API), totals from the database that match the rows, the copay wording, saved
filters, the CSV export with its filters and formula guard, and bounded queries."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from oasys.billing.tests import factories as f
from oasys.claims import views
from oasys.claims.models import Claim, SavedFilter
from oasys.claims.selectors import claim_list, claim_status_words, claim_totals
from oasys.claims.services import claim_transition
from oasys.claims.status import ClaimStatus
from oasys.core.models import AuditEvent, Role
from oasys.core.services import user_create
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import Adj, C, copay_claim, era, submitted_claim

pytestmark = pytest.mark.django_db

LIST = reverse("claims:list")
EXPORT = reverse("claims:export")


def _submitted(practice, *, days_ago: int = 3, submitted_days_ago: int = 0,
               charge: str = "130.00") -> Claim:
    claim = submitted_claim(practice, days_ago=days_ago, charge=charge)
    Claim.objects.filter(pk=claim.pk).update(
        submitted_at=timezone.now() - dt.timedelta(days=submitted_days_ago, minutes=5))
    claim.refresh_from_db()
    return claim


@pytest.fixture
def book(practice):
    """Four claims that differ in every filtered field."""
    a = _submitted(practice, days_ago=40, submitted_days_ago=35)
    b = _submitted(practice, days_ago=10, submitted_days_ago=8, charge="200.00")
    c = _submitted(practice, days_ago=5, submitted_days_ago=2, charge="90.00")
    d = _submitted(practice, days_ago=70, submitted_days_ago=60)
    ctx = f.ctx_for(practice=practice)
    claim_transition(claim=c, to=ClaimStatus.IN_REVIEW, ctx=ctx, source="test")
    claim_transition(claim=d, to=ClaimStatus.DENIED, ctx=ctx, source="test")
    # b: the payer paid all but the client's $20 copay
    era_import(practice=practice, ctx=ctx, raw=era([C(
        b.patient_control_number, "200.00", "148.00",
        [Adj("CO", "45", "32.00"), Adj("PR", "3", "20.00")])], trace="B1"))
    for claim in (a, b, c, d):
        claim.refresh_from_db()
    return {"a": a, "b": b, "c": c, "d": d}


def _pcns(html: str, book: dict) -> set[str]:
    return {k for k, c in book.items() if f'data-claim="{c.pk}"' in html}


def _page(http, **params) -> str:
    resp = http.get(LIST, params)
    assert resp.status_code == 200
    return resp.content.decode()


def test_each_filter_alone(owner_client, book):
    a, b, c, d = book["a"], book["b"], book["c"], book["d"]
    assert _pcns(_page(owner_client), book) == {"a", "b", "c", "d"}
    assert _pcns(_page(owner_client, status="in_review"), book) == {"c"}
    assert _pcns(_page(owner_client, payer=a.payer_id), book) == {"a"}
    assert _pcns(_page(owner_client, clinician=b.clinician_id), book) == {"b"}
    assert _pcns(_page(owner_client, client=d.client_id), book) == {"d"}
    day = timezone.localdate()
    assert _pcns(_page(owner_client, dos_from=(day - dt.timedelta(days=10)).isoformat()),
                 book) == {"b", "c"}
    assert _pcns(_page(owner_client, dos_to=(day - dt.timedelta(days=40)).isoformat()),
                 book) == {"a", "d"}
    assert _pcns(_page(owner_client,
                       submitted_from=(day - dt.timedelta(days=9)).isoformat()),
                 book) == {"b", "c"}
    assert _pcns(_page(owner_client,
                       submitted_to=(day - dt.timedelta(days=30)).isoformat()),
                 book) == {"a", "d"}
    assert _pcns(_page(owner_client, age_min=30), book) == {"a", "d"}
    assert c.pk  # every claim is listed by one filter or another


def test_filters_combined_and_several_statuses(owner_client, book):
    html = owner_client.get(LIST + "?status=submitted&status=denied").content.decode()
    assert _pcns(html, book) == {"a", "d"}
    html = owner_client.get(LIST + "?status=submitted&status=denied&age_min=50").content.decode()
    assert _pcns(html, book) == {"d"}
    html = owner_client.get(LIST, {"status": "partial", "payer": book["a"].payer_id}).content
    assert _pcns(html.decode(), book) == set()
    # the tab narrows too, with the filters kept
    html = _page(owner_client, tab="denied", age_min=30)
    assert _pcns(html, book) == {"d"}


@pytest.mark.parametrize("params,field,words", [
    ({"status": "lost"}, "status", "lost is not a claim status"),
    ({"payer": "abc"}, "payer", "No such payer"),
    ({"clinician": "999999"}, "clinician", "No such clinician"),
    ({"client": "-4"}, "client", "No such client"),
    ({"dos_from": "12/01/2026"}, "dos_from", "YYYY-MM-DD"),
    ({"submitted_to": "2026-02-30"}, "submitted_to", "YYYY-MM-DD"),
    ({"age_min": "thirty"}, "age_min", "whole number"),
    ({"age_min": "-3"}, "age_min", "cannot be negative"),
    ({"dos_from": "2026-05-01", "dos_to": "2026-04-01"}, "dos_to", "before its start"),
])
def test_bad_values_are_refused_on_the_page_and_in_the_api(owner_client, api_client, book,
                                                            params, field, words):
    resp = owner_client.get(LIST, params)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'data-testid="filter-errors"' in html and words in html
    assert _pcns(html, book) == set()  # never a list that ignored the bad filter
    api = api_client.get("/api/v1/claims", params)
    assert api.status_code == 422
    assert words in api.json()["errors"][field]
    export = owner_client.get(EXPORT, params)
    assert export.status_code == 400 and words in export.content.decode()


def test_another_practice_ids_are_refused_not_leaked(owner_client, book, other_practice):
    theirs = submitted_claim(other_practice)
    html = _page(owner_client, client=theirs.client_id)
    assert "No such client" in html and theirs.client.last_name not in html


def test_totals_match_the_rows_and_come_from_one_query(owner_client, practice, book):
    qs = claim_list(practice=practice, statuses=["submitted", "partial", "in_review"])
    with CaptureQueriesContext(connection) as q:
        totals = claim_totals(claims=qs)
    assert len(q) == 1
    rows = list(qs)
    assert totals.count == len(rows) == 3
    assert totals.charge == sum((c.total_charge for c in rows), D(0)) == D("420.00")
    assert totals.paid == sum((c.paid_amount for c in rows), D(0)) == D("148.00")
    assert totals.client_share == D("20.00")
    html = _page(owner_client, status=["submitted", "partial", "in_review"])
    assert 'data-total="charge">$420.00<' in html
    assert 'data-total="paid">$148.00<' in html
    assert 'data-total="client_share">$20.00<' in html


def test_api_lists_with_filters_and_totals(api_client, book):
    data = api_client.get("/api/v1/claims?status=submitted&status=partial").json()
    assert {i["id"] for i in data["items"]} == {book["a"].pk, book["b"].pk}
    assert data["totals"] == {"count": 2, "charge": "330.00", "paid": "148.00",
                              "client_share": "20.00"}
    data = api_client.get("/api/v1/claims", {"age_min": 30}).json()
    assert {i["id"] for i in data["items"]} == {book["a"].pk, book["d"].pk}


def test_partial_only_for_the_client_share_reads_as_paid_client_owes(owner_client, practice,
                                                                      book):
    b = book["b"]
    assert b.status == ClaimStatus.PARTIAL
    words = claim_status_words(claims=[b, book["a"]])
    assert words == {b.pk: "Paid, client owes copay", book["a"].pk: "Submitted"}
    assert "Paid, client owes copay" in _page(owner_client, status="partial")
    # coinsurance and deductible together; a payer that left part open stays "Partial"
    ctx = f.ctx_for(practice=practice)
    both = _submitted(practice)
    era_import(practice=practice, ctx=ctx, raw=era([C(
        both.patient_control_number, "130.00", "60.00",
        [Adj("CO", "45", "30.00"), Adj("PR", "2", "15.00"), Adj("PR", "1", "25.00")])],
        trace="BOTH"))
    short = _submitted(practice)
    era_import(practice=practice, ctx=ctx, raw=era([C(
        short.patient_control_number, "130.00", "50.00",
        [Adj("CO", "50", "60.00"), Adj("PR", "3", "20.00")])], trace="SHORT"))
    both.refresh_from_db()
    short.refresh_from_db()
    assert both.status == short.status == ClaimStatus.PARTIAL
    words = claim_status_words(claims=[both, short])
    assert words[both.pk] == "Paid, client owes coinsurance and deductible"
    assert words[short.pk] == "Partial"


def test_copay_wording_of_the_helpers_copay_claim(practice):
    claim = _submitted(practice)
    era_import(practice=practice, ctx=f.ctx_for(practice=practice),
               raw=era([copay_claim(claim)], trace="CP"))
    claim.refresh_from_db()
    assert claim_status_words(claims=[claim])[claim.pk] == "Paid, client owes copay"


def test_pagination_keeps_the_filters(owner_client, practice, book, monkeypatch):
    for _ in range(3):
        _submitted(practice)
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    html = _page(owner_client, status="submitted", age_min=0)
    assert "Page 1 of 2" in html
    assert "?status=submitted&amp;age_min=0&amp;page=2" in html
    second = _page(owner_client, status="submitted", age_min=0, page=2)
    assert "Page 2 of 2" in second and "status=submitted&amp;age_min=0&amp;page=1" in second


def test_saved_filters_save_pick_and_remove(owner_client, owner, practice, book):
    query = f"status=submitted&status=denied&payer={book['a'].payer_id}&age_min=30"
    resp = owner_client.post(reverse("claims:saved_filter_save"),
                             {"name": "Old in flight", "query": query})
    assert resp.status_code == 302 and "age_min=30" in resp["Location"]
    saved = SavedFilter.objects.get(user=owner)
    assert saved.query == query and saved.practice_id == practice.pk
    assert AuditEvent.objects.filter(category="saved_filter", action="create",
                                     object_id=str(saved.pk)).exists()
    html = _page(owner_client)
    assert 'data-testid="saved-filters"' in html and "Old in flight" in html
    assert f'href="?{query.replace("&", "&amp;")}"' in html
    assert _pcns(owner_client.get(LIST + "?" + saved.query).content.decode(), book) == {"a"}
    # the same name again replaces its filters; a bad query or no name saves nothing
    owner_client.post(reverse("claims:saved_filter_save"),
                      {"name": "Old in flight", "query": "age_min=60"})
    assert SavedFilter.objects.get(user=owner).query == "age_min=60"
    owner_client.post(reverse("claims:saved_filter_save"), {"name": "x", "query": "age_min=z"})
    owner_client.post(reverse("claims:saved_filter_save"), {"name": " ", "query": "age_min=9"})
    assert SavedFilter.objects.filter(user=owner).count() == 1
    # another user of the practice neither sees nor removes it
    biller = user_create(email="b@example.com", password="x", practice=practice,
                         role=Role.BILLER)
    owner_client.force_login(biller)
    assert 'data-testid="saved-filters"' not in _page(owner_client)
    remove = reverse("claims:saved_filter_remove", args=[saved.pk])
    assert owner_client.post(remove).status_code == 404
    owner_client.force_login(owner)
    assert owner_client.post(remove).status_code == 302
    assert not SavedFilter.objects.exists()
    assert AuditEvent.objects.filter(category="saved_filter", action="delete").exists()


def _csv(resp) -> list[list[str]]:
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert resp.streaming
    return list(csv.reader(io.StringIO(b"".join(resp.streaming_content).decode("utf-8-sig"))))


def test_csv_export_applies_the_filters(owner_client, book):
    rows = _csv(owner_client.get(EXPORT))
    assert rows[0] == ["claim", "date_of_service", "client", "payer", "clinician", "status",
                       "charge", "paid", "client_share", "submitted", "age_days",
                       "payer_claim_number"]
    by = {r[0]: r for r in rows[1:]}
    assert set(by) == {c.patient_control_number for c in book.values()}
    b = book["b"]
    row = by[b.patient_control_number]
    assert row[1] == b.service_date.isoformat()
    assert row[2] == f"{b.client.last_name}, {b.client.first_name}"
    assert row[5:9] == ["Paid, client owes copay", "200.00", "148.00", "20.00"]
    assert row[10] == "8"
    rows = _csv(owner_client.get(EXPORT + "?status=submitted&status=denied&age_min=50"))
    assert [r[0] for r in rows[1:]] == [book["d"].patient_control_number]
    event = AuditEvent.objects.filter(category="claim", action="export").last()
    assert event.detail["count"] == 1 and event.detail["client_ids"] == [book["d"].client_id]
    assert event.client_id_ref == book["d"].client_id
    assert "age_min=50" in event.detail["filters"]


def test_csv_cells_never_start_a_formula(owner_client, practice):
    claim = _submitted(practice)
    claim.client.last_name = "=HYPERLINK(\"http://x\")"
    claim.client.first_name = "@SUM(1)"
    claim.client.save()
    rows = _csv(owner_client.get(EXPORT))
    assert rows[1][2] == "'=HYPERLINK(\"http://x\"), @SUM(1)"


def test_clinicians_get_no_claims_list_or_export(client, practice):
    clinician = user_create(email="c@example.com", password="x", practice=practice,
                            role=Role.CLINICIAN)
    client.force_login(clinician)
    assert client.get(LIST).status_code == 403
    assert client.get(EXPORT).status_code == 403
    assert client.post(reverse("claims:saved_filter_save"), {"name": "x"}).status_code == 403


def test_list_and_export_queries_do_not_grow_with_the_claims(owner_client, practice):
    def queries(url):
        with CaptureQueriesContext(connection) as q:
            resp = owner_client.get(url)
            assert resp.status_code == 200
            if resp.streaming:
                b"".join(resp.streaming_content)
        return len(q)

    ctx = f.ctx_for(practice=practice)
    for n in range(2):
        claim = _submitted(practice)
        era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)], trace=f"S{n}"))
    few = (queries(LIST), queries(EXPORT), queries(LIST + "?status=partial&age_min=0"))
    for n in range(8):
        claim = _submitted(practice)
        era_import(practice=practice, ctx=ctx, raw=era([copay_claim(claim)], trace=f"M{n}"))
    assert (queries(LIST), queries(EXPORT), queries(LIST + "?status=partial&age_min=0")) == few
