"""The readiness engine: each reason code from a fully Ready claim, broken once and fixed;
hidden sessions; routes; pricing overrides; a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.billing.models import TelehealthModifierRule
from oasys.billing.readiness import Route, billing_queue
from oasys.billing.reasons import MESSAGES
from oasys.claims.services import ClaimDraft, claim_create_for_session
from oasys.clients.models import BillingType, Relationship
from oasys.practice.models import (
    AcceptedPayer,
    Clinician,
    Enrollment,
    EnrollmentStatus,
    TransactionType,
)
from oasys.practice.services import extra_service_code_add, extra_service_code_remove

from . import factories as f
from .factories import ready_claim_session

pytestmark = pytest.mark.django_db


def item_for(practice, appt):
    for item in billing_queue(practice=practice):
        if item.appointment.pk == appt.pk:
            return item
    return None


def codes(item) -> set[str]:
    return {r.code for r in item.reasons}


def assert_ready(s, route=Route.CLAIM):
    item = item_for(s.practice, s.appointment)
    assert item is not None, "session should be in Bill Sessions"
    assert item.reasons == [], [r.text for r in item.reasons]
    assert item.ready
    assert item.route == route
    return item


def assert_only(s, code):
    item = item_for(s.practice, s.appointment)
    assert item is not None
    assert codes(item) == {code}, [r.text for r in item.reasons]
    assert not item.ready
    r = next(r for r in item.reasons if r.code == code)
    assert r.message == MESSAGES[code][0]
    return item


@pytest.fixture
def s(practice):
    scenario = f.ready_claim_session(practice)
    assert_ready(scenario)
    return scenario


# --- the fully Ready claim -------------------------------------------------------------------


def test_ready_claim_fixture_has_charge_cpt_payer_and_diagnoses(s):
    item = assert_ready(s)
    assert item.charge == Decimal("130.00")
    assert item.cpt == "90834"
    assert item.payer_id == s.payer.pk
    assert item.payer_name == s.payer.name
    assert item.policy_id == s.policy.pk
    assert item.diagnosis_codes == ("F41.1",)


# --- one test per reason code ----------------------------------------------------------------


def test_insurance_setup_incomplete(s):
    s.profile.contact_phone = ""
    s.profile.save()
    item = assert_only(s, "insurance_setup_incomplete")
    assert "contact phone" in item.reasons[0].detail
    s.profile.contact_phone = "3125550100"
    s.profile.save()
    assert_ready(s)


def test_insurance_setup_incomplete_when_stored_billing_zip_has_5_digits(s):
    # A profile saved before ZIP+4 was required: the 837P would be refused, so say it now.
    s.profile.zip_code = "60601"
    s.profile.save()
    item = assert_only(s, "insurance_setup_incomplete")
    assert item.reasons[0].detail == (
        "billing address ZIP+4 required for claims: e.g. 94111-1234")
    s.profile.contact_phone = ""
    s.profile.save()
    (r,) = assert_only(s, "insurance_setup_incomplete").reasons
    assert "contact phone" in r.detail and "ZIP+4 required" in r.detail
    s.profile.contact_phone = "3125550100"
    s.profile.zip_code = "60601-2207"
    s.profile.save()
    assert_ready(s)


def test_insurance_setup_incomplete_without_any_profile(s):
    s.profile.delete()
    item = item_for(s.practice, s.appointment)
    assert {"insurance_setup_incomplete", "missing_taxonomy"} <= codes(item)
    assert not item.ready
    f.make_profile(s.practice)
    assert_ready(s)


def test_missing_payer_no_policy(s):
    s.policy.delete()
    item = assert_only(s, "missing_payer")
    assert item.payer_name == "No payer on file"
    f.make_policy(s.client, s.payer)
    assert_ready(s)


def test_missing_payer_policy_without_payer(s):
    s.policy.payer = None
    s.policy.save()
    assert_only(s, "missing_payer")
    s.policy.payer = s.payer
    s.policy.save()
    assert_ready(s)


def test_missing_payer_inactive_policy(s):
    s.policy.is_active = False
    s.policy.save()
    assert_only(s, "missing_payer")
    s.policy.is_active = True
    s.policy.save()
    assert_ready(s)


def test_missing_diagnosis(s):
    s.diagnosis.delete()
    assert_only(s, "missing_diagnosis")
    f.make_diagnosis(s.client, "F41.1")
    assert_ready(s)


def test_missing_cpt(s):
    s.service_type.cpt_code = ""
    s.service_type.save()
    assert_only(s, "missing_cpt")
    s.service_type.cpt_code = "90834"
    s.service_type.save()
    assert_ready(s)


def test_missing_cpt_fixed_by_pricing_rule_cpt(s):
    s.service_type.cpt_code = ""
    s.service_type.save()
    assert_only(s, "missing_cpt")
    f.make_pricing_rule(s.client, s.service_type, cpt_code="90834")
    assert_ready(s)


def test_missing_charge(s):
    s.service_type.rate = None
    s.service_type.save()
    item = assert_only(s, "missing_charge")
    assert item.charge is None
    s.service_type.rate = Decimal("130.00")
    s.service_type.save()
    assert_ready(s)


def test_missing_charge_fixed_by_pricing_rule_price(s):
    s.service_type.rate = None
    s.service_type.save()
    assert_only(s, "missing_charge")
    f.make_pricing_rule(s.client, s.service_type, price=Decimal("110.00"))
    assert assert_ready(s).charge == Decimal("110.00")


def test_missing_charge_on_self_pay_invoice(practice):
    st = f.make_service_type(practice, rate=None)
    appt = f.self_pay_session(practice, service_type=st)
    item = item_for(practice, appt)
    assert item.route == Route.INVOICE
    assert codes(item) == {"missing_charge"}
    assert not item.ready


def test_incomplete_insurance_member_id_blank(s):
    s.policy.member_id = ""
    s.policy.save()
    item = assert_only(s, "incomplete_insurance")
    assert item.reasons[0].detail == "member ID"
    s.policy.member_id = "W123456789"
    s.policy.save()
    assert_ready(s)


SUBSCRIBER = dict(
    subscriber_first_name="Pat", subscriber_last_name="Bennett",
    subscriber_date_of_birth=dt.date(1960, 2, 3), subscriber_gender="M",
    subscriber_address1="12 Oak St", subscriber_city="Chicago", subscriber_state="IL",
    subscriber_zip_code="60614",
)


def test_incomplete_insurance_child_without_subscriber(s):
    s.policy.relationship = Relationship.CHILD
    s.policy.save()
    item = assert_only(s, "incomplete_insurance")
    assert item.reasons[0].detail == (
        "subscriber first name, subscriber last name, subscriber date of birth, "
        "subscriber gender, subscriber address, subscriber city, subscriber state, "
        "subscriber ZIP"
    )
    for name, value in SUBSCRIBER.items():
        setattr(s.policy, name, value)
    s.policy.save()
    assert_ready(s)


def test_incomplete_insurance_client_dob_blank(s):
    s.client.date_of_birth = None
    s.client.save()
    item = assert_only(s, "incomplete_insurance")
    assert item.reasons[0].detail == "client date of birth"
    s.client.date_of_birth = dt.date(1985, 4, 12)
    s.client.save()
    assert_ready(s)


def test_missing_taxonomy_billing_provider(s):
    s.profile.taxonomy_code = ""
    s.profile.save()
    item = assert_only(s, "missing_taxonomy")
    assert item.reasons[0].detail == "billing provider"
    s.profile.taxonomy_code = f.TAXONOMY
    s.profile.save()
    assert_ready(s)


def test_missing_taxonomy_rendering_clinician(s):
    s.clinician.taxonomy_code = ""
    s.clinician.save()
    item = assert_only(s, "missing_taxonomy")
    assert item.reasons[0].detail.startswith("rendering clinician")
    s.clinician.taxonomy_code = f.TAXONOMY
    s.clinician.save()
    assert_ready(s)


def test_unsigned_note(s):
    signed = s.appointment.note_signed_at
    s.appointment.note_signed_at = None
    s.appointment.save()
    assert_only(s, "unsigned_note")
    s.appointment.note_signed_at = signed
    s.appointment.save()
    assert_ready(s)


def test_claim_validation_category_diagnosis(s):
    s.diagnosis.code = "F41"
    s.diagnosis.save()
    item = assert_only(s, "claim_validation")
    assert item.reasons[0].detail.startswith("Diagnosis F41 is a category")
    s.diagnosis.code = "F41.1"
    s.diagnosis.save()
    assert_ready(s)


def test_claim_validation_time_mismatch(s):
    s.service_type.cpt_code = "90837"
    s.service_type.save()
    s.appointment.end = s.appointment.start + dt.timedelta(minutes=40)
    s.appointment.save()
    item = assert_only(s, "claim_validation")
    assert item.reasons[0].detail == (
        "90837 is for 53+ minutes; this session was 40; 40 minutes is 90834."
    )
    s.appointment.end = s.appointment.start + dt.timedelta(minutes=55)
    s.appointment.save()
    assert_ready(s)


def test_claim_validation_telehealth_without_95(s):
    s.appointment.place_of_service = "10"
    s.appointment.modifiers = ""
    s.appointment.save()
    item = assert_only(s, "claim_validation")
    assert "needs modifier 95" in item.reasons[0].detail
    s.appointment.modifiers = "95"
    s.appointment.save()
    assert_ready(s)


def test_claim_validation_timely_filing_passed(practice):
    s = f.ready_claim_session(practice, days_ago=100)
    item = assert_only(s, "claim_validation")
    assert "90-day filing limit passed" in item.reasons[0].detail
    s.payer.timely_filing_days = 365
    s.payer.save()
    assert_ready(s)


def test_awaiting_supervisor_is_blocked(s):
    supervisor = f.make_clinician(s.practice, first_name="Sam")
    s.clinician.supervisor = supervisor
    s.clinician.save()
    item = assert_only(s, "awaiting_supervisor")
    assert item.blocked is True
    assert item.reasons[0].blocked is True
    s.appointment.supervisor_approved_at = s.appointment.note_signed_at
    s.appointment.save()
    assert_ready(s)


def test_payer_not_enrolled_payer_not_accepted(s):
    AcceptedPayer.objects.filter(practice=s.practice, payer=s.payer).delete()
    item = assert_only(s, "payer_not_enrolled")
    assert item.reasons[0].detail == f"{s.payer.name} is not in your accepted payers"
    f.accept_payer(s.practice, s.payer)
    assert_ready(s)


def test_payer_not_enrolled_enrollment_pending(s):
    Enrollment.objects.filter(accepted_payer=s.accepted,
                              transaction_type=TransactionType.CLAIMS).update(
        status=EnrollmentStatus.PENDING)
    item = assert_only(s, "payer_not_enrolled")
    assert item.reasons[0].detail == f"{s.payer.name}: claims enrollment pending"
    Enrollment.objects.filter(accepted_payer=s.accepted).update(status=EnrollmentStatus.ACTIVE)
    assert_ready(s)


def test_timely_filing_close_is_a_warning_and_stays_ready(practice):
    s = f.ready_claim_session(practice, days_ago=80)  # 10 days left of 90
    item = item_for(practice, s.appointment)
    assert codes(item) == {"timely_filing_close"}
    assert item.ready
    assert item.problems == []
    assert [r.warning for r in item.warnings] == [True]
    assert "(10 days left of 90)" in item.warnings[0].detail


def test_missing_client_email_for_invoice(practice):
    appt = f.self_pay_session(practice, email="")
    item = item_for(practice, appt)
    assert item.route == Route.INVOICE
    assert codes(item) == {"missing_client_email"}
    assert not item.ready
    appt.client.email = "pay@example.com"
    appt.client.save()
    item = item_for(practice, appt)
    assert item.ready and item.reasons == []


def test_every_problem_is_listed_not_just_the_first(s):
    s.diagnosis.delete()
    s.appointment.note_signed_at = None
    s.appointment.save()
    s.policy.member_id = ""
    s.policy.save()
    item = item_for(s.practice, s.appointment)
    assert codes(item) == {"missing_diagnosis", "unsigned_note", "incomplete_insurance"}


# --- hidden sessions (the FAQ) ---------------------------------------------------------------


def test_zero_rate_service_type_is_hidden(s):
    s.service_type.rate = Decimal("0.00")
    s.service_type.save()
    assert item_for(s.practice, s.appointment) is None
    self_pay = f.self_pay_session(s.practice, service_type=s.service_type)
    assert item_for(s.practice, self_pay) is None


def test_zero_pricing_rule_is_hidden(s):
    f.make_pricing_rule(s.client, s.service_type, price=Decimal("0"))
    assert item_for(s.practice, s.appointment) is None


def test_not_billed_client_is_hidden(s):
    s.client.billing_type = BillingType.NOT_BILLED
    s.client.save()
    assert item_for(s.practice, s.appointment) is None
    s.client.billing_type = BillingType.INSURANCE
    s.client.save()
    assert_ready(s)


@pytest.mark.parametrize("status", [AppointmentStatus.SCHEDULED, AppointmentStatus.CANCELLED,
                                    AppointmentStatus.LATE_CANCELLED])
def test_sessions_not_completed_or_no_show_never_appear(s, status):
    s.appointment.status = status
    s.appointment.save()
    assert item_for(s.practice, s.appointment) is None


def test_other_practice_sessions_never_appear(s, other_practice):
    other = f.ready_claim_session(other_practice)
    ids = {i.appointment.pk for i in billing_queue(practice=s.practice)}
    assert ids == {s.appointment.pk}
    assert other.appointment.pk not in ids


# --- routes and pricing ----------------------------------------------------------------------


def test_insured_no_show_goes_to_invoice_never_insurance(s):
    s.appointment.status = AppointmentStatus.NO_SHOW
    s.appointment.note_signed_at = None  # no note for a no-show
    s.appointment.save()
    item = item_for(s.practice, s.appointment)
    assert item.route == Route.INVOICE
    assert item.ready
    assert item.payer_name == "Self-pay"


def test_self_pay_completed_goes_to_invoice(practice):
    appt = f.self_pay_session(practice)
    item = item_for(practice, appt)
    assert item.route == Route.INVOICE
    assert item.ready
    assert item.charge == Decimal("130.00")
    assert item.payer_name == "Self-pay"


def test_pricing_rule_price_and_cpt_override_service_type(s):
    s.appointment.end = s.appointment.start + dt.timedelta(minutes=55)
    s.appointment.save()
    f.make_pricing_rule(s.client, s.service_type, price=Decimal("95.5"), cpt_code="90837")
    item = assert_ready(s)
    assert item.charge == Decimal("95.50")
    assert item.cpt == "90837"


def test_pricing_rule_price_only_keeps_service_type_cpt(s):
    f.make_pricing_rule(s.client, s.service_type, price=Decimal("80.00"))
    item = assert_ready(s)
    assert (item.charge, item.cpt) == (Decimal("80.00"), "90834")


def test_pricing_rule_cpt_only_keeps_service_type_rate(s):
    s.appointment.end = s.appointment.start + dt.timedelta(minutes=30)
    s.appointment.save()
    f.make_pricing_rule(s.client, s.service_type, cpt_code="90832")
    item = assert_ready(s)
    assert (item.charge, item.cpt) == (Decimal("130.00"), "90832")


def test_pricing_rule_of_another_client_does_not_apply(s):
    other = f.make_client(s.practice)
    f.make_pricing_rule(other, s.service_type, price=Decimal("0"))
    item = assert_ready(s)
    assert item.charge == Decimal("130.00")


def test_billed_sessions_leave_the_queue(s):
    claim_create_for_session(
        practice=s.practice, ctx=f.ctx_for(practice=s.practice),
        draft=ClaimDraft(appointment_id=s.appointment.pk, policy_id=s.policy.pk,
                         payer_id=s.payer.pk, cpt="90834", charge=Decimal("130.00"),
                         diagnosis_codes=("F41.1",)),
    )
    assert item_for(s.practice, s.appointment) is None


# --- one set-based evaluation ----------------------------------------------------------------


def _mixed_sessions(practice, n: int) -> None:
    payer = f.make_payer()
    f.accept_payer(practice, payer)
    st = f.make_service_type(practice)
    supervisor = f.make_clinician(practice, first_name="Sam")
    clinicians = [f.make_clinician(practice),
                  f.make_clinician(practice, supervisor=supervisor, taxonomy_code="")]
    for i in range(n):
        kind = i % 3
        client = f.make_client(
            practice, billing_type=BillingType.SELF_PAY if kind == 2 else BillingType.INSURANCE)
        if kind != 2:
            f.make_diagnosis(client, "F41.1" if i % 2 else "F41")
            f.make_policy(client, payer, member_id="" if i % 4 == 0 else "W1")
        if i % 5 == 0:
            f.make_pricing_rule(client, st, price=Decimal("90.00"))
        f.make_appointment(practice, client=client, clinician=clinicians[i % 2], service_type=st,
                           days_ago=1 + i % 20,
                           status=AppointmentStatus.NO_SHOW if i % 7 == 0
                           else AppointmentStatus.COMPLETED)


def _queries_for_queue(practice) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        items = billing_queue(practice=practice)
    return len(captured), len(items)


def test_query_count_is_the_same_for_5_and_60_sessions(practice, other_practice):
    f.make_profile(practice)
    f.make_profile(other_practice)
    f.ensure_default_telehealth_rules()
    _mixed_sessions(practice, 5)
    _mixed_sessions(other_practice, 60)
    small, n_small = _queries_for_queue(practice)
    large, n_large = _queries_for_queue(other_practice)
    assert (n_small, n_large) == (5, 60)
    assert small == large, f"{small} queries for 5 sessions, {large} for 60"
    assert large <= 10


# --- telehealth rules from the database ------------------------------------------------------


def _telehealth(s, modifiers: str = "") -> None:
    s.appointment.place_of_service = "10"
    s.appointment.modifiers = modifiers
    s.appointment.save()


def test_practice_payer_rule_beats_shipped_default(s):
    _telehealth(s)
    assert_only(s, "claim_validation")
    TelehealthModifierRule.objects.create(practice=s.practice, payer=s.payer,
                                          effective_year=2021, place_of_service="10",
                                          required_modifier="")
    assert_ready(s)


def test_payer_rule_asking_for_gt_refuses_95(s):
    TelehealthModifierRule.objects.create(practice=s.practice, payer=s.payer,
                                          effective_year=2021, place_of_service="10",
                                          required_modifier="GT")
    _telehealth(s, "95")
    item = assert_only(s, "claim_validation")
    assert "needs modifier GT" in item.reasons[0].detail
    _telehealth(s, "GT")
    assert_ready(s)


def test_another_practices_payer_rule_does_not_apply(s, other_practice):
    TelehealthModifierRule.objects.create(practice=other_practice, payer=s.payer,
                                          effective_year=2021, place_of_service="10",
                                          required_modifier="")
    _telehealth(s)
    assert_only(s, "claim_validation")
    _telehealth(s, "95")
    assert_ready(s)


def test_supervisor_without_npi_is_a_claim_validation_error(practice):
    """The supervising clinician goes on the claim (2310D), so their NPI must be valid."""

    sc = ready_claim_session(practice)
    supervisor = Clinician.objects.create(practice=practice, first_name="Sue",
                                          last_name="Pervisor", npi="", taxonomy_code="103TC0700X")
    sc.clinician.supervisor = supervisor
    sc.clinician.save()
    Appointment.objects.filter(pk=sc.appointment.pk).update(
        supervisor_approved_at=timezone.now())
    [item] = billing_queue(practice=practice)
    details = [r.detail for r in item.reasons if r.code == "claim_validation"]
    assert any("Supervising clinician" in d and "no NPI" in d for d in details)
    supervisor.npi = "1234567893"
    supervisor.save()
    [item] = billing_queue(practice=practice)
    assert item.ready, item.reasons


# --- CPT codes Oasys does not know -------------------------------------------------------------


def test_a_stored_unknown_cpt_is_named_not_crashed_on(s):
    # Saved before codes were checked against the behavioral-health list.
    type(s.service_type).objects.filter(pk=s.service_type.pk).update(cpt_code="99999")
    item = assert_only(s, "invalid_cpt")
    reason = item.reasons[0]
    assert reason.detail.startswith("99999 is not a CPT code Oasys knows")
    assert "Billing → Setup → Service codes" in reason.detail


def test_a_stored_badly_shaped_cpt_is_invalid_too(s):
    type(s.service_type).objects.filter(pk=s.service_type.pk).update(cpt_code="9O834")
    item = assert_only(s, "invalid_cpt")
    assert "is not a CPT or HCPCS code" in item.reasons[0].detail


def test_an_added_extra_code_is_ready_and_removing_it_names_it_again(s):
    type(s.service_type).objects.filter(pk=s.service_type.pk).update(cpt_code="0591T")
    assert_only(s, "invalid_cpt")
    extra = extra_service_code_add(practice=s.practice, actor_ctx=f.ctx_for(practice=s.practice),
                                   code="0591T")
    assert_ready(s)
    extra_service_code_remove(practice=s.practice, actor_ctx=f.ctx_for(practice=s.practice),
                              extra=extra)
    assert_only(s, "invalid_cpt")


def test_a_self_pay_session_with_an_unknown_code_is_not_invoiced(practice):
    appt = f.self_pay_session(practice)
    type(appt.service_type).objects.filter(pk=appt.service_type_id).update(cpt_code="99999")
    item = next(i for i in billing_queue(practice=practice) if i.appointment.pk == appt.pk)
    assert codes(item) == {"invalid_cpt"} and not item.ready


def test_a_free_session_is_not_in_bill_sessions(s):
    s.service_type.rate = Decimal("0")
    s.service_type.save()
    assert item_for(s.practice, s.appointment) is None
