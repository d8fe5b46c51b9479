"""Issuing good-faith estimates (oasys.estimates.services): proposed lines from the practice's
fees and the client's frequency, issuing with totals and an audit row, the refusals (client
billed to insurance, bad period, bad lines, bad diagnosis codes) that write nothing, void and
the email with the PDF attached."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from oasys.billing.tests import factories as f
from oasys.clients.models import BillingType
from oasys.core.errors import Conflict, InvalidInput
from oasys.core.models import AuditAction, AuditEvent, SentEmail
from oasys.estimates.models import EstimateStatus, Frequency, GoodFaithEstimate
from oasys.estimates.services import (
    estimate_email,
    estimate_issue,
    estimate_lines_propose,
    estimate_void,
    sessions_in_period,
    year_after,
)

pytestmark = pytest.mark.django_db

START, END = dt.date(2027, 1, 1), dt.date(2027, 12, 31)


def _self_pay(practice, **kw):
    return f.make_client(practice, billing_type=BillingType.SELF_PAY, **kw)


def _issue(practice, client, lines=None, **kw):
    lines = lines if lines is not None else [
        {"cpt_code": "90834", "description": "Psychotherapy, 45 min", "quantity": "52",
         "unit_cost": "130.00"},
        {"cpt_code": "90791", "description": "", "quantity": 1, "unit_cost": "200"},
    ]
    return estimate_issue(practice=practice, client=client, period_start=kw.pop("start", START),
                          period_end=kw.pop("end", END), lines=lines,
                          ctx=f.ctx_for(practice=practice), **kw)


@pytest.mark.parametrize(("frequency", "start", "end", "expected"), [
    (Frequency.WEEKLY, START, END, 52),
    (Frequency.BIWEEKLY, START, END, 26),
    (Frequency.MONTHLY, START, END, 12),
    (Frequency.WEEKLY, START, dt.date(2027, 6, 30), 25),
    (Frequency.MONTHLY, START, dt.date(2027, 6, 30), 6),
    (Frequency.WEEKLY, START, START, 1),  # one day still means one session
])
def test_sessions_in_period(frequency, start, end, expected):
    assert sessions_in_period(period_start=start, period_end=end,
                              frequency=frequency) == expected


def test_the_proposal_is_the_service_fee_times_the_frequency(practice):
    st = f.make_service_type(practice, name="Individual therapy", cpt_code="90837",
                             rate=Decimal("150.00"))
    f.make_service_type(practice, name="Zz unused", cpt_code="90834", rate=Decimal("99.00"))
    client = _self_pay(practice)
    [line] = estimate_lines_propose(practice=practice, client=client, period_start=START,
                                    period_end=END, frequency=Frequency.WEEKLY,
                                    service_type_id=st.pk)
    assert (line.cpt_code, line.description, line.quantity, line.unit_cost) == (
        "90837", "Individual therapy", 52, Decimal("150.00"))
    # no choice: the practice's first active service type with a fee
    [line] = estimate_lines_propose(practice=practice, client=client, period_start=START,
                                    period_end=END, frequency=Frequency.BIWEEKLY)
    assert (line.cpt_code, line.quantity) == ("90837", 26)


def test_the_proposal_uses_the_clients_price_and_latest_session(practice):
    st = f.make_service_type(practice, name="Couples", cpt_code="90847", rate=Decimal("180"))
    f.make_service_type(practice, name="Aaa first", cpt_code="90834", rate=Decimal("120"))
    appt = f.self_pay_session(practice)
    appt.service_type = st
    appt.save()
    f.make_pricing_rule(appt.client, st, price=Decimal("95.00"))
    [line] = estimate_lines_propose(practice=practice, client=appt.client, period_start=START,
                                    period_end=END, frequency=Frequency.MONTHLY)
    assert (line.cpt_code, line.unit_cost, line.quantity) == ("90847", Decimal("95.00"), 12)


def test_a_latest_session_with_no_fee_falls_back_to_a_priced_service(practice):
    """The demo's sliding-scale clients: their latest session's type has no rate and they
    have no price, so the proposal is the practice's first priced service, not nothing."""
    sliding = f.make_service_type(practice, name="Sliding scale", cpt_code="90834", rate=None)
    f.make_service_type(practice, name="Individual therapy", cpt_code="90837",
                        rate=Decimal("150.00"))
    appt = f.self_pay_session(practice)
    appt.service_type = sliding
    appt.save()
    [line] = estimate_lines_propose(practice=practice, client=appt.client, period_start=START,
                                    period_end=END, frequency=Frequency.WEEKLY)
    assert (line.cpt_code, line.unit_cost, line.quantity) == ("90837", Decimal("150.00"), 52)
    # chosen explicitly, the unpriced type still proposes nothing (the user sends lines)
    assert estimate_lines_propose(practice=practice, client=appt.client, period_start=START,
                                  period_end=END, service_type_id=sliding.pk) == []


