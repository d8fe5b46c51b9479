"""Nobody ever sees another practice: walk every URL pattern and every API route as a user of
another practice and prove that each object URL answers 404 and no list leaks a thing."""

from __future__ import annotations

import json
import re
import secrets

import pytest
from django.db.models import Max
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver

from oasys.appointments.models import Appointment
from oasys.autobilling.models import AutoBillingSettings, BillingRun
from oasys.autobilling.services import autobilling_settings_update, billing_run_start
from oasys.billing.readiness import Route, billing_queue
from oasys.claims.models import Claim
from oasys.claims.services import ClaimDraft, claim_create_for_session
from oasys.clients.models import Client, InsurancePolicy, PricingRule
from oasys.core.audit import AuditContext
from oasys.core.models import ApiToken, AuditEvent, AuditOutcome, Practice
from oasys.core.tests.routes import api_routes
from oasys.demo.seed import seed_demo
from oasys.invoices.models import Invoice
from oasys.invoices.services import invoice_create_for_session
from oasys.practice.models import AcceptedPayer, Clinician, Enrollment, ServiceType

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("static/", "api/v1/")  # the API is walked separately below
OPERATOR_PREFIX = "operator/"  # staff only: 403 to everyone else, lists and objects alike


def _walk(resolvers, prefix=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _fill(route: str, value: int) -> str:
    return "/" + re.sub(r"<(?:\w+:)?\w+>", str(value), route)


@pytest.fixture
def victim_ids():
    """The demo practices own every kind of object; their ids are what an intruder tries."""
    seed_demo()
    _run_some()

    ids = set()
    for model in (
        Client,
        InsurancePolicy,
        PricingRule,
        Appointment,
        AcceptedPayer,
        Clinician,
        Enrollment,
        ServiceType,
        BillingRun,
    ):
        ids.update(model.objects.values_list("pk", flat=True)[:3])
    return sorted(ids)


def _run_some():
    """Give the victim an auto-billing run (queued, never run: nothing commits here)."""
    practice = Practice.objects.get(slug="serenity")
    ctx = AuditContext.system(practice_id=practice.pk)
    autobilling_settings_update(practice=practice, ctx=ctx, data={"enabled": True})
    billing_run_start(practice=practice, ctx=ctx)


def _bill_some():
    """Give the victim a claim and an invoice too (no clearinghouse needed for drafts)."""

    practice = Practice.objects.get(slug="serenity")
    ctx = AuditContext.system(practice_id=practice.pk)
    items = [i for i in billing_queue(practice=practice) if i.ready]
    claim_item = next(i for i in items if i.route == Route.CLAIM)
    invoice_item = next(i for i in items if i.route == Route.INVOICE)
    claim_create_for_session(practice=practice, ctx=ctx, draft=ClaimDraft(
        appointment_id=claim_item.appointment.pk, policy_id=claim_item.policy_id,
        payer_id=claim_item.payer_id, cpt=claim_item.cpt, charge=claim_item.charge,
        diagnosis_codes=claim_item.diagnosis_codes))
    invoice_create_for_session(practice=practice, appointment_id=invoice_item.appointment.pk,
                               amount=invoice_item.charge, cpt=invoice_item.cpt, ctx=ctx)


@pytest.fixture
def intruder_client(client, other_owner):
    client.force_login(other_owner)
    return client


def _victim_names():
    return [f"{c.first_name} {c.last_name}" for c in Client.objects.all()[:50]]


def test_every_object_url_answers_404_to_another_practice(intruder_client, victim_ids,
                                                          other_owner):
    before = _fingerprint()
    since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    checked = not_found = 0
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or "<" not in route:
            continue
        for pk in victim_ids:
            if "members/<" in route and pk == other_owner.pk:
                continue  # the intruder's own account (ids of different models overlap)
            url = _fill(route, pk)
            operator = route.startswith(OPERATOR_PREFIX)  # refused whoever's id it is
            for method in ("get", "post"):
                resp = getattr(intruder_client, method)(url)
                assert resp.status_code in ((403,) if operator else (404, 405)), (
                    f"{method.upper()} {url} -> {resp.status_code}"
                )
                checked += 1
                not_found += resp.status_code == 404
    assert checked > 50  # the walk really walked
    assert _fingerprint() == before
    _assert_denials_audited(since, not_found, other_owner)


def _assert_denials_audited(since: int, not_found: int, intruder) -> None:
    """Every 404 the intruder got wrote one denied row, in the intruder's own practice's
    chain, naming no client and holding nothing of the victim (names, member ids)."""
    rows = AuditEvent.objects.filter(pk__gt=since, outcome=AuditOutcome.DENIED)
    assert rows.count() == not_found > 0
    assert set(rows.values_list("practice_id_ref", "user_id_ref", "category").distinct()) == {
        (intruder.practice_id, intruder.pk, "not_found")}
    assert not rows.exclude(client_id_ref=None).exists()
    text = json.dumps(list(rows.values("object_type", "object_id", "detail")))
    # member ids are encrypted at rest (no SQL filter on them): pick the set ones in Python
    secrets_of_victim = _victim_names() + [
        m for m in InsurancePolicy.objects.values_list("member_id", flat=True) if m]
    assert not any(s in text for s in secrets_of_victim)


def test_every_list_url_leaks_nothing(intruder_client, victim_ids):
    names = _victim_names()
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or "<" in route or "logout" in route:
            continue
        resp = intruder_client.get("/" + route)
        # the operator console refuses a practice's user
        allowed = (403,) if route.startswith(OPERATOR_PREFIX) else (200, 302, 405)
        assert resp.status_code in allowed, f"GET /{route} -> {resp.status_code}"
        # the lists' CSV downloads stream: read them whole like any page
        raw = b"".join(resp.streaming_content) if resp.streaming else resp.content
        body = raw.decode(errors="replace")
        for name in names:
            assert name not in body, f"/{route} shows another practice's client"


def test_every_api_route_answers_404_or_empty_to_another_practice(other_owner, victim_ids):
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=other_owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    http = HttpClient(headers={"Authorization": f"Bearer {key}"})
    names = _victim_names()
    before = _fingerprint()
    since = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    object_routes = not_found = 0
    for method, route in api_routes():
        if "auth/token" in route:
            continue
        if "{" in route:
            for pk in victim_ids:
                url = "/api/v1/" + re.sub(r"\{\w+\}", str(pk), route)
                resp = http.generic(method, url, "{}", content_type="application/json")
                allowed = (404,) if method == "GET" else (404, 422)  # 422: refused unread
                assert resp.status_code in allowed, f"{method} {url} -> {resp.status_code}"
                not_found += resp.status_code == 404
            object_routes += 1
        elif method == "GET":
            resp = http.get("/api/v1/" + route)
            assert resp.status_code == 200, f"GET {route} -> {resp.status_code}"
            body = resp.content.decode()
            assert not any(name in body for name in names), f"GET {route} leaks"
    assert object_routes >= 3
    assert _fingerprint() == before  # no write of any kind reached the other practice
    _assert_denials_audited(since, not_found, other_owner)


def _fingerprint():
    return [
        (m.__name__, m.objects.count(), m.objects.aggregate(x=Max("updated_at"))["x"])
        for m in (Client, InsurancePolicy, PricingRule, Appointment, ServiceType, Claim, Invoice,
                  AutoBillingSettings)
    ]
