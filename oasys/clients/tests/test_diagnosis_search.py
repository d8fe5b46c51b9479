"""Choosing a diagnosis by words: "anxiety" lists the F41 codes with their descriptions, a
code ("F41") still works, only billable codes are offered, and the answer comes from an index
built once (never a scan per keystroke)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from oasys.billing.tests.factories import ctx_for
from oasys.clients import diagnoses
from oasys.clients.diagnoses import diagnosis_error, diagnosis_search
from oasys.clients.services import client_create

from .conftest import valid_client_data


def test_words_find_the_f41_codes_with_descriptions():
    results = dict(diagnosis_search(query="anxiety"))
    assert results["F41.1"] == "Generalized anxiety disorder"
    assert results["F41.9"] == "Anxiety disorder, unspecified"
    assert {"F41.0", "F41.3", "F41.8"} <= set(results)
    # mental-health codes first
    assert all(code.startswith("F") for code in list(results)[:10])


def test_every_word_must_match_as_a_prefix_in_any_order():
    assert diagnosis_search(query="gen anx") == [("F41.1", "Generalized anxiety disorder")]
    assert diagnosis_search(query="ANXIETY generalized") == diagnosis_search(query="gen anx")
    assert diagnosis_search(query="xyzzy anxiety") == []


def test_code_search_still_works():
    codes = [c for c, _ in diagnosis_search(query="F41")]
    assert codes == ["F41.0", "F41.1", "F41.3", "F41.8", "F41.9"]
    assert diagnosis_search(query="f41.1") == [("F41.1", "Generalized anxiety disorder")]
    assert [c for c, _ in diagnosis_search(query="F411")] == ["F41.1"]
    assert diagnosis_search(query="F43.1")[0][0].startswith("F43.1")


def test_only_billable_codes_are_offered():
    for code, _ in diagnosis_search(query="F4", limit=60) + diagnosis_search(query="stress"):
        assert diagnosis_error(code) is None, code  # never a category such as F41


def test_abbreviations_therapists_type():
    assert {c for c, _ in diagnosis_search(query="ptsd")} == {"F43.10", "F43.11", "F43.12"}
    assert all(c.startswith("F90") for c, _ in diagnosis_search(query="adhd"))
    assert ("F32.A", "Depression, unspecified") in diagnosis_search(query="depression")


def test_short_or_empty_queries_find_nothing_and_limit_holds():
    assert diagnosis_search(query="") == [] and diagnosis_search(query="a") == []
    assert len(diagnosis_search(query="disorder", limit=7)) == 7


def test_the_index_is_built_once(monkeypatch):
    diagnosis_search(query="anxiety")
    built = diagnoses._index
    calls = []
    monkeypatch.setattr(diagnoses, "_build_index", lambda: calls.append(1))
    diagnosis_search(query="panic")
    diagnosis_search(query="F41")
    assert diagnoses._index is built and calls == []


@pytest.mark.django_db
def test_options_endpoint_answers_an_htmx_post(owner_client):
    url = reverse("clients:diagnosis_options")
    html = owner_client.post(url, {"code": "anxiety"}).content.decode()
    assert 'data-diagnosis-pick="F41.1"' in html and "Generalized anxiety disorder" in html
    html = owner_client.post(url, {"diagnosis_codes": "F33.1, gen anx"}).content.decode()
    assert 'data-diagnosis-pick="F41.1"' in html and "F33.1" not in html
    html = owner_client.post(url, {"code": "zzzz"}).content.decode()
    assert "No billable ICD-10-CM code matches" in html
    assert "data-diagnosis-pick" not in owner_client.post(url, {"code": "a"}).content.decode()
    assert owner_client.get(url, {"code": "anxiety"}).status_code == 405  # never in a URL


@pytest.mark.django_db
def test_diagnoses_page_wires_the_search(owner_client, practice):
    client = client_create(practice=practice, ctx=ctx_for(practice=practice),
                           data=valid_client_data())
    html = owner_client.get(reverse("clients:diagnoses", args=[client.pk])).content.decode()
    assert f'hx-post="{reverse("clients:diagnosis_options")}"' in html
    assert 'id="diagnosis-options"' in html and "diagnosis_search.js" in html
