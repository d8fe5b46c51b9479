"""Every read and write of client data leaves an audit row with ids and field names only."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from oasys.clients.models import Diagnosis, InsurancePolicy, PricingRule
from oasys.clients.services import (
    client_create,
    client_update,
    diagnoses_replace,
    diagnosis_add,
    diagnosis_move,
    diagnosis_remove,
    policy_create,
    policy_update,
    pricing_rule_create,
    pricing_rule_delete,
    pricing_rule_update,
)
from oasys.core.audit import audit_verify
from oasys.core.models import AuditEvent

from .conftest import subscriber_data, valid_client_data

pytestmark = pytest.mark.django_db

PHI = (
    "Maria",
    "O'Neil",
    "Neil-Smith",
    "John",
    "123 Main",
    "Springfield",
    "2125550147",
    "maria@example.com",
    "1985",
    "F41.1",
    "F32.A",
    "W123",
    "62701",
)


def assert_no_phi_in_audit():
    for event in AuditEvent.objects.all():
        blob = json.dumps(event.detail) + event.object_id + event.object_type
        for text in PHI:
            assert text not in blob, (event.action, event.category, blob)


def events(**filters) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(**filters).order_by("seq"))


def test_every_service_write_is_audited(cl_practice, cl_ctx, cl_payer, cl_service_type):
    client = client_create(practice=cl_practice, ctx=cl_ctx, data=valid_client_data())
    client_update(client=client, ctx=cl_ctx, data={"phone": "2125550199", "city": "Chicago"})
    diagnosis_add(client=client, ctx=cl_ctx, code="F41.1")
    diagnosis_add(client=client, ctx=cl_ctx, code="F32.A")
    diagnosis_move(diagnosis=Diagnosis.objects.get(code="F32.A"), ctx=cl_ctx, direction="up")
    diagnosis_remove(diagnosis=Diagnosis.objects.get(code="F41.1"), ctx=cl_ctx)
    diagnoses_replace(client=client, ctx=cl_ctx, codes=["F41.1"])
    policy = policy_create(
        client=client,
        ctx=cl_ctx,
        data={"payer": cl_payer, "member_id": "W123", **subscriber_data()},
    )
    policy_update(policy=policy, ctx=cl_ctx, data={"group_number": "G1"})
    rule = pricing_rule_create(
        client=client, ctx=cl_ctx, data={"service_type": cl_service_type, "price": "10"}
    )
    pricing_rule_update(rule=rule, ctx=cl_ctx, data={"price": "12"})
    pricing_rule_delete(rule=rule, ctx=cl_ctx)

    got = [(e.action, e.category, e.object_type) for e in events(client_id_ref=client.pk)]
    assert got == [
        ("create", "demographics", "Client"),
        ("update", "demographics", "Client"),
        ("create", "diagnosis", "Diagnosis"),
        ("create", "diagnosis", "Diagnosis"),
        ("update", "diagnosis", "Diagnosis"),
        ("delete", "diagnosis", "Diagnosis"),
        ("update", "diagnosis", "Diagnosis"),
        ("create", "insurance", "InsurancePolicy"),
        ("update", "insurance", "InsurancePolicy"),
        ("create", "pricing", "PricingRule"),
        ("update", "pricing", "PricingRule"),
        ("delete", "pricing", "PricingRule"),
    ]
    update = events(client_id_ref=client.pk, action="update", category="demographics")[0]
    assert update.detail == {"fields": ["city", "phone"]}
    assert update.user_id_ref == cl_ctx.user_id and update.practice_id_ref == cl_practice.pk
    assert all(e.outcome == "success" for e in events(client_id_ref=client.pk))
    assert_no_phi_in_audit()
    assert audit_verify() is None


def test_refused_writes_are_audited_as_failures_with_field_names(cl_client, cl_ctx):
    with pytest.raises(ValidationError):
        client_update(client=cl_client, ctx=cl_ctx, data={"first_name": "Maria1"})
    failure = events(client_id_ref=cl_client.pk, outcome="failure")[0]
    assert failure.action == "update" and failure.detail == {"fields": ["first_name"]}
    assert_no_phi_in_audit()


def test_screen_reads_are_audited(cl_web, cl_client, cl_ctx, cl_payer, cl_service_type):
    diagnosis_add(client=cl_client, ctx=cl_ctx, code="F41.1")
    policy = policy_create(
        client=cl_client,
        ctx=cl_ctx,
        data={"payer": cl_payer, "member_id": "W123", "relationship": "self"},
    )
    rule = pricing_rule_create(
        client=cl_client, ctx=cl_ctx, data={"service_type": cl_service_type, "price": "10"}
    )
    before = AuditEvent.objects.count()

    cl_web.get(reverse("clients:list"))
    listed = events(action="read", category="demographics", client_id_ref=None)
    assert len(listed) == 1
    assert listed[0].detail == {"count": 1, "client_ids": [cl_client.pk]}

    cl_web.get(reverse("clients:detail", args=[cl_client.pk]))
    reads = {e.category for e in events(action="read", client_id_ref=cl_client.pk)}
    assert reads == {"demographics", "diagnosis", "insurance", "pricing", "session", "balance"}

    for name, args, category in [
        ("clients:edit", [cl_client.pk], "demographics"),
        ("clients:diagnoses", [cl_client.pk], "diagnosis"),
        ("clients:policies", [cl_client.pk], "insurance"),
        ("clients:policy_edit", [cl_client.pk, policy.pk], "insurance"),
        ("clients:pricing_rules", [cl_client.pk], "pricing"),
        ("clients:pricing_rule_edit", [cl_client.pk, rule.pk], "pricing"),
    ]:
        count = AuditEvent.objects.filter(
            category=category, action="read", client_id_ref=cl_client.pk
        ).count()
        assert cl_web.get(reverse(name, args=args)).status_code == 200
        assert (
            AuditEvent.objects.filter(
                category=category, action="read", client_id_ref=cl_client.pk
            ).count()
            == count + 1
        ), name
    assert AuditEvent.objects.count() > before
    assert_no_phi_in_audit()


def test_screen_writes_are_audited_with_the_request_user(cl_web, cl_owner, cl_client):
    cl_web.post(
        reverse("clients:diagnoses", args=[cl_client.pk]), {"action": "add", "code": "F411"}
    )
    event = events(action="create", category="diagnosis")[0]
    assert event.client_id_ref == cl_client.pk and event.user_id_ref == cl_owner.pk
    assert event.source_ip == "127.0.0.1"
    assert_no_phi_in_audit()


def test_api_reads_and_writes_are_audited(cl_api, cl_client, cl_payer):
    cl_api.get(f"/api/v1/clients/{cl_client.pk}")
    assert {e.category for e in events(action="read", client_id_ref=cl_client.pk)} == {
        "demographics",
        "diagnosis",
        "insurance",
        "pricing",
    }
    cl_api.get("/api/v1/clients")
    assert events(action="read", client_id_ref=None, category="demographics")[0].detail == {
        "count": 1, "client_ids": [cl_client.pk]
    }
    cl_api.get(f"/api/v1/clients/{cl_client.pk}/policies")
    cl_api.get(f"/api/v1/clients/{cl_client.pk}/pricing-rules")
    resp = cl_api.post(
        f"/api/v1/clients/{cl_client.pk}/policies",
        {"payer_id": cl_payer.pk, "member_id": "W123"},
        content_type="application/json",
    )
    assert resp.status_code == 201
    policy = InsurancePolicy.objects.get()
    created = events(action="create", category="insurance")[0]
    assert created.client_id_ref == cl_client.pk and created.object_id == str(policy.pk)
    assert not PricingRule.objects.exists()
    assert_no_phi_in_audit()
