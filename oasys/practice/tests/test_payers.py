"""Payer directory (build, load, search), accepted payers and enrollment."""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from oasys.core.errors import NotAllowed
from oasys.core.models import AuditEvent
from oasys.practice.models import AcceptedPayer, Enrollment, Payer
from oasys.practice.selectors import enrollment_summary
from oasys.practice.services import (
    PAYERS_CSV,
    accepted_payer_add,
    accepted_payer_remove,
    enrollment_status_set,
    payer_directory_load,
)

from .conftest import make_payer

DATA = Path(__file__).resolve().parent.parent / "data"


def _build_module():
    spec = importlib.util.spec_from_file_location("build_payers", DATA / "build_payers.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- Building and loading the directory -----------------------------------------------------


def test_build_merges_one_row_per_transaction_into_one_payer():
    build = _build_module()

    def row(name, pid, txn, enroll="No"):
        return {
            "PAYER NAME": name,
            "PAYER ID": pid,
            "TRANSACTION": txn,
            "AVAILABLE": "Yes",
            "NON PAR": "No",
            "ENROLLMENT": enroll,
        }

    merged = build.merge(
        [
            row("Acme Health ", "11111", "Professional Claims 837P"),
            row("Acme Health", "11111", "Remits 835", enroll="Yes"),
            row("Acme Health", "ACME-E", "Eligibility 270 / 271"),
            row("Acme Health", "11111", "Institutional Claims 837I"),
            row("Dental Only", "D1", "Dental Claims 837D"),
            row("Two Lines", "A1", "Professional Claims 837P"),
            row("Two Lines", "B2", "Professional Claims 837P"),
            row("Two Lines", "B2", "Remits 835"),
        ]
    )
    by_key = {(r["name"], r["payer_id_claims"]): r for r in merged}
    acme = by_key[("Acme Health", "11111")]
    assert acme["payer_id_era"] == "11111" and acme["payer_id_eligibility"] == "ACME-E"
    assert acme["supports_eligibility"] == "1"
    assert acme["enrollment_required_era"] == "1" and acme["enrollment_required_claims"] == "0"
    assert not any(r["name"] == "Dental Only" for r in merged)
    assert by_key[("Two Lines", "B2")]["payer_id_era"] == "B2"
    assert set(by_key) == {("Acme Health", "11111"), ("Two Lines", "A1"), ("Two Lines", "B2")}


def test_shipped_csv_is_small_and_has_well_known_payers():
    assert PAYERS_CSV.stat().st_size < 1_500_000
    with PAYERS_CSV.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > 2000
    present = {(r["name"], r["payer_id_claims"]) for r in rows}
    build = _build_module()
    assert not [m for m in build.MUST_HAVE if m not in present]
    assert len(present) == len(rows)  # the loader's key is unique


def test_load_is_idempotent_and_updates(tmp_path, db):
    path = tmp_path / "payers.csv"
    header = (
        "name,payer_id_claims,payer_id_era,payer_id_eligibility,supports_claims,"
        "supports_era,supports_eligibility,enrollment_required_claims,"
        "enrollment_required_era,enrollment_required_eligibility\n"
    )
    path.write_text(
        header + "BCBS Texas (HCSC),84980,84980,10114,1,1,1,0,1,0\nCigna,62308,62308,,1,1,0,0,1,0\n"
    )
    first = payer_directory_load(path=path)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    again = payer_directory_load(path=path)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    path.write_text(header + "Cigna,62308,62308,CIGNA-E,1,1,1,0,1,0\n")
    third = payer_directory_load(path=path)
    assert (third.created, third.updated) == (0, 1)
    cigna = Payer.objects.get(name="Cigna")
    assert cigna.payer_id_eligibility == "CIGNA-E" and cigna.supports_eligibility
    assert "cigna-e" in cigna.search_text
    assert Payer.objects.count() == 2
    assert AuditEvent.objects.filter(category="payer_directory").count() == 3


def test_management_command(tmp_path, db, capsys):
    path = tmp_path / "p.csv"
    path.write_text(
        "name,payer_id_claims,payer_id_era,payer_id_eligibility,supports_claims,"
        "supports_era,supports_eligibility,enrollment_required_claims,"
        "enrollment_required_era,enrollment_required_eligibility\n"
        "Aetna Healthcare,60054,60054,60054,1,1,1,0,1,1\n"
    )
    call_command("load_payers", path=str(path))
    assert "1 added" in capsys.readouterr().out
    assert Payer.objects.filter(payer_id_claims="60054").exists()


# --- Accepted payers and enrollment ---------------------------------------------------------


def test_add_creates_one_enrollment_per_supported_transaction(pr_practice, pr_ctx):
    payer = make_payer(
        "Acme Health",
        "11111",
        supports_eligibility=False,
        enrollment_required_claims=False,
        enrollment_required_era=True,
    )
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=payer)
    enrollments = {e.transaction_type: e for e in accepted.enrollments.all()}
    assert set(enrollments) == {"claims", "era"}
    assert enrollments["era"].status == "not_started"
    assert enrollments["era"].status_changed_at is None
    claims = enrollments["claims"]
    assert claims.status == "active"  # no enrollment needed for claims with this payer
    assert "No enrollment needed" in claims.note and claims.effective_date is not None
    event = AuditEvent.objects.filter(category="accepted_payer").last()
    assert event.action == "create" and event.detail == {"payer_id": payer.pk}


