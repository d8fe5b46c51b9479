"""Pricing rules and the charge that billing will use."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from oasys.clients.errors import error_messages
from oasys.clients.models import PricingRule
from oasys.clients.pricing import charge_for
from oasys.clients.selectors import pricing_rules_by_client_service
from oasys.clients.services import pricing_rule_create, pricing_rule_delete, pricing_rule_update
from oasys.practice.models import ServiceType


def test_charge_for_without_a_rule_uses_the_service_type():
    st = ServiceType(rate=Decimal("150"), cpt_code="90837")
    assert charge_for(service_type=st, rule=None) == (Decimal("150.00"), "90837")


def test_rule_price_and_cpt_beat_the_service_type():
    st = ServiceType(rate=Decimal("150.00"), cpt_code="90837")
    rule = PricingRule(price=Decimal("120.00"), cpt_code="90834")
    assert charge_for(service_type=st, rule=rule) == (Decimal("120.00"), "90834")


def test_rule_with_only_a_cpt_keeps_the_service_rate():
    st = ServiceType(rate=Decimal("150.00"), cpt_code="90837")
    assert charge_for(service_type=st, rule=PricingRule(price=None, cpt_code="90834")) == (
        Decimal("150.00"),
        "90834",
    )


def test_rule_with_only_a_price_keeps_the_service_cpt():
    st = ServiceType(rate=Decimal("150.00"), cpt_code="90837")
    assert charge_for(service_type=st, rule=PricingRule(price=Decimal("80"), cpt_code="")) == (
        Decimal("80.00"),
        "90837",
    )


def test_zero_rule_means_not_billed_and_is_not_missing():
    st = ServiceType(rate=Decimal("150.00"), cpt_code="90837")
    amount, _ = charge_for(service_type=st, rule=PricingRule(price=Decimal("0"), cpt_code=""))
    assert amount == Decimal("0.00") and amount is not None


def test_missing_cpt_everywhere_is_empty():
    st = ServiceType(rate=Decimal("0"), cpt_code="")
    assert charge_for(service_type=st, rule=None) == (Decimal("0.00"), "")


pytestmark_db = pytest.mark.django_db


def rule_errors(client, ctx, **data) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        pricing_rule_create(client=client, ctx=ctx, data=data)
    return error_messages(info.value)


@pytestmark_db
def test_create_with_price_string_and_cpt(cl_client, cl_ctx, cl_service_type):
    rule = pricing_rule_create(
        client=cl_client,
        ctx=cl_ctx,
        data={"service_type": cl_service_type.pk, "price": "$1,120.5", "cpt_code": "90834"},
    )
    rule.refresh_from_db()
    assert rule.price == Decimal("1120.50") and rule.cpt_code == "90834"


@pytestmark_db
def test_zero_price_is_allowed(cl_client, cl_ctx, cl_service_type):
    rule = pricing_rule_create(
        client=cl_client, ctx=cl_ctx, data={"service_type": cl_service_type, "price": Decimal("0")}
    )
    assert rule.price == Decimal("0")


@pytestmark_db
def test_needs_a_price_or_a_cpt(cl_client, cl_ctx, cl_service_type):
    errors = rule_errors(cl_client, cl_ctx, service_type=cl_service_type, price="", cpt_code="")
    assert "price" in errors and "CPT" in errors["price"]


@pytestmark_db
@pytest.mark.parametrize("price", ["-1", "abc", "12.345", "1e10", "NaN"])
def test_bad_prices_are_refused(cl_client, cl_ctx, cl_service_type, price):
    assert set(rule_errors(cl_client, cl_ctx, service_type=cl_service_type, price=price)) == {
        "price"
    }


@pytestmark_db
@pytest.mark.parametrize("cpt", ["9083", "908370", "W1234", "90-83", "99999"])
def test_bad_cpt_codes_are_refused(cl_client, cl_ctx, cl_service_type, cpt):
    assert set(rule_errors(cl_client, cl_ctx, service_type=cl_service_type, cpt_code=cpt)) == {
        "cpt_code"
    }


@pytestmark_db
def test_one_rule_per_service_type(cl_client, cl_ctx, cl_service_type):
    pricing_rule_create(
        client=cl_client, ctx=cl_ctx, data={"service_type": cl_service_type, "price": "100"}
    )
    errors = rule_errors(cl_client, cl_ctx, service_type=cl_service_type, price="90")
    assert "already has a rule" in errors["service_type"]


@pytestmark_db
def test_service_type_of_another_practice_is_refused(cl_client, cl_ctx, cl_other_service_type):
    errors = rule_errors(cl_client, cl_ctx, service_type=cl_other_service_type.pk, price="90")
    assert set(errors) == {"service_type"}
    errors = rule_errors(cl_client, cl_ctx, service_type=cl_other_service_type, price="90")
    assert set(errors) == {"service_type"}


@pytestmark_db
def test_update_and_delete(cl_client, cl_ctx, cl_service_type, cl_service_type_2):
    rule = pricing_rule_create(
        client=cl_client, ctx=cl_ctx, data={"service_type": cl_service_type, "price": "100"}
    )
    pricing_rule_update(rule=rule, ctx=cl_ctx, data={"price": None, "cpt_code": "90834"})
    rule.refresh_from_db()
    assert rule.price is None and rule.cpt_code == "90834"
    pricing_rule_create(
        client=cl_client, ctx=cl_ctx, data={"service_type": cl_service_type_2, "price": "10"}
    )
    with pytest.raises(ValidationError):  # moving onto a type that already has a rule
        pricing_rule_update(rule=rule, ctx=cl_ctx, data={"service_type": cl_service_type_2})
    pricing_rule_delete(rule=rule, ctx=cl_ctx)
    assert PricingRule.objects.filter(client=cl_client).count() == 1


@pytestmark_db
def test_rules_by_client_service_is_one_query_and_practice_scoped(
    cl_client, cl_ctx, cl_service_type, cl_practice, cl_other_practice, django_assert_num_queries
):
    rule = pricing_rule_create(
        client=cl_client, ctx=cl_ctx, data={"service_type": cl_service_type, "price": "100"}
    )
    with django_assert_num_queries(1):
        rules = pricing_rules_by_client_service(cl_practice)
    assert rules == {(cl_client.pk, cl_service_type.pk): rule}
    assert pricing_rules_by_client_service(cl_other_practice) == {}
    assert pricing_rules_by_client_service(cl_practice, client_ids=[]) == {}
