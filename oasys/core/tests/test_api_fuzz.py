"""The API fuzzed by schemathesis: every operation of /api/v1/openapi.json, called in-process
through the WSGI app as the owner of the demo practice Serenity, with the ids of both demo
practices (Serenity's and Harbor's) mixed into paths, queries and bodies, answers no 5xx, and
its answers match the documented content type and response schemas; a request that breaks
the schema is refused.

OASYS_FUZZ_EXAMPLES sets the examples per operation (10 in `make test`), OASYS_FUZZ_SEED the
seed (fixed, so a run is repeatable). The demo data is seeded once per module inside a
transaction that is rolled back at the end; each operation's test runs in a savepoint of it,
so what one operation changes is gone for the next."""

from __future__ import annotations

import os
import secrets
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.config import SchemathesisConfig

from oasys.appointments.models import Appointment
from oasys.autobilling.models import BillingRun
from oasys.autobilling.services import autobilling_settings_update, billing_run_start
from oasys.billing.readiness import Route, billing_queue
from oasys.claims.models import Claim
from oasys.claims.services import ClaimDraft, claim_create_for_session, claim_transition
from oasys.claims.status import ClaimStatus
from oasys.clearinghouse.connection import clearinghouse_fake_install
from oasys.clearinghouse.models import EdiFile
from oasys.clients.models import Client, InsurancePolicy, PricingRule
from oasys.core.audit import AuditContext
from oasys.core.models import ApiToken, Practice, User
from oasys.demo.seed import seed_demo, seed_demo_payments
from oasys.eligibility.models import EligibilityCheck
from oasys.eligibility.services import eligibility_check_run
from oasys.invoices.models import Invoice
from oasys.invoices.services import invoice_create_for_session
from oasys.payments.connection import payments_fake_install
from oasys.practice.models import AcceptedPayer, Clinician, Payer, ProviderProfile, ServiceType
from oasys.remittance.models import Remittance
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import Adj, C, era
from oasys.wsgi import application