def test_add_twice_refused(pr_practice, pr_ctx, pr_payer):
    accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    with pytest.raises(ValidationError, match="already"):
        accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    assert AcceptedPayer.objects.filter(practice=pr_practice).count() == 1


def test_enrollment_status_flow(pr_practice, pr_ctx, pr_payer):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    era = accepted.enrollments.get(transaction_type="era")
    assert era.status == "not_started"
    era = enrollment_status_set(
        practice=pr_practice, actor_ctx=pr_ctx, enrollment=era, status="pending"
    )
    assert era.submitted_at is not None and era.status_changed_at is not None
    submitted = era.submitted_at
    era = enrollment_status_set(
        practice=pr_practice, actor_ctx=pr_ctx, enrollment=era, status="active"
    )
    assert era.status == "active" and era.effective_date is not None
    assert era.submitted_at == submitted
    event = AuditEvent.objects.filter(category="enrollment").last()
    assert event.detail["from"] == "pending" and event.detail["to"] == "active"
    with pytest.raises(ValidationError):
        enrollment_status_set(
            practice=pr_practice, actor_ctx=pr_ctx, enrollment=era, status="approved"
        )
    summary = enrollment_summary(practice=pr_practice)
    assert summary.payers == 1 and summary.active == 3  # claims + eligibility need none


def test_remove_deletes_enrollments_and_audits(pr_practice, pr_ctx, pr_payer):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    accepted_payer_remove(practice=pr_practice, actor_ctx=pr_ctx, accepted_payer=accepted)
    assert not AcceptedPayer.objects.filter(practice=pr_practice).exists()
    assert not Enrollment.objects.filter(practice=pr_practice).exists()
    assert AuditEvent.objects.filter(category="accepted_payer", action="delete").exists()
    assert Payer.objects.filter(pk=pr_payer.pk).exists()  # directory untouched


def test_services_refuse_other_practice_objects(pr_practice, pr_other_practice, pr_ctx, pr_payer):
    accepted = accepted_payer_add(practice=pr_other_practice, actor_ctx=pr_ctx, payer=pr_payer)
    with pytest.raises(NotAllowed):
        accepted_payer_remove(practice=pr_practice, actor_ctx=pr_ctx, accepted_payer=accepted)
    with pytest.raises(NotAllowed):
        enrollment_status_set(
            practice=pr_practice,
            actor_ctx=pr_ctx,
            enrollment=accepted.enrollments.first(),
            status="pending",
        )


# --- Screens --------------------------------------------------------------------------------


def test_start_setup_then_manage(pr_client, pr_practice, pr_ctx, pr_payer):
    html = pr_client.get(reverse("practice:setup")).content.decode()
    assert "Start Setup" in html and ">Manage<" not in html
    accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    html = pr_client.get(reverse("practice:setup")).content.decode()
    assert ">Manage<" in html and "Start Setup" not in html


