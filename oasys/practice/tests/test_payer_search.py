"""Payer search against the real shipped directory (loaded once for this module)."""

from __future__ import annotations

import pytest

from oasys.practice.selectors import payer_search


def _names(query, limit=20):
    return [p.name for p in payer_search(query=query, limit=limit)]


@pytest.mark.usefixtures("pr_directory")
class TestPayerSearch:
    pytestmark = pytest.mark.django_db

    def test_directory_loaded(self, pr_directory):
        assert pr_directory.created > 2000

    @pytest.mark.parametrize(
        "query",
        [
            "BCBS Texas",
            "bcbs tx",
            "Blue Cross Blue Shield of Texas",
            "texas blue cross",
            "blue-cross blue-shield TEXAS",
            "B.C.B.S. Texas",
            "  bcbs   TEXAS  ",
        ],
    )
    def test_bcbs_texas_any_spelling(self, query):
        assert _names(query, limit=3)[0] == "BCBS Texas (HCSC)"

    @pytest.mark.parametrize(
        "query", ["UHC", "united healthcare", "UnitedHealthcare", "united health care"]
    )
    def test_unitedhealthcare_spellings(self, query):
        assert "UnitedHealthcare (UHC)" in _names(query, limit=20)

    def test_abbreviations_bc_bs_ins_hlth(self):
        assert "BC California (Anthem)" in _names("Blue Cross California")
        assert "BS California" in _names("blue shield california")
        assert "Anthem Blue Cross of California (BCCA)" in _names("anthem bc california")
        assert "Aetna Life Insurance Company" in _names("aetna life ins")
        assert any(n.startswith("Health Net") for n in _names("hlth net", limit=5))

    def test_word_order_and_case(self):
        assert _names("medicaid UTAH", limit=1) == ["Medicaid Utah"]
        assert _names("utah medicaid", limit=1) == ["Medicaid Utah"]

    def test_payer_id_exact_match_first(self):
        results = payer_search(query="62308", limit=5)
        assert results and all(p.payer_id_claims == "62308" for p in results)
        assert payer_search(query="84980", limit=1)[0].name == "BCBS Texas (HCSC)"
        assert payer_search(query="skut0", limit=1)[0].name == "Medicaid Utah"

    def test_exact_name_ranks_first(self):
        assert _names("cigna", limit=1) == ["CIGNA"]
        assert _names("Aetna Healthcare", limit=1) == ["Aetna Healthcare"]

    def test_behavioral_health_payers(self):
        names = _names("optum behavioral")
        assert "OptumHealth / OptumHealth Behavioral Solutions of NM" in names
        assert "Optum Maryland Behavioral Health" in names
        assert any("UBH" in n for n in _names("ubh"))

    def test_no_match_and_empty(self):
        assert _names("zzzz qqqq") == []
        assert _names("") == []
        assert _names("of the") == []

    def test_limit(self):
        assert len(payer_search(query="health", limit=7)) == 7
