"""/api/v1/superbills: create, list, the PDF (audited as an export), send, void; another
practice's superbill or client answers 404; bad input 422; a session already stated 409."""

from __future__ import annotations

import pytest

from oasys.core.models import AuditEvent, SentEmail
from oasys.superbills.models import Superbill, SuperbillStatus

from .world import superbill_world

pytestmark = pytest.mark.django_db


def _create(api_client, w, **extra):
    body = {"client_ids": [w.client.pk], "date_from": str(w.date_from),
            "date_to": str(w.date_to), "kind": "consolidated", **extra}
    return api_client.post("/api/v1/superbills", body, content_type="application/json")


def test_create_list_pdf_send_void(api_client, practice, owner):
    w = superbill_world(practice)
    made = _create(api_client, w)
    assert made.status_code == 201, made.content
    [sb] = made.json()["items"]
    assert sb["sessions"] == 3 and sb["total"] == "495.00" and sb["paid"] == "80.00"
    assert sb["status"] == "created" and set(sb["actions"]) == {"send", "void", "recreate"}
    assert sb["lines"][0]["diagnosis_codes"] == ["F41.1", "F33.1"]

    listed = api_client.get("/api/v1/superbills").json()
    assert listed["count"] == 1 and listed["items"][0]["number"] == sb["number"]

    pdf = api_client.get(f"/api/v1/superbills/{sb['id']}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert pdf["Content-Disposition"] == f'inline; filename="{sb["number"]}.pdf"'
    assert AuditEvent.objects.filter(category="superbill", action="export",
                                     object_id=str(sb["id"]), user_id_ref=owner.pk).exists()

    sent = api_client.post(f"/api/v1/superbills/{sb['id']}/send",
                           content_type="application/json")
    assert sent.status_code == 200 and sent.json()["status"] == "sent"
    assert SentEmail.objects.filter(object_type="Superbill", object_id=str(sb["id"])).exists()

    void = api_client.post(f"/api/v1/superbills/{sb['id']}/void",
                           content_type="application/json")
    assert void.status_code == 200 and void.json()["status"] == "void"
    again = api_client.post(f"/api/v1/superbills/{sb['id']}/void",
                            content_type="application/json")
    assert again.status_code == 409


def test_individual_kind_and_a_session_already_stated(api_client, practice):
    w = superbill_world(practice)
    made = _create(api_client, w, kind="individual", appointment_ids=[w.sessions[1].pk])
    assert made.status_code == 201 and len(made.json()["items"]) == 1
    again = _create(api_client, w, appointment_ids=[w.sessions[1].pk])
    assert again.status_code == 409 and "already on superbill" in str(again.json())
    assert Superbill.objects.count() == 1


@pytest.mark.parametrize("extra, field", [({"kind": "monthly"}, "kind"),
                                          ({"client_ids": []}, "client_ids"),
                                          ({"date_to": "2001-01-01"}, "date_to")])
def test_bad_input_is_422(api_client, practice, extra, field):
    w = superbill_world(practice)
    resp = _create(api_client, w, **extra)
    assert resp.status_code == 422 and field in resp.json()["errors"]
    assert not Superbill.objects.exists()


def test_another_practice_gets_404(api_client, practice, other_practice):
    mine = superbill_world(practice)
    theirs = superbill_world(other_practice)
    sb = _create(api_client, mine).json()["items"][0]
    other = Superbill.objects.create(
        practice=other_practice, client=theirs.client, number="SB-999999",
        kind="consolidated", period_start=theirs.date_from, period_end=theirs.date_to,
        statement_date=theirs.date_to)
    for resp in (api_client.get(f"/api/v1/superbills/{other.pk}/pdf"),
                 api_client.post(f"/api/v1/superbills/{other.pk}/send"),
                 api_client.post(f"/api/v1/superbills/{other.pk}/void")):
        assert resp.status_code == 404
    other.refresh_from_db()
    assert other.status == SuperbillStatus.CREATED
    assert _create(api_client, theirs).status_code == 404  # their client
    assert [i["number"] for i in api_client.get("/api/v1/superbills").json()["items"]] == [
        sb["number"]]