def test_no_priced_service_type_proposes_nothing(practice):
    f.make_service_type(practice, rate=None)
    assert estimate_lines_propose(practice=practice, client=_self_pay(practice),
                                  period_start=START, period_end=END) == []


def test_another_practices_service_type_is_refused(practice, other_practice):
    theirs = f.make_service_type(other_practice)
    with pytest.raises(InvalidInput) as exc:
        estimate_lines_propose(practice=practice, client=_self_pay(practice),
                               period_start=START, period_end=END, service_type_id=theirs.pk)
    assert "service_type_id" in exc.value.errors


def test_issue_keeps_the_lines_totals_and_audits(practice):
    f.make_service_type(practice, name="Intake assessment", cpt_code="90791",
                        rate=Decimal("200"))
    client = _self_pay(practice)
    estimate = _issue(practice, client, diagnosis_codes="f411, F33.1")
    estimate.refresh_from_db()
    assert estimate.number.startswith("GFE-")
    assert estimate.status == EstimateStatus.ISSUED
    assert (estimate.period_start, estimate.period_end) == (START, END)
    assert estimate.total == Decimal("6960.00")  # 52 x 130 + 200
    assert estimate.diagnosis_codes == "F41.1, F33.1"
    rows = [(ln.position, ln.cpt_code, ln.description, ln.quantity, ln.unit_cost, ln.total)
            for ln in estimate.lines.all()]
    assert rows == [
        (1, "90834", "Psychotherapy, 45 min", 52, Decimal("130.00"), Decimal("6760.00")),
        (2, "90791", "Intake assessment", 1, Decimal("200.00"), Decimal("200.00")),
    ]
    event = AuditEvent.objects.get(category="estimate", action=AuditAction.CREATE)
    assert (event.client_id_ref, event.object_id) == (client.pk, str(estimate.pk))
    second = _issue(practice, client)
    assert second.number != estimate.number


@pytest.mark.parametrize("billing_type", [BillingType.SELF_PAY, BillingType.NOT_BILLED])
def test_clients_not_billed_to_insurance_can_have_one(practice, billing_type):
    client = f.make_client(practice, billing_type=billing_type)
    assert _issue(practice, client).pk


def test_a_client_billed_to_insurance_is_refused(practice):
    client = f.make_client(practice, billing_type=BillingType.INSURANCE)
    with pytest.raises(InvalidInput) as exc:
        _issue(practice, client)
    assert "billed to insurance" in exc.value.errors["client"]
    assert "Self-pay" in exc.value.errors["client"]
    assert not GoodFaithEstimate.objects.exists()


