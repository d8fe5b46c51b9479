"""Object shapes: Stripe's own example object of each resource (fixtures3.json, from
stripe/openapi, MIT) is the template every object starts from, so key sets match Stripe's.
Template values that are Stripe's placeholder examples are reset to what a new object of
that kind carries."""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures3.json"


@cache
def _resources() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]


def template(kind: str) -> dict[str, Any]:
    obj = copy.deepcopy(_resources()[kind])
    obj.update(copy.deepcopy(RESETS.get(kind, {})))
    return obj


def keys_of(kind: str) -> set[str]:
    return set(_resources()[kind])


ADDRESS = {"city": None, "country": None, "line1": None, "line2": None, "postal_code": None,
           "state": None}

RESETS: dict[str, dict[str, Any]] = {
    "customer": {"discount": None, "currency": None, "shipping": None, "description": None,
                 "email": None, "name": None, "phone": None, "address": None,
                 "invoice_settings": {"custom_fields": None, "default_payment_method": None,
                                      "footer": None, "rendering_options": None},
                 "metadata": {}},
    "payment_method": {"metadata": {}, "customer": None,
                       "billing_details": {"address": dict(ADDRESS), "email": None,
                                           "name": None, "phone": None, "tax_id": None}},
    "setup_intent": {"last_setup_error": None, "next_action": None, "client_secret": None,
                     "payment_method_configuration_details": None, "payment_method_options":
                     {"card": {"mandate_options": None, "network": None,
                               "request_three_d_secure": "automatic"}}},
    "payment_intent": {"amount_details": {"tip": {}}, "automatic_payment_methods": None,
                       "canceled_at": None, "last_payment_error": None, "next_action": None,
                       "payment_method_configuration_details": None, "processing": None,
                       "shipping": None, "transfer_data": None, "payment_method_options":
                       {"card": {"installments": None, "mandate_options": None,
                                 "network": None, "request_three_d_secure": "automatic"}},
                       "managed_payments": None, "metadata": {}},
    "charge": {"source": None, "shipping": None, "transfer_data": None, "metadata": {},
               "description": None, "fraud_details": {}, "billing_details":
               {"address": dict(ADDRESS), "email": None, "name": None, "phone": None,
                "tax_id": None}},
    "invoice": {"from_invoice": None, "last_finalization_error": None, "parent": None,
                "shipping_cost": None, "shipping_details": None, "webhooks_delivered_at": None,
                "amount_overpaid": 0, "next_payment_attempt": None, "effective_at": None,
                "due_date": None, "customer_shipping": None, "customer_address": None,
                "total_pretax_credit_amounts": [], "total_taxes": [],
                "payment_settings": {"default_mandate": None, "payment_method_options": None,
                                     "payment_method_types": None},
                "rendering": {"amount_tax_display": None, "pdf": {"page_size": "auto"},
                              "template": None, "template_version": None},
                "metadata": {}},
    "invoiceitem": {"parent": None, "net_amount": 0, "quantity_decimal": "1", "metadata": {}},
    "line_item": {"pretax_credit_amounts": [], "taxes": [], "metadata": {},
                  "quantity_decimal": "1"},
    "checkout.session": {
        "after_expiration": None, "automatic_tax": {"enabled": False, "liability": None,
                                                    "status": None, "provider": None},
        "consent": None, "consent_collection": None,
        "custom_text": {"after_submit": None, "shipping_address": None, "submit": None,
                        "terms_of_service_acceptance": None},
        "customer_details": None, "invoice_creation": None, "payment_intent": None,
        "payment_method_configuration_details": None, "payment_method_collection": "always",
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_status": "no_payment_required", "saved_payment_method_options": None,
        "shipping_address_collection": None, "shipping_cost": None, "total_details": None,
        "adaptive_pricing": None, "collected_information": None, "permissions": None,
        "wallet_options": None, "currency_conversion": None, "managed_payments": None,
        "ui_mode": "hosted", "metadata": {}},
    "refund": {"destination_details": {"card": {"reference": None, "reference_status":
                                                "pending", "reference_type": "acquirer_"
                                                "reference_number", "type": "refund"},
                                       "type": "card"}, "metadata": {}},
    "payout": {"trace_id": {"status": "pending", "value": None}, "metadata": {},
               "description": "STRIPE PAYOUT"},
    "event": {"request": {"id": None, "idempotency_key": None}},
    "webhook_endpoint": {"metadata": {}, "description": None},
}