def test_search_partial_and_add_through_screens(pr_client, pr_practice, pr_payer):
    page = pr_client.get(reverse("practice:payers")).content.decode()
    assert "5–15 business days" in page and 'hx-get="' + reverse("practice:payer_search") in page
    partial = pr_client.get(
        reverse("practice:payer_search"), {"q": "aetna hc"}, HTTP_HX_REQUEST="true"
    )
    body = partial.content.decode()
    assert "Aetna Healthcare" in body and "<html" not in body
    assert f'name="payer" value="{pr_payer.pk}"' in body
    response = pr_client.post(reverse("practice:payers"), {"payer": pr_payer.pk})
    accepted = AcceptedPayer.objects.get(practice=pr_practice)
    assert response.status_code == 302
    assert response["Location"] == reverse("practice:accepted_payer", args=[accepted.pk])
    again = pr_client.get(reverse("practice:payer_search"), {"q": "aetna"}).content.decode()
    assert "Added" in again
    listing = pr_client.get(reverse("practice:payers")).content.decode()
    assert "Aetna Healthcare" in listing and "Not started" in listing


def test_enrollment_status_through_screen(pr_client, pr_practice, pr_ctx, pr_payer):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    era = accepted.enrollments.get(transaction_type="era")
    url = reverse("practice:accepted_payer", args=[accepted.pk])
    page = pr_client.get(url).content.decode()
    assert "1500 (Claims)" in page and "ERA" in page and "Eligibility" in page
    response = pr_client.post(
        url,
        {
            "enrollment": era.pk,
            f"e{era.pk}-status": "rejected",
            f"e{era.pk}-note": "Payer asked for W-9",
        },
    )
    assert response.status_code == 302
    era.refresh_from_db()
    assert era.status == "rejected" and era.note == "Payer asked for W-9"
    bad = pr_client.post(url, {"enrollment": era.pk, f"e{era.pk}-status": "nope"})
    assert bad.status_code == 200 and "valid choice" in bad.content.decode()


def test_remove_through_screen(pr_client, pr_practice, pr_ctx, pr_payer):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    url = reverse("practice:accepted_payer_remove", args=[accepted.pk])
    assert "Remove Aetna Healthcare?" in pr_client.get(url).content.decode()
    assert pr_client.post(url).status_code == 302
    assert not AcceptedPayer.objects.filter(pk=accepted.pk).exists()


def test_other_practice_payer_is_404(pr_client, pr_other_practice, pr_ctx, pr_payer):
    other = accepted_payer_add(practice=pr_other_practice, actor_ctx=pr_ctx, payer=pr_payer)
    enrollment = other.enrollments.first()
    assert pr_client.get(reverse("practice:accepted_payer", args=[other.pk])).status_code == 404
    url = reverse("practice:accepted_payer_remove", args=[other.pk])
    assert pr_client.post(url).status_code == 404
    assert AcceptedPayer.objects.filter(pk=other.pk).exists()
    enrollment.refresh_from_db()
    assert enrollment.status != "rejected"


def test_clinician_can_view_payers_but_not_change(
    pr_clinician_client, pr_practice, pr_ctx, pr_payer
):
    accepted = accepted_payer_add(practice=pr_practice, actor_ctx=pr_ctx, payer=pr_payer)
    assert pr_clinician_client.get(reverse("practice:payers")).status_code == 200
    url = reverse("practice:accepted_payer", args=[accepted.pk])
    assert pr_clinician_client.get(url).status_code == 200
    era = accepted.enrollments.get(transaction_type="era")
    response = pr_clinician_client.post(url, {"enrollment": era.pk, f"e{era.pk}-status": "active"})
    assert response.status_code == 403
    assert (
        pr_clinician_client.post(reverse("practice:payers"), {"payer": pr_payer.pk}).status_code
        == 403
    )
    remove = reverse("practice:accepted_payer_remove", args=[accepted.pk])
    assert pr_clinician_client.post(remove).status_code == 403