EXAMPLES = int(os.environ.get("OASYS_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("OASYS_FUZZ_SEED", "20261202"))
TOKEN = "oas_" + secrets.token_urlsafe(24)  # Serenity's owner's, stored by `seeded`

CONFIG = SchemathesisConfig.from_dict({
    "seed": SEED,
    "headers": {"Authorization": f"Bearer {TOKEN}"},
    "generation": {"max-examples": EXAMPLES, "deterministic": False, "database": "none"},
    # The documented status codes list only what each route answers on purpose (404 and 401
    # are left out), so status_code_conformance is off; the rest hold.
    "checks": {"enabled": False,
               "not_a_server_error": {"enabled": True},
               "content_type_conformance": {"enabled": True},
               "response_schema_conformance": {"enabled": True},
               "negative_data_rejection": {"enabled": True}},
    # examples and fuzzing: bounded by max-examples; coverage would add hundreds per route
    "phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}},
})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)

# Row ids of both demo practices, by the parameter or body field that names them.
POOLS: dict[str, list[Any]] = {}
SEEN: Counter[str] = Counter()  # examples sent, answers by status class (the figures)
ID_FIELDS = {
    "client_id": Client, "client": Client, "appointment_id": Appointment,
    "session_ids": Appointment, "claim_id": Claim, "invoice_id": Invoice,
    "policy_id": InsurancePolicy, "rule_id": PricingRule, "accepted_payer_id": AcceptedPayer,
    "service_type_id": ServiceType, "clinician_id": Clinician, "supervisor_id": Clinician,
    "run_id": BillingRun, "remittance_id": Remittance, "pk": EdiFile,
    "check_id": EligibilityCheck, "token_id": ApiToken, "payer_id": Payer,
}
WORDS = {"side": ["front", "back"],
         "action": ["resubmit", "replace", "void", "secondary", "appeal", "write-off",
                    "write_off", "status-inquiry"]}


def _seed_more() -> None:
    """Beyond the demo seed: a draft and a submitted claim with an ERA posted, a draft
    invoice, an auto-billing run and an eligibility check, so every route has rows."""
    practice = Practice.objects.get(slug="serenity")
    ctx = AuditContext.system(practice_id=practice.pk)
    items = [i for i in billing_queue(practice=practice) if i.ready]
    claims = [i for i in items if i.route == Route.CLAIM][:2]
    made = [claim_create_for_session(practice=practice, ctx=ctx, draft=ClaimDraft(
        appointment_id=i.appointment.pk, policy_id=i.policy_id, payer_id=i.payer_id,
        cpt=i.cpt, charge=i.charge, diagnosis_codes=i.diagnosis_codes)) for i in claims]
    invoice_item = next(i for i in items if i.route == Route.INVOICE)
    invoice_create_for_session(practice=practice, appointment_id=invoice_item.appointment.pk,
                               amount=invoice_item.charge, cpt=invoice_item.cpt, ctx=ctx)
    submitted = made[-1]
    claim_transition(claim=submitted, to=ClaimStatus.SUBMITTED, ctx=ctx, source="test")
    era_import(practice=practice, ctx=ctx, raw=era(
        [C(submitted.patient_control_number, str(submitted.total_charge),
           str(submitted.total_charge - 20), [Adj("PR", "3", "20.00")])],
        payee_npi=ProviderProfile.objects.get(practice=practice).npi))
    autobilling_settings_update(practice=practice, ctx=ctx, data={"enabled": True})
    billing_run_start(practice=practice, ctx=ctx)
    policy = InsurancePolicy.objects.filter(client__practice=practice, is_active=True).first()
    eligibility_check_run(policy=policy, ctx=ctx)


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo practices and Serenity owner's token, once for the module."""
    # Django's test client stops the request signals from closing the connection; calling
    # the WSGI app directly needs the same, or the first request ends the transaction.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    payments = payments_fake_install()
    clearinghouse = clearinghouse_fake_install()
    started = time.monotonic()
    try:
        with django_db_blocker.unblock(), transaction.atomic(), override_settings(
                PAYMENTS_ADAPTER="fake", CLEARINGHOUSE_ADAPTER="fake"):
            seed_demo()
            seed_demo_payments()
            _seed_more()
            owner = User.objects.get(email="therapist@demo.test")
            ApiToken.objects.create(user=owner, key_hash=ApiToken.hash_key(TOKEN),
                                    prefix=TOKEN[:10], name="fuzz")
            for name, model in ID_FIELDS.items():
                POOLS[name] = list(model.objects.order_by("pk").values_list("pk", flat=True))
            POOLS["payout_id"] = []
            print(f"\nseeded in {time.monotonic() - started:.1f}s")  # noqa: T201
            assert {p.slug for p in Practice.objects.all()} >= {"serenity", "harbor"}
            yield payments, clearinghouse
            transaction.set_rollback(True)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        print(f"\napi fuzz: {dict(SEEN)}")  # noqa: T201 - the figures, with -s


def _known(name: str, value: Any) -> st.SearchStrategy:
    """The generated value, or (as often) a real row id of either practice."""
    pool = POOLS.get(name) or WORDS.get(name)
    if not pool or isinstance(value, bool):
        return st.just(value)
    if name == "session_ids" and isinstance(value, list):
        return st.one_of(st.just(value), st.lists(st.sampled_from(pool), min_size=1,
                                                  max_size=4))
    if not isinstance(value, int | str) or (name in WORDS) != isinstance(value, str):
        return st.just(value)
    return st.one_of(st.just(value), st.sampled_from(pool))


def _mixed(values: dict[str, Any] | None) -> st.SearchStrategy:
    if not isinstance(values, dict) or not values:
        return st.just(values)
    return st.fixed_dictionaries({k: _known(k, v) for k, v in values.items()})


@schema.hook("flatmap_path_parameters")
def _ids_in_path(context, path_parameters):
    return _mixed(path_parameters)


@schema.hook("flatmap_query")
def _ids_in_query(context, query):
    return _mixed(query)


@schema.hook("flatmap_body")
def _ids_in_body(context, body):
    return _mixed(body) if isinstance(body, dict) else st.just(body)


@pytest.fixture
def fakes(seeded):
    """The seeded Stripe and clearinghouse fakes again (the autouse fixtures reset them)."""
    payments_fake_install(seeded[0])
    clearinghouse_fake_install(seeded[1])


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[
    HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_no_operation_answers_a_server_error(case, seeded, fakes, db):
    response = case.call()
    SEEN["examples"] += 1
    SEEN[f"{response.status_code // 100}xx"] += 1
    case.validate_response(response)
