"""Client Billing screens: rendering, forms with errors beside fields, tenancy, roles."""

from __future__ import annotations

import pytest
from django.test import Client as WebClient
from django.urls import reverse

from oasys.clients.models import Client, Diagnosis, InsurancePolicy, PricingRule
from oasys.clients.services import client_create, diagnosis_add, policy_create, pricing_rule_create
from oasys.core.audit import AuditContext

from .conftest import valid_client_data

pytestmark = pytest.mark.django_db


def form_post(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if value is None or value is False:
            continue
        out[key] = "on" if value is True else str(value)
    return out


def test_anonymous_is_sent_to_login(client):
    resp = client.get(reverse("clients:list"))
    assert resp.status_code == 302 and "/login/" in resp["Location"]


def test_list_search_filter_draft_badge_and_pagination(cl_web, cl_practice, cl_ctx):
    client_create(
        practice=cl_practice,
        ctx=cl_ctx,
        data={"first_name": "Drafty", "last_name": "Person", "is_draft": True},
    )
    for i in range(30):
        client_create(
            practice=cl_practice,
            ctx=cl_ctx,
            data=valid_client_data(last_name=f"Member{chr(65 + i % 26)}x", billing_type="self_pay"),
        )
    resp = cl_web.get(reverse("clients:list"))
    assert resp.status_code == 200
    assert b"Page 1 of 2" in resp.content and b"31 in all" in resp.content
    resp = cl_web.get(reverse("clients:list"), {"q": "drafty"})
    assert b"Drafty" in resp.content and b"Draft</span>" in resp.content
    assert b"Memberax" not in resp.content.lower()
    resp = cl_web.get(reverse("clients:list"), {"billing_type": "insurance"})
    assert b"No client matches" in resp.content
    resp = cl_web.get(reverse("clients:list"), {"billing_type": "self_pay", "page": "2"})
    assert b"Page 2 of 2" in resp.content and b"billing_type=self_pay" in resp.content


def test_new_client_form_shows_each_error_beside_its_field(cl_web):
    data = form_post(valid_client_data(first_name="M4ria", phone="123", address1="PO Box 4"))
    resp = cl_web.post(reverse("clients:new"), data)
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'id="id_first_name_error"' in html
    assert 'id="id_phone_error"' in html
    assert 'id="id_address1_error"' in html and "PO boxes" in html
    assert not Client.objects.exists()


def test_new_client_then_detail_and_edit(cl_web, cl_practice):
    resp = cl_web.post(reverse("clients:new"), form_post(valid_client_data()))
    client = Client.objects.get(practice=cl_practice)
    assert resp.status_code == 302 and resp["Location"] == reverse(
        "clients:detail", args=[client.pk]
    )
    detail = cl_web.get(resp["Location"])
    assert detail.status_code == 200 and b"(212) 555-0147" in detail.content
    edit_data = form_post(valid_client_data(billing_type="not_billed"))
    resp = cl_web.post(reverse("clients:edit", args=[client.pk]), edit_data)
    assert resp.status_code == 302
    client.refresh_from_db()
    assert client.billing_type == "not_billed"
    assert cl_web.get(reverse("clients:edit", args=[client.pk])).status_code == 200


def test_draft_client_via_the_form(cl_web, cl_practice):
    resp = cl_web.post(
        reverse("clients:new"),
        {"first_name": "Sam", "last_name": "Lee", "is_draft": "on", "billing_type": "insurance"},
    )
    assert resp.status_code == 302
    assert Client.objects.get(practice=cl_practice).is_draft


def test_diagnoses_screen_add_reorder_remove(cl_web, cl_client):
    url = reverse("clients:diagnoses", args=[cl_client.pk])
    assert cl_web.get(url).status_code == 200
    assert cl_web.post(url, {"action": "add", "code": "F411"}).status_code == 302
    assert cl_web.post(url, {"action": "add", "code": "F32A"}).status_code == 302
    resp = cl_web.post(url, {"action": "add", "code": "F41"})
    assert resp.status_code == 200 and b"F41 is a category" in resp.content
    assert b'id="id_code_error"' in resp.content
    second = Diagnosis.objects.get(client=cl_client, code="F32.A")
    cl_web.post(url, {"action": "up", "diagnosis": second.pk})
    assert list(
        Diagnosis.objects.filter(client=cl_client)
        .order_by("position")
        .values_list("code", flat=True)
    ) == ["F32.A", "F41.1"]
    cl_web.post(url, {"action": "remove", "diagnosis": second.pk})
    assert list(Diagnosis.objects.filter(client=cl_client).values_list("code", "position")) == [
        ("F41.1", 1)
    ]
    page = cl_web.get(url)
    assert b"Generalized anxiety disorder" in page.content


def test_policies_screen_add_and_edit(cl_web, cl_client, cl_payer):
    url = reverse("clients:policies", args=[cl_client.pk])
    assert cl_web.get(url).status_code == 200
    resp = cl_web.post(
        url,
        {
            "payer": cl_payer.pk,
            "priority": "primary",
            "member_id": "W1",
            "relationship": "child",
            "is_active": "on",
        },
    )
    assert resp.status_code == 200
    assert b'id="id_subscriber_first_name_error"' in resp.content
    resp = cl_web.post(
        url,
        {
            "payer": cl_payer.pk,
            "priority": "primary",
            "member_id": "W1",
            "relationship": "self",
            "is_active": "on",
        },
    )
    assert resp.status_code == 302
    policy = InsurancePolicy.objects.get(client=cl_client)
    edit = reverse("clients:policy_edit", args=[cl_client.pk, policy.pk])
    page = cl_web.get(edit)
    assert page.status_code == 200 and b"Aetna Test Plans" in page.content
    resp = cl_web.post(
        edit,
        {
            "payer": cl_payer.pk,
            "priority": "primary",
            "member_id": "W2",
            "relationship": "self",
            "is_active": "on",
        },
    )
    assert resp.status_code == 302
    policy.refresh_from_db()
    assert policy.member_id == "W2"


def test_payer_search_options(cl_web, cl_payer, cl_payer_2):
    resp = cl_web.get(reverse("clients:payer_options"), {"payer_q": "aetna"})
    assert resp.status_code == 200
    assert b"Aetna Test Plans" in resp.content and b"Blue Cross" not in resp.content


def test_pricing_rules_screen(cl_web, cl_client, cl_service_type, cl_other_service_type):
    url = reverse("clients:pricing_rules", args=[cl_client.pk])
    page = cl_web.get(url)
    assert page.status_code == 200 and b"Elsewhere therapy" not in page.content
    resp = cl_web.post(url, {"service_type": cl_service_type.pk, "price": "", "cpt_code": "123"})
    assert resp.status_code == 200 and b'id="id_cpt_code_error"' in resp.content
    resp = cl_web.post(url, {"service_type": cl_other_service_type.pk, "price": "10"})
    assert resp.status_code == 200 and b'id="id_service_type_error"' in resp.content
    resp = cl_web.post(url, {"service_type": cl_service_type.pk, "price": "0"})
    assert resp.status_code == 302
    rule = PricingRule.objects.get(client=cl_client)
    page = cl_web.get(url)
    assert b"not billed" in page.content
    edit = reverse("clients:pricing_rule_edit", args=[cl_client.pk, rule.pk])
    assert cl_web.get(edit).status_code == 200
    assert (
        cl_web.post(edit, {"service_type": cl_service_type.pk, "price": "95.5"}).status_code == 302
    )
    rule.refresh_from_db()
    assert str(rule.price) == "95.50"
    resp = cl_web.post(reverse("clients:pricing_rule_delete", args=[cl_client.pk, rule.pk]))
    assert resp.status_code == 302 and not PricingRule.objects.exists()


def test_detail_shows_everything(cl_web, cl_client, cl_ctx, cl_payer, cl_service_type):
    diagnosis_add(client=cl_client, ctx=cl_ctx, code="F41.1")
    policy_create(
        client=cl_client,
        ctx=cl_ctx,
        data={"payer": cl_payer, "member_id": "W1", "relationship": "self"},
    )
    pricing_rule_create(
        client=cl_client, ctx=cl_ctx, data={"service_type": cl_service_type, "price": "120"}
    )
    page = cl_web.get(reverse("clients:detail", args=[cl_client.pk])).content.decode()
    for text in (
        "F41.1",
        "Generalized anxiety disorder",
        "Aetna Test Plans",
        "$120.00",
        "Psychotherapy 53 min",
        "Recent sessions",
        "Insurance",
    ):
        assert text in page


def test_clinician_sees_no_insurance_or_pricing(cl_practice, cl_clinician_user, cl_client):
    web = WebClient()
    web.force_login(cl_clinician_user)
    assert web.get(reverse("clients:detail", args=[cl_client.pk])).status_code == 200
    assert web.get(reverse("clients:policies", args=[cl_client.pk])).status_code == 403
    assert web.get(reverse("clients:pricing_rules", args=[cl_client.pk])).status_code == 403


def test_biller_can_manage_insurance(cl_biller, cl_client):
    web = WebClient()
    web.force_login(cl_biller)
    assert web.get(reverse("clients:policies", args=[cl_client.pk])).status_code == 200


def test_every_client_screen_answers_404_for_another_practices_objects(
    cl_web, cl_other_client, cl_other_practice, cl_other_owner, cl_other_service_type, cl_payer
):
    ctx = AuditContext(user_id=cl_other_owner.pk, practice_id=cl_other_practice.pk)
    diagnosis = diagnosis_add(client=cl_other_client, ctx=ctx, code="F41.1")
    policy = policy_create(
        client=cl_other_client,
        ctx=ctx,
        data={"payer": cl_payer, "member_id": "X1", "relationship": "self"},
    )
    rule = pricing_rule_create(
        client=cl_other_client, ctx=ctx, data={"service_type": cl_other_service_type, "price": "1"}
    )
    pk = cl_other_client.pk
    gets = [
        reverse("clients:detail", args=[pk]),
        reverse("clients:edit", args=[pk]),
        reverse("clients:diagnoses", args=[pk]),
        reverse("clients:policies", args=[pk]),
        reverse("clients:policy_edit", args=[pk, policy.pk]),
        reverse("clients:pricing_rules", args=[pk]),
        reverse("clients:pricing_rule_edit", args=[pk, rule.pk]),
    ]
    for url in gets:
        assert cl_web.get(url).status_code == 404, url
        if url != gets[0]:  # the overview is read-only (405 for POST)
            resp = cl_web.post(url, {"action": "remove", "diagnosis": diagnosis.pk})
            assert resp.status_code == 404, url
    assert (
        cl_web.post(reverse("clients:pricing_rule_delete", args=[pk, rule.pk])).status_code == 404
    )
    assert PricingRule.objects.filter(pk=rule.pk).exists()
    assert Diagnosis.objects.filter(pk=diagnosis.pk).exists()


def test_own_client_with_another_practices_sub_objects_is_404(
    cl_web,
    cl_client,
    cl_other_client,
    cl_other_practice,
    cl_other_owner,
    cl_payer,
    cl_other_service_type,
):
    ctx = AuditContext(user_id=cl_other_owner.pk, practice_id=cl_other_practice.pk)
    diagnosis = diagnosis_add(client=cl_other_client, ctx=ctx, code="F41.1")
    policy = policy_create(
        client=cl_other_client,
        ctx=ctx,
        data={"payer": cl_payer, "member_id": "X1", "relationship": "self"},
    )
    rule = pricing_rule_create(
        client=cl_other_client, ctx=ctx, data={"service_type": cl_other_service_type, "price": "1"}
    )
    pk = cl_client.pk
    assert cl_web.get(reverse("clients:policy_edit", args=[pk, policy.pk])).status_code == 404
    assert cl_web.get(reverse("clients:pricing_rule_edit", args=[pk, rule.pk])).status_code == 404
    assert (
        cl_web.post(reverse("clients:pricing_rule_delete", args=[pk, rule.pk])).status_code == 404
    )
    resp = cl_web.post(
        reverse("clients:diagnoses", args=[pk]), {"action": "remove", "diagnosis": diagnosis.pk}
    )
    assert resp.status_code == 404
