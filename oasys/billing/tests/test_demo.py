"""The seeded demo: every Incomplete reason shows up, and the dry-run 837P command works on it."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oasys.billing.readiness import billing_queue
from oasys.billing.reasons import MESSAGES
from oasys.claims.models import Claim, ClaimSubmission
from oasys.core.models import Practice
from oasys.demo.seed import seed_demo
from x12.tests.pyx12_check import pyx12_errors

from .factories import ensure_default_telehealth_rules

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    ensure_default_telehealth_rules()
    seed_demo()
    return {p.slug: p for p in Practice.objects.filter(slug__in=["serenity", "harbor"])}


def test_demo_shows_every_reason_code(demo):
    seen: dict[str, set[str]] = {}
    for slug, practice in demo.items():
        for item in billing_queue(practice=practice):
            for r in item.reasons:
                seen.setdefault(r.code, set()).add(slug)
    missing = sorted(set(MESSAGES) - set(seen))
    assert missing == [], f"reason codes the demo never shows: {missing}"


def test_demo_has_ready_claims_and_invoices(demo):
    routes = {(i.route, i.ready) for p in demo.values() for i in billing_queue(practice=p)}
    assert {("claim", True), ("invoice", True), ("claim", False)} <= routes


def test_build_837p_dry_run_writes_a_valid_file_and_keeps_nothing(demo, tmp_path, capsys):
    ready = [i for i in billing_queue(practice=demo["serenity"])
             if i.ready and i.route == "claim"]
    assert ready
    out = tmp_path / "serenity.837"
    call_command("claims", "build-837p", "--practice", "serenity", "--out", str(out))
    text = out.read_text(encoding="ascii")
    assert text.startswith("ISA*")
    assert text.count("~CLM*") == len(ready)
    assert pyx12_errors(text) == []
    assert Claim.objects.count() == 0
    assert ClaimSubmission.objects.count() == 0
    assert f"Wrote {len(ready)} claim(s) to {out} (not sent)." in capsys.readouterr().out
    # still billable afterwards: the dry run changed nothing
    again = [i for i in billing_queue(practice=demo["serenity"]) if i.ready and i.route == "claim"]
    assert [i.appointment.pk for i in again] == [i.appointment.pk for i in ready]


def test_build_837p_unknown_practice(db, tmp_path):
    with pytest.raises(CommandError, match="No practice with slug 'nope'"):
        call_command("claims", "build-837p", "--practice", "nope", "--out",
                     str(tmp_path / "x.837"))
