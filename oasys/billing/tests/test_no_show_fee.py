"""No-shows in Bill Sessions under the service type's no-show fee: none set → the session's
usual charge (as before); an amount → that fee; $0 → shown as not billable with the reason,
never invoiced. And the practice's grouping: one invoice per session or per client per run."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from oasys.appointments.models import AppointmentStatus
from oasys.billing.reasons import MESSAGES
from oasys.billing.services import BillingResult, _invoice_group, billing_submit
from oasys.clients.pricing import charge_for
from oasys.invoices.models import Invoice, InvoiceGrouping, InvoiceLine
from oasys.invoices.services import (
    SessionCharge,
    invoice_create_for_session,
    invoice_settings_update,
)
from oasys.invoices.tests.helpers import invoice_opened
from oasys.ledger.selectors import invoice_figures_one
from oasys.practice.models import ServiceType

from . import factories as f
from .test_readiness import item_for

pytestmark = pytest.mark.django_db


def _no_show(practice, fee, **kw):
    st = f.make_service_type(practice, no_show_fee=None if fee is None else Decimal(fee))
    return f.self_pay_session(practice, status=AppointmentStatus.NO_SHOW, service_type=st, **kw)


def test_no_fee_set_bills_the_usual_charge(practice):
    appt = _no_show(practice, None)
    item = item_for(practice, appt)
    assert item.ready and item.charge == Decimal("130.00")


def test_a_fee_beats_the_rate_and_the_clients_price(practice):
    appt = _no_show(practice, "45")
    f.make_pricing_rule(appt.client, appt.service_type, price=Decimal("80"))
    item = item_for(practice, appt)
    assert item.ready and item.charge == Decimal("45.00")
    result = billing_submit(practice=practice, appointment_ids=[appt.pk],
                            ctx=f.ctx_for(practice=practice))
    assert [i.total for i in result.invoices] == [Decimal("45.00")]
    # an attended session of the same service keeps the client's price
    attended = f.make_appointment(practice, client=appt.client, clinician=appt.clinician,
                                  service_type=appt.service_type,
                                  status=AppointmentStatus.COMPLETED, days_ago=5)
    assert item_for(practice, attended).charge == Decimal("80.00")


def test_zero_fee_is_shown_not_billable_and_never_invoiced(practice):
    appt = _no_show(practice, "0")
    item = item_for(practice, appt)
    assert item is not None and not item.ready
    assert [r.code for r in item.reasons] == ["no_show_fee_zero"]
    assert item.reasons[0].message == MESSAGES["no_show_fee_zero"][0]
    result = billing_submit(practice=practice, appointment_ids=[appt.pk],
                            ctx=f.ctx_for(practice=practice))
    assert result.invoices == [] and result.skipped[0][0] == appt.pk
    assert "No-show fee is $0" in result.skipped[0][1]
    assert not Invoice.objects.exists() and not InvoiceLine.objects.exists()
    # an attended session of the same service is billed at its rate as usual
    attended = f.make_appointment(practice, client=appt.client, clinician=appt.clinician,
                                  service_type=appt.service_type,
                                  status=AppointmentStatus.COMPLETED, days_ago=5)
    assert item_for(practice, attended).ready


def test_zero_fee_applies_to_an_insured_clients_no_show(practice):
    s = f.ready_claim_session(practice)
    st = s.appointment.service_type
    st.no_show_fee = Decimal("0")
    st.save()
    s.appointment.status = AppointmentStatus.NO_SHOW
    s.appointment.save()
    item = item_for(practice, s.appointment)
    assert [r.code for r in item.reasons] == ["no_show_fee_zero"]


def test_incomplete_tab_shows_the_reason_with_a_link(practice, owner_client):
    appt = _no_show(practice, "0")
    html = owner_client.get(reverse("billing:queue"), {"tab": "incomplete"}).content.decode()
    assert 'data-reason="no_show_fee_zero"' in html and "No-show fee is $0" in html
    assert reverse("practice:service_type_edit", args=[appt.service_type_id]) in html


def test_charge_for_a_no_show():
    st = ServiceType(rate=Decimal("130"), cpt_code="90834", no_show_fee=None)
    assert charge_for(service_type=st, rule=None, no_show=True) == (Decimal("130.00"), "90834")
    st.no_show_fee = Decimal("25")
    assert charge_for(service_type=st, rule=None, no_show=True) == (Decimal("25.00"), "90834")
    assert charge_for(service_type=st, rule=None) == (Decimal("130.00"), "90834")


# --- the practice's grouping setting --------------------------------------------------------
def test_one_invoice_per_client_per_run_when_the_practice_says_so(practice):
    first = f.self_pay_session(practice, days_ago=3)
    second = f.make_appointment(practice, client=first.client, clinician=first.clinician,
                                service_type=first.service_type, days_ago=6)
    missed = _no_show(practice, "40", days_ago=2)
    missed.client = first.client
    missed.save()
    other = f.self_pay_session(practice, days_ago=4)
    ids = [first.pk, second.pk, missed.pk, other.pk]
    invoice_settings_update(practice=practice, data={"grouping": InvoiceGrouping.PER_CLIENT},
                            ctx=f.ctx_for(practice=practice))
    result = billing_submit(practice=practice, appointment_ids=ids,
                            ctx=f.ctx_for(practice=practice))
    assert len(result.invoices) == 2 and result.skipped == []
    by_client = {i.client_id: i for i in result.invoices}
    grouped = by_client[first.client_id]
    assert sorted(grouped.lines.values_list("appointment_id", flat=True)) == sorted(
        [first.pk, second.pk, missed.pk])
    assert grouped.total == Decimal("300.00")  # 130 + 130 + the 40 no-show fee
    assert invoice_figures_one(practice=practice, invoice=invoice_opened(grouped)).balance \
        == Decimal("300.00")
    assert by_client[other.client_id].lines.count() == 1
    # each session invoiced once: billing them again makes nothing
    again = billing_submit(practice=practice, appointment_ids=ids,
                           ctx=f.ctx_for(practice=practice))
    assert again.invoices == [] and len(again.skipped) == 4
    assert InvoiceLine.objects.count() == 4


def test_per_item_by_default(practice):
    first = f.self_pay_session(practice, days_ago=3)
    second = f.make_appointment(practice, client=first.client, clinician=first.clinician,
                                service_type=first.service_type, days_ago=6)
    result = billing_submit(practice=practice, appointment_ids=[first.pk, second.pk],
                            ctx=f.ctx_for(practice=practice))
    assert len(result.invoices) == 2


def test_a_group_raced_by_another_click_still_bills_the_rest_once(practice):
    first = f.self_pay_session(practice, days_ago=3)
    second = f.make_appointment(practice, client=first.client, clinician=first.clinician,
                                service_type=first.service_type, days_ago=6)
    invoice_create_for_session(practice=practice, appointment_id=second.pk,
                               amount=Decimal("130"), cpt="90834",
                               ctx=f.ctx_for(practice=practice))
    result = BillingResult()
    _invoice_group(practice=practice, ctx=f.ctx_for(practice=practice), actor=None,
                   result=result, group=[SessionCharge(first.pk, Decimal("130"), "90834"),
                                         SessionCharge(second.pk, Decimal("130"), "90834")])
    assert [list(i.lines.values_list("appointment_id", flat=True)) for i in result.invoices] \
        == [[first.pk]]
    assert result.skipped == [(second.pk, "already invoiced")]
    assert InvoiceLine.objects.filter(appointment=second).count() == 1