def test_another_practices_client_is_refused(practice, other_practice):
    with pytest.raises(InvalidInput):
        _issue(practice, _self_pay(other_practice))
    assert not GoodFaithEstimate.objects.exists()


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"end": dt.date(2026, 12, 31)}, "period_end"),
    ({"end": dt.date(2028, 1, 1)}, "period_end"),  # 12 months and a day
    ({"start": "next week"}, "period_start"),
    ({"lines": []}, "lines"),
    ({"lines": [{"cpt_code": "9083", "quantity": 1, "unit_cost": "10"}]}, "lines.0.cpt_code"),
    ({"lines": [{"cpt_code": "90834", "quantity": 0, "unit_cost": "10"}]}, "lines.0.quantity"),
    ({"lines": [{"cpt_code": "90834", "quantity": "two", "unit_cost": "10"}]},
     "lines.0.quantity"),
    ({"lines": [{"cpt_code": "90834", "quantity": 1, "unit_cost": "1.005"}]},
     "lines.0.unit_cost"),
    ({"lines": [{"cpt_code": "90834", "quantity": 1, "unit_cost": "-5"}]}, "lines.0.unit_cost"),
    ({"lines": [{"cpt_code": "90834", "quantity": 1, "unit_cost": "0"}]}, "lines.0.unit_cost"),
    ({"lines": [{"cpt_code": "90834", "quantity": 1, "unit_cost": "10"}] * 21}, "lines"),
    ({"diagnosis_codes": "F41"}, "diagnosis_codes"),
    ({"diagnosis_codes": "not a code"}, "diagnosis_codes"),
])
def test_bad_input_is_refused_and_writes_nothing(practice, kwargs, field):
    client = _self_pay(practice)
    with pytest.raises(InvalidInput) as exc:
        _issue(practice, client, **kwargs)
    assert field in exc.value.errors, exc.value.errors
    assert not GoodFaithEstimate.objects.exists()
    assert not AuditEvent.objects.filter(category="estimate").exists()


def test_void_keeps_the_estimate_and_refuses_twice(practice):
    estimate = _issue(practice, _self_pay(practice))
    estimate_void(estimate=estimate, ctx=f.ctx_for(practice=practice))
    estimate.refresh_from_db()
    assert estimate.status == EstimateStatus.VOID
    assert AuditEvent.objects.filter(category="estimate", action=AuditAction.UPDATE).exists()
    with pytest.raises(Conflict):
        estimate_void(estimate=estimate, ctx=f.ctx_for(practice=practice))
    with pytest.raises(Conflict):
        estimate_email(estimate=estimate, ctx=f.ctx_for(practice=practice))


def test_email_attaches_the_pdf(practice):
    f.make_profile(practice)
    client = _self_pay(practice, email="jordan@example.com")
    estimate = _issue(practice, client)
    with f.committed():
        email = estimate_email(estimate=estimate, ctx=f.ctx_for(practice=practice))
    assert (email.to, email.object_type, email.object_id, email.client_id) == (
        "jordan@example.com", "GoodFaithEstimate", str(estimate.pk), client.pk)
    assert email.subject == f"Your good-faith estimate {estimate.number}"
    [attachment] = email.attachments.all()
    assert attachment.filename == f"Good-faith estimate {estimate.number}.pdf"
    assert bytes(attachment.content).startswith(b"%PDF-")
    assert "$400" in email.text_body


def test_email_needs_an_address(practice):
    estimate = _issue(practice, _self_pay(practice, email=""))
    with pytest.raises(InvalidInput) as exc:
        estimate_email(estimate=estimate, ctx=f.ctx_for(practice=practice))
    assert "email" in exc.value.errors
    assert not SentEmail.objects.exists()


def test_a_period_in_the_last_year_there_is_does_not_crash(practice):
    with pytest.raises(InvalidInput) as exc:
        _issue(practice, _self_pay(practice), start=dt.date(9999, 1, 1),
               end=dt.date(9998, 1, 1))
    assert "period_end" in exc.value.errors
    assert year_after(dt.date(9999, 6, 1)) == dt.date.max
    assert year_after(dt.date(2028, 2, 29)) == dt.date(2029, 3, 1)
