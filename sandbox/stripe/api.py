"""The Stripe API (v1) as the stand-in answers it: routing, parameters, errors, lists,
expansion, idempotency, `Stripe-Account` scoping, and every resource the product calls.

Independent of the socket: `Api.handle(method, target, headers, body)` returns a `Reply`.
Amounts are integer cents, as in Stripe.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from sandbox.stripe import cards
from sandbox.stripe.shapes import ADDRESS, template
from sandbox.stripe.store import Store, new_id, public

API_VERSION = "2026-10-28.endive"  # stripe-python 16.1.0's _ApiVersion.CURRENT
IDEMPOTENCY_WINDOW = 24 * 3600
DAY = 86400
PAYOUT_DELAY_DAYS = 2  # charges become available two days after they are made
ARRIVAL_DAYS = 2  # and a payout of them arrives two days after it is made
PLATFORM = "acct_standinplatform"
RESTRICTED_TAX_ID = "000000000"
PENDING_TAX_ID = "111111111"
ONBOARDING_DUE = ["business_profile.name", "company.tax_id", "external_account",
                  "tos_acceptance.date", "tos_acceptance.ip"]


class Reply:
    def __init__(self, status: int, body: Any = None, *, headers: dict[str, str] | None = None,
                 raw: bytes | str | None = None, content_type: str = "application/json") -> None:
        self.status = status
        self.body = body
        self.headers = headers or {}
        self.raw = raw
        self.content_type = content_type
        self.saved = False  # an error answer that idempotency remembers (card errors)

    def payload(self) -> bytes:
        if self.raw is not None:
            return self.raw if isinstance(self.raw, bytes) else self.raw.encode()
        return json.dumps(self.body, indent=2).encode()


class StripeError(Exception):
    """An error in Stripe's envelope; `saved` says whether idempotency remembers it."""

    def __init__(self, status: int, type_: str, message: str, *, code: str | None = None,
                 param: str | None = None, decline_code: str | None = None,
                 extra: dict | None = None, saved: bool = False) -> None:
        super().__init__(message)
        self.status = status
        body: dict[str, Any] = {"type": type_, "message": message}
        if code:
            body["code"] = code
            body["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
        if param:
            body["param"] = param
        if decline_code:
            body["decline_code"] = decline_code
        body.update(extra or {})
        self.body = {"error": body}
        self.saved = saved


def invalid(message: str, *, param: str | None = None, code: str | None = None,
            status: int = 400) -> StripeError:
    return StripeError(status, "invalid_request_error", message, param=param, code=code)


def missing(kind: str, obj_id: str, param: str = "id") -> StripeError:
    return StripeError(404, "invalid_request_error", f"No such {kind}: '{obj_id}'",
                       code="resource_missing", param=param)


def money(cents: int) -> str:
    return f"${cents / 100:,.2f}"


# -- form decoding (the SDK's bracket notation) ---------------------------------------------
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


def decode_form(text: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for key, value in parse_qsl(text, keep_blank_values=True):
        m = _KEY.match(key)
        if not m:
            raise invalid(f"Invalid parameter name: {key}", param=key)
        path = [m.group(1), *re.findall(r"\[([^\[\]]*)\]", m.group(2))]
        node = root
        for i, part in enumerate(path):
            if part == "":
                part = str(len(node))
            if i == len(path) - 1:
                node[part] = value
            else:
                nxt = node.setdefault(part, {})
                if not isinstance(nxt, dict):
                    raise invalid(f"Invalid value for {path[0]}", param=path[0])
                node = nxt
    return _listify(root)


def _listify(node: Any) -> Any:
    if isinstance(node, dict):
        out = {k: _listify(v) for k, v in node.items()}
        if out and all(k.isdigit() for k in out):
            return [out[k] for k in sorted(out, key=int)]
        return out
    return node


def as_int(value: Any, param: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise invalid(f"Invalid integer: {value}", param=param) from None


def as_bool(value: Any, param: str) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "True", "1"):
        return True
    if value in ("false", "False", "0", ""):
        return False
    raise invalid(f"Invalid boolean: {value}", param=param)


def as_list(value: Any) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def metadata_merge(current: dict, given: Any) -> dict:
    """Stripe's metadata update: keys set, empty strings unset, '' for the whole clears."""
    if given == "":
        return {}
    if not isinstance(given, dict):
        raise invalid("Invalid hash", param="metadata")
    out = dict(current)
    for k, v in given.items():
        if v == "":
            out.pop(k, None)
        else:
            out[k] = str(v)
    return out


@dataclass
class Ctx:
    method: str
    path: str
    account: str  # '' is the platform
    params: dict[str, Any]
    now: int
    request_id: str
    idempotency_key: str | None = None
    events: list[dict] = field(default_factory=list)

    @property
    def expand(self) -> list[str]:
        return [str(e) for e in as_list(self.params.get("expand"))]


Route = tuple[str, re.Pattern, Callable, frozenset[str] | None]


class Api:
    """Everything behind `/v1`. `emit` hands events to the webhook deliverer."""

    def __init__(self, store: Store, *, api_key: str | None = None,
                 base_url: str = "http://127.0.0.1:12111",
                 on_event: Callable[[dict], None] | None = None,
                 targets: Callable[[dict], list] | None = None) -> None:
        self.store = store
        self.api_key = api_key
        self.base_url = base_url
        self.on_event = on_event or (lambda event: None)
        self.targets = targets or (lambda event: [])
        self.routes: list[Route] = []
        self._register()

    # -- entry ------------------------------------------------------------------------------
    def authorize(self, headers: Any) -> None:
        value = (headers.get("Authorization") or "").strip()
        key = ""
        if value.lower().startswith("bearer "):
            key = value[7:].strip()
        elif value.lower().startswith("basic "):
            try:
                key = base64.b64decode(value[6:]).decode().split(":", 1)[0]
            except ValueError:
                key = ""
        if not key:
            raise StripeError(401, "invalid_request_error",
                              "You did not provide an API key. You need to provide your API "
                              "key in the Authorization header, using Bearer auth (e.g. "
                              "'Authorization: Bearer YOUR_SECRET_KEY').")
        good = key == self.api_key if self.api_key else key.startswith(("sk_test_", "rk_test_"))
        if not good:
            shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:]
            raise StripeError(401, "invalid_request_error",
                              f"Invalid API Key provided: {shown}", code="api_key_invalid")

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        request_id = new_id("req_", 14)
        base_headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        try:
            self.authorize(headers)
            params = decode_form(url.query) if method in ("GET", "DELETE") else {}
            if method == "POST":
                params = decode_form(body.decode("utf-8", "replace"))
            account = (headers.get("Stripe-Account") or "").strip()
            with self.store.lock:
                now = self.store.now()
                self.tick(now)
                if account:
                    acct = self.store.get(account, "")
                    if acct is None or acct.get("_deleted"):
                        raise StripeError(
                            403, "invalid_request_error",
                            "The provided key does not have access to account "
                            f"'{account}' (or that account does not exist). Application "
                            "access may have been revoked.", code="account_invalid")
                ctx = Ctx(method, path, account, params, now, request_id,
                          headers.get("Idempotency-Key") if method == "POST" else None)
                if ctx.idempotency_key:
                    reply = self._idempotent(ctx)
                else:
                    reply = self._run(ctx)
        except StripeError as exc:
            reply = Reply(exc.status, exc.body)
        reply.headers = {**base_headers, **reply.headers}
        return reply

    def _run(self, ctx: Ctx) -> Reply:
        try:
            body = self.route(ctx)
            reply = Reply(200, body)
        except StripeError as exc:
            reply = Reply(exc.status, exc.body)
            reply.saved = exc.saved
        for event in ctx.events:
            self.on_event(event)
        return reply

    def _idempotent(self, ctx: Ctx) -> Reply:
        key = ctx.idempotency_key or ""
        if len(key) > 255:
            raise invalid("Idempotency-Key must be at most 255 characters", param="Idempotency-Key")
        request = f"{ctx.method} {ctx.path}"
        params = json.dumps(ctx.params, sort_keys=True)
        row = self.store.one("SELECT * FROM idempotency WHERE scope = ? AND key = ?",
                             ctx.account, key)
        if row is not None and row["created"] + IDEMPOTENCY_WINDOW > ctx.now:
            if row["request"] != request or row["params"] != params:
                raise StripeError(
                    400, "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    "they were first used with. Try using a key other than "
                    f"'{key}' if you meant to execute a different request.")
            return Reply(row["status"], json.loads(row["response"]),
                         headers={"Idempotent-Replayed": "true"})
        ctx.events = []
        reply = self._run(ctx)
        if reply.status == 200 or reply.saved:
            self.store.x("INSERT OR REPLACE INTO idempotency (scope, key, request, params, "
                         "status, response, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         ctx.account, key, request, params, reply.status,
                         json.dumps(reply.body), ctx.now)
        return reply

    # -- routing ----------------------------------------------------------------------------
    def add(self, method: str, pattern: str, fn: Callable, allowed: str | None = None) -> None:
        keys = frozenset((allowed or "").split()) | {"expand"} if allowed is not None else None
        self.routes.append((method, re.compile("^/v1" + pattern + "$"), fn, keys))

    def route(self, ctx: Ctx) -> Any:
        for method, pattern, fn, allowed in self.routes:
            m = pattern.match(ctx.path)
            if m and method == ctx.method:
                if allowed is not None:
                    for name in ctx.params:
                        if name not in allowed:
                            raise invalid(f"Received unknown parameter: {name}", param=name,
                                          code="parameter_unknown")
                return fn(ctx, *m.groups())
        raise invalid(f"Unrecognized request URL ({ctx.method}: {ctx.path}). Please see "
                      "https://stripe.com/docs or we can help at https://support.stripe.com/.",
                      status=404)

    def _register(self) -> None:
        a = self.add
        lst = "limit starting_after ending_before created"
        a("POST", "/accounts", self.account_create, "type controller country email "
          "business_type business_profile capabilities metadata settings tos_acceptance "
          "company individual default_currency external_account")
        a("GET", "/accounts", self.account_list, lst)
        a("GET", "/account", self.account_self, "")
        a("GET", r"/accounts/(acct_\w+)", self.account_get, "")
        a("POST", r"/accounts/(acct_\w+)", self.account_update, "email business_type "
          "business_profile capabilities metadata settings tos_acceptance company individual "
          "default_currency external_account")
        a("DELETE", r"/accounts/(acct_\w+)", self.account_delete, "")
        a("POST", "/account_links", self.account_link_create, "account refresh_url return_url "
          "type collect collection_options")
        a("POST", "/customers", self.customer_create, "email name phone description metadata "
          "address payment_method invoice_settings preferred_locales shipping tax_exempt "
          "invoice_prefix balance")
        a("GET", "/customers", self.customer_list, lst + " email")
        a("GET", r"/customers/(cus_\w+)", self.customer_get, "")
        a("POST", r"/customers/(cus_\w+)", self.customer_update, "email name phone "
          "description metadata address invoice_settings preferred_locales shipping "
          "tax_exempt balance")
        a("DELETE", r"/customers/(cus_\w+)", self.customer_delete, "")
        a("GET", r"/customers/(cus_\w+)/payment_methods", self.customer_pms, lst + " type "
          "allow_redisplay")
        a("GET", r"/customers/(cus_\w+)/payment_methods/(\w+)", self.customer_pm_get, "")
        a("GET", "/payment_methods", self.pm_list, lst + " customer type")
        a("GET", r"/payment_methods/(\w+)", self.pm_get, "")
        a("POST", r"/payment_methods/(\w+)", self.pm_update, "metadata billing_details "
          "allow_redisplay card")
        a("POST", r"/payment_methods/(\w+)/attach", self.pm_attach, "customer")
        a("POST", r"/payment_methods/(\w+)/detach", self.pm_detach, "")
        a("POST", "/checkout/sessions", self.cs_create, "mode customer success_url "
          "cancel_url return_url currency payment_method_types metadata setup_intent_data "
          "client_reference_id customer_email locale ui_mode expires_at "
          "billing_address_collection consent_collection custom_text payment_method_options "
          "customer_creation")
        a("GET", "/checkout/sessions", self.cs_list, lst + " customer status setup_intent "
          "payment_intent")
        a("GET", r"/checkout/sessions/(cs_\w+)", self.cs_get, "")
        a("POST", r"/checkout/sessions/(cs_\w+)/expire", self.cs_expire, "")
        si = ("customer payment_method confirm usage payment_method_types metadata "
              "description on_behalf_of automatic_payment_methods return_url mandate_data "
              "payment_method_options single_use flow_directions attach_to_self "
              "use_stripe_sdk")
        a("POST", "/setup_intents", self.si_create, si)
        a("GET", "/setup_intents", self.si_list, lst + " customer payment_method")
        a("GET", r"/setup_intents/(seti_\w+)", self.si_get, "client_secret")
        a("POST", r"/setup_intents/(seti_\w+)", self.si_update, "metadata description "
          "payment_method customer")
        a("POST", r"/setup_intents/(seti_\w+)/confirm", self.si_confirm, "payment_method "
          "return_url mandate_data use_stripe_sdk")
        a("POST", r"/setup_intents/(seti_\w+)/cancel", self.si_cancel, "cancellation_reason")
        pi = ("amount currency customer payment_method confirm off_session description "
              "metadata receipt_email setup_future_usage statement_descriptor "
              "statement_descriptor_suffix payment_method_types capture_method "
              "error_on_requires_action automatic_payment_methods mandate return_url "
              "application_fee_amount transfer_data on_behalf_of payment_method_options "
              "confirmation_method use_stripe_sdk shipping transfer_group")
        a("POST", "/payment_intents", self.pi_create, pi)
        a("GET", "/payment_intents", self.pi_list, lst + " customer")
        a("GET", r"/payment_intents/(pi_\w+)", self.pi_get, "client_secret")
        a("POST", r"/payment_intents/(pi_\w+)", self.pi_update, "amount currency customer "
          "payment_method description metadata receipt_email setup_future_usage")
        a("POST", r"/payment_intents/(pi_\w+)/confirm", self.pi_confirm_route, "payment_method "
          "off_session return_url mandate error_on_requires_action setup_future_usage "
          "use_stripe_sdk receipt_email")
        a("POST", r"/payment_intents/(pi_\w+)/cancel", self.pi_cancel, "cancellation_reason")
        a("GET", "/charges", self.charge_list, lst + " customer payment_intent")
        a("GET", r"/charges/(ch_\w+)", self.charge_get, "")
        a("POST", "/refunds", self.refund_create, "charge payment_intent amount reason "
          "metadata instructions_email origin refund_application_fee reverse_transfer")
        a("GET", "/refunds", self.refund_list, lst + " charge payment_intent")
        a("GET", r"/refunds/(re_\w+)", self.refund_get, "")
        inv = ("customer auto_advance collection_method days_until_due due_date description "
               "metadata currency default_payment_method footer pending_invoice_items_behavior "
               "statement_descriptor custom_fields account_tax_ids payment_settings rendering "
               "automatic_tax number on_behalf_of application_fee_amount transfer_data issuer "
               "shipping_cost shipping_details discounts effective_at default_tax_rates")
        a("POST", "/invoices", self.invoice_create, inv)
        a("GET", "/invoices", self.invoice_list, lst + " customer status collection_method "
          "due_date subscription")
        a("GET", r"/invoices/(in_\w+)", self.invoice_get, "")
        a("POST", r"/invoices/(in_\w+)", self.invoice_update, inv.replace("customer ", "")
          .replace("currency ", "").replace("pending_invoice_items_behavior ", ""))
        a("DELETE", r"/invoices/(in_\w+)", self.invoice_delete, "")
        a("GET", r"/invoices/(in_\w+)/lines", self.invoice_lines, lst)
        a("POST", r"/invoices/(in_\w+)/finalize", self.invoice_finalize, "auto_advance")
        a("POST", r"/invoices/(in_\w+)/pay", self.invoice_pay, "payment_method off_session "
          "paid_out_of_band forgive mandate source")
        a("POST", r"/invoices/(in_\w+)/void", self.invoice_void, "")
        a("POST", r"/invoices/(in_\w+)/mark_uncollectible", self.invoice_uncollectible, "")
        a("POST", r"/invoices/(in_\w+)/send", self.invoice_send, "")
        ii = ("customer amount currency description invoice metadata quantity "
              "unit_amount_decimal period discountable tax_rates subscription tax_behavior "
              "tax_code")
        a("POST", "/invoiceitems", self.ii_create, ii)
        a("GET", "/invoiceitems", self.ii_list, lst + " customer invoice pending")
        a("GET", r"/invoiceitems/(ii_\w+)", self.ii_get, "")
        a("POST", r"/invoiceitems/(ii_\w+)", self.ii_update, "amount description metadata "
          "quantity unit_amount_decimal period discountable tax_rates")
        a("DELETE", r"/invoiceitems/(ii_\w+)", self.ii_delete, "")
        a("GET", "/payouts", self.payout_list, lst + " status arrival_date destination")
        a("GET", r"/payouts/(po_\w+)", self.payout_get, "")
        a("GET", "/balance", self.balance_get, "")
        a("GET", "/balance_transactions", self.txn_list, lst + " payout type source currency")
        a("GET", r"/balance_transactions/(txn_\w+)", self.txn_get, "")
        a("GET", "/events", self.event_list, lst + " type types delivery_success")
        a("GET", r"/events/(evt_\w+)", self.event_get, "")
        we = "url enabled_events api_version connect description metadata"
        a("POST", "/webhook_endpoints", self.we_create, we)
        a("GET", "/webhook_endpoints", self.we_list, lst)
        a("GET", r"/webhook_endpoints/(we_\w+)", self.we_get, "")
        a("POST", r"/webhook_endpoints/(we_\w+)", self.we_update, "url enabled_events "
          "description metadata disabled")
        a("DELETE", r"/webhook_endpoints/(we_\w+)", self.we_delete, "")

    # -- output -----------------------------------------------------------------------------
    def render(self, obj: dict, account: str, expand: list[str] | None = None) -> dict:
        out = public(json.loads(json.dumps(obj)))
        paths = expand or []
        if out.get("object") == "invoice" and any(p.split(".")[0] == "payments"
                                                   for p in paths):
            payments = public(obj.get("_payments", []))
            out["payments"] = {"object": "list", "data": payments, "has_more": False,
                               "url": f"/v1/invoice_payments?invoice={obj['id']}"}
        for path in paths:
            self._expand(out, path.split("."), account)
        return out

    def _expand(self, node: Any, parts: list[str], account: str) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if node.get("object") == "list" and head == "data":
            for item in node["data"]:
                self._expand(item, rest, account)
            return
        if head not in node:
            return
        value = node[head]
        if isinstance(value, str):
            found = self.store.get(value, account)
            if found is None and value.startswith("acct_"):
                found = self.store.get(value, "")
            if found is not None:
                value = self.render(found, account)
                node[head] = value
        self._expand(value, rest, account)

    def out(self, ctx: Ctx, obj: dict) -> dict:
        return self.render(obj, ctx.account, ctx.expand)

    def listing(self, ctx: Ctx, url: str, items: list[dict]) -> dict:
        p = ctx.params
        created = p.get("created")
        if isinstance(created, dict):
            ops = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b,
                   "lt": lambda a, b: a < b, "lte": lambda a, b: a <= b}
            for op, bound in created.items():
                if op not in ops:
                    raise invalid(f"Invalid created[{op}]", param="created")
                items = [o for o in items if ops[op](o.get("created", 0),
                                                      as_int(bound, "created"))]
        elif created not in (None, ""):
            items = [o for o in items if o.get("created") == as_int(created, "created")]
        limit = as_int(p.get("limit", 10), "limit")
        if not 1 <= limit <= 100:
            raise invalid("Invalid limit: must be between 1 and 100", param="limit")
        ids = [o["id"] for o in items]
        if p.get("starting_after"):
            if p["starting_after"] not in ids:
                raise missing("object", p["starting_after"], "starting_after")
            start = ids.index(p["starting_after"]) + 1
            page, has_more = items[start:start + limit], len(items) > start + limit
        elif p.get("ending_before"):
            if p["ending_before"] not in ids:
                raise missing("object", p["ending_before"], "ending_before")
            end = ids.index(p["ending_before"])
            page, has_more = items[max(0, end - limit):end], end - limit > 0
        else:
            page, has_more = items[:limit], len(items) > limit
        inner = [e[5:] for e in ctx.expand if e.startswith("data.")]
        return {"object": "list", "data": [self.render(o, ctx.account, inner) for o in page],
                "has_more": has_more, "url": url}

    # -- events -----------------------------------------------------------------------------
    def emit(self, ctx: Ctx | None, type_: str, obj: dict, account: str,
             previous: dict | None = None, now: int | None = None) -> dict:
        event = template("event")
        data: dict[str, Any] = {"object": self.render(obj, account)}
        if previous:
            data["previous_attributes"] = previous
        event.update(id=new_id("evt_"), api_version=API_VERSION, data=data, type=type_,
                     created=now if now is not None else (ctx.now if ctx else self.store.now()),
                     pending_webhooks=0, livemode=False)
        event["request"] = {"id": ctx.request_id if ctx else None,
                            "idempotency_key": ctx.idempotency_key if ctx else None}
        if account:
            event["account"] = account
        event["pending_webhooks"] = len(self.targets(event))
        self.store.put(event, account)
        if ctx is not None:
            ctx.events.append(event)
        else:
            self.on_event(event)
        return event

    def get(self, ctx: Ctx, kind: str, label: str, obj_id: str, param: str = "id") -> dict:
        obj = self.store.get(obj_id, ctx.account)
        if obj is None or obj.get("object") != kind:
            raise missing(label, obj_id, param)
        return obj

    # -- accounts ---------------------------------------------------------------------------
    def _platform_only(self, ctx: Ctx) -> None:
        if ctx.account:
            raise invalid("This request can only be made by the platform, without a "
                          "Stripe-Account header.", status=400)

    def account_create(self, ctx: Ctx) -> dict:
        self._platform_only(ctx)
        p = ctx.params
        typ = p.get("type")
        controller = p.get("controller")
        if not typ and not controller:
            raise invalid("You must provide either `type` or `controller`.", param="type",
                          code="parameter_missing")
        if typ and typ not in ("express", "standard", "custom"):
            raise invalid("Invalid type: must be one of custom, express, or standard",
                          param="type")
        typ = typ or ("standard" if (controller or {}).get("requirement_collection") !=
                      "application" else "custom")
        acct = template("account")
        acct_id = new_id("acct_", 16)
        acct.update(id=acct_id, created=ctx.now, country=p.get("country", "US"),
                    email=p.get("email"), type=typ, default_currency="usd",
                    business_type=p.get("business_type"), charges_enabled=False,
                    payouts_enabled=False, details_submitted=False,
                    metadata=metadata_merge({}, p.get("metadata", {})))
        profile = acct["business_profile"]
        for k, v in (p.get("business_profile") or {}).items():
            if k in profile and not isinstance(profile[k], dict):
                profile[k] = v
        requested = p.get("capabilities") or {"card_payments": {}, "transfers": {}}
        acct["capabilities"] = {name: "inactive" for name in requested}
        acct["controller"] = {"type": "account" if typ == "standard" else "application"}
        acct["external_accounts"] = {"object": "list", "data": [], "has_more": False,
                                     "url": f"/v1/accounts/{acct_id}/external_accounts"}
        acct["requirements"] = self._requirements(ONBOARDING_DUE, "requirements.past_due")
        acct["future_requirements"] = self._requirements([], None)
        acct["tos_acceptance"] = {"date": None, "ip": None, "user_agent": None}
        self.store.put(acct, "")
        return self.out(ctx, acct)

    @staticmethod
    def _requirements(due: list[str], reason: str | None, pending: list[str] | None = None,
                      errors: list | None = None) -> dict:
        return {"alternatives": [], "current_deadline": None, "currently_due": list(due),
                "disabled_reason": reason, "errors": errors or [], "eventually_due": list(due),
                "past_due": list(due), "pending_verification": list(pending or [])}

    def _account(self, ctx: Ctx, acct_id: str) -> dict:
        acct = self.store.get(acct_id, "")
        if acct is None or acct.get("object") != "account" or acct.get("_deleted") or (
                ctx.account and ctx.account != acct_id):
            raise StripeError(403 if ctx.account else 404, "invalid_request_error",
                              f"No such account: '{acct_id}'", code="resource_missing"
                              if not ctx.account else "account_invalid", param="account")
        return acct

    def account_get(self, ctx: Ctx, acct_id: str) -> dict:
        return self.out(ctx, self._account(ctx, acct_id))

    def account_self(self, ctx: Ctx) -> dict:
        if ctx.account:
            return self.out(ctx, self._account(ctx, ctx.account))
        acct = template("account")
        acct.update(id=PLATFORM, charges_enabled=True, payouts_enabled=True,
                    details_submitted=True, requirements=self._requirements([], None),
                    type="standard", email="platform@standin.example")
        acct["business_profile"]["name"] = "Stripe stand-in platform"
        acct["external_accounts"]["url"] = f"/v1/accounts/{PLATFORM}/external_accounts"
        return self.out(ctx, acct)

    def account_list(self, ctx: Ctx) -> dict:
        self._platform_only(ctx)
        items = [a for a in self.store.all("account", "") if not a.get("_deleted")]
        return self.listing(ctx, "/v1/accounts", items)

    def account_update(self, ctx: Ctx, acct_id: str) -> dict:
        acct = self._account(ctx, acct_id)
        p = ctx.params
        previous: dict[str, Any] = {}
        for key in ("email", "business_type", "default_currency"):
            if key in p:
                previous[key] = acct.get(key)
                acct[key] = p[key] or None
        if "metadata" in p:
            previous["metadata"] = acct["metadata"]
            acct["metadata"] = metadata_merge(acct["metadata"], p["metadata"])
        if isinstance(p.get("business_profile"), dict):
            previous["business_profile"] = dict(acct["business_profile"])
            for k, v in p["business_profile"].items():
                if k in acct["business_profile"] and not isinstance(
                        acct["business_profile"][k], dict):
                    acct["business_profile"][k] = v or None
        self.store.put(acct, "")
        self.emit(ctx, "account.updated", acct, acct_id, previous)
        return self.out(ctx, acct)

    def account_delete(self, ctx: Ctx, acct_id: str) -> dict:
        self._platform_only(ctx)
        acct = self._account(ctx, acct_id)
        acct["_deleted"] = True
        self.store.put(acct, "")
        app = template("application")
        app.update(id="ca_standin", name="Stripe stand-in platform")
        self.emit(ctx, "account.application.deauthorized", app, acct_id)
        return {"id": acct_id, "object": "account", "deleted": True}

    def account_onboard(self, acct_id: str, *, name: str, last4: str, tax_id: str,
                        ip: str, user_agent: str) -> dict:
        """The hosted onboarding form was submitted: the account becomes active, or
        restricted (tax id 000000000) or pending verification (111111111)."""
        acct = self.store.get(acct_id, "")
        if acct is None:
            raise missing("account", acct_id)
        now = self.store.now()
        previous = {"charges_enabled": acct["charges_enabled"],
                    "payouts_enabled": acct["payouts_enabled"],
                    "details_submitted": acct["details_submitted"],
                    "requirements": acct["requirements"]}
        acct["business_profile"]["name"] = name or None
        bank = template("bank_account")
        bank.update(id=new_id("ba_"), account=acct_id, last4=last4[-4:] or "6789",
                    routing_number="110000000", bank_name="STRIPE TEST BANK", country="US",
                    currency="usd", default_for_currency=True, status="new", customer=None,
                    metadata={}, account_holder_name=name or None, fingerprint=new_id("", 16))
        acct["external_accounts"]["data"] = [bank]
        # Stored on its own too, so a payout's `destination` expands as on Stripe.
        self.store.put(bank, acct_id)
        acct["details_submitted"] = True
        acct["tos_acceptance"] = {"date": now, "ip": ip, "user_agent": user_agent}
        digits = "".join(ch for ch in tax_id if ch.isdigit())
        if digits == RESTRICTED_TAX_ID or not digits:
            error = {"code": "invalid_tax_id_format" if digits else "invalid_value_other",
                     "reason": "The tax ID (EIN) could not be verified with the IRS.",
                     "requirement": "company.tax_id"}
            acct["requirements"] = self._requirements(["company.tax_id"],
                                                      "requirements.past_due",
                                                      errors=[error])
            acct.update(charges_enabled=False, payouts_enabled=False)
            acct["capabilities"] = {k: "inactive" for k in acct["capabilities"]}
        elif digits == PENDING_TAX_ID:
            acct["requirements"] = self._requirements([], "requirements.pending_verification",
                                                      pending=["company.tax_id"])
            acct.update(charges_enabled=False, payouts_enabled=False)
            acct["capabilities"] = {k: "pending" for k in acct["capabilities"]}
        else:
            acct["requirements"] = self._requirements([], None)
            acct.update(charges_enabled=True, payouts_enabled=True)
            acct["capabilities"] = {k: "active" for k in acct["capabilities"]}
        acct["_tax_id"] = digits
        self.store.put(acct, "")
        self.emit(None, "account.updated", acct, acct_id, previous, now=now)
        return acct

    def account_set_state(self, acct_id: str, state: str) -> dict:
        """`/_stripe/accounts/{id}`: move an account to active, restricted or onboarding."""
        tax = {"active": "123456789", "restricted": RESTRICTED_TAX_ID,
               "pending": PENDING_TAX_ID}
        if state in tax:
            return self.account_onboard(acct_id, name=self.store.get(acct_id, "")
                                        ["business_profile"]["name"] or "Stand-in practice",
                                        last4="6789", tax_id=tax[state], ip="127.0.0.1",
                                        user_agent="stand-in control")
        raise invalid("state is one of active, restricted, pending")

    def account_link_create(self, ctx: Ctx) -> dict:
        self._platform_only(ctx)
        p = ctx.params
        for name in ("account", "type"):
            if not p.get(name):
                raise invalid(f"Missing required param: {name}.", param=name,
                              code="parameter_missing")
        if p["type"] not in ("account_onboarding", "account_update"):
            raise invalid("Invalid type: must be one of account_onboarding or account_update",
                          param="type")
        acct = self.store.get(p["account"], "")
        if acct is None or acct.get("object") != "account" or acct.get("_deleted"):
            raise missing("account", p["account"], "account")
        for name in ("refresh_url", "return_url"):
            if p.get(name) and not str(p[name]).startswith(("http://", "https://")):
                raise invalid("Not a valid URL", param=name, code="url_invalid")
        token = new_id("", 12)
        link = {"id": "link_" + token, "object": "_account_link", "account": p["account"],
                "refresh_url": p.get("refresh_url"), "return_url": p.get("return_url"),
                "type": p["type"], "expires_at": ctx.now + 300, "used": False}
        self.store.put(link, "")
        out = template("account_link")
        out.update(created=ctx.now, expires_at=link["expires_at"],
                   url=f"{self.base_url}/setup/s/{p['account']}/{token}")
        return out

    # -- customers --------------------------------------------------------------------------
    def customer_create(self, ctx: Ctx) -> dict:
        p = ctx.params
        cus = template("customer")
        cus.update(id=new_id("cus_", 14), created=ctx.now,
                   invoice_prefix=p.get("invoice_prefix") or secrets.token_hex(4).upper(),
                   metadata=metadata_merge({}, p.get("metadata", {})))
        self._customer_fields(cus, p)
        self.store.put(cus, ctx.account)
        if p.get("payment_method"):
            self._attach(ctx, self._pm(ctx, p["payment_method"], "payment_method"), cus)
        self.emit(ctx, "customer.created", cus, ctx.account)
        return self.out(ctx, cus)

    def _customer_fields(self, cus: dict, p: dict) -> dict:
        previous: dict[str, Any] = {}
        for key in ("email", "name", "phone", "description"):
            if key in p:
                previous[key] = cus.get(key)
                cus[key] = p[key] or None
        if "balance" in p:
            cus["balance"] = as_int(p["balance"], "balance")
        if "address" in p:
            previous["address"] = cus["address"]
            cus["address"] = {**ADDRESS, **p["address"]} if p["address"] else None
        if isinstance(p.get("invoice_settings"), dict):
            previous["invoice_settings"] = dict(cus["invoice_settings"])
            settings = p["invoice_settings"]
            if "default_payment_method" in settings:
                cus["invoice_settings"]["default_payment_method"] = (
                    settings["default_payment_method"] or None)
            if "footer" in settings:
                cus["invoice_settings"]["footer"] = settings["footer"] or None
        if "preferred_locales" in p:
            cus["preferred_locales"] = as_list(p["preferred_locales"])
        if "tax_exempt" in p:
            cus["tax_exempt"] = p["tax_exempt"]
        return previous

    def _customer(self, ctx: Ctx, cus_id: str, param: str = "id") -> dict:
        cus = self.get(ctx, "customer", "customer", cus_id, param)
        if cus.get("_deleted") and param != "id":
            raise missing("customer", cus_id, param)
        return cus

    def customer_get(self, ctx: Ctx, cus_id: str) -> dict:
        cus = self._customer(ctx, cus_id)
        if cus.get("_deleted"):
            return {"id": cus_id, "object": "customer", "deleted": True}
        return self.out(ctx, cus)

    def customer_list(self, ctx: Ctx) -> dict:
        items = [c for c in self.store.all("customer", ctx.account) if not c.get("_deleted")]
        if ctx.params.get("email"):
            items = [c for c in items if c.get("email") == ctx.params["email"]]
        return self.listing(ctx, "/v1/customers", items)

    def customer_update(self, ctx: Ctx, cus_id: str) -> dict:
        cus = self._customer(ctx, cus_id)
        if cus.get("_deleted"):
            raise missing("customer", cus_id)
        default = (ctx.params.get("invoice_settings") or {}).get("default_payment_method")
        if default:
            pm = self._pm(ctx, default, "invoice_settings[default_payment_method]")
            if pm.get("customer") != cus_id:
                raise invalid(f"No such PaymentMethod: '{default}'; It's possible this "
                              "PaymentMethod exists on one of your connected accounts, in "
                              "which case you should retry this request on that connected "
                              "account. The PaymentMethod must be attached to the customer.",
                              param="invoice_settings[default_payment_method]",
                              code="resource_missing")
            ctx.params["invoice_settings"]["default_payment_method"] = pm["id"]
        previous = self._customer_fields(cus, ctx.params)
        if "metadata" in ctx.params:
            previous["metadata"] = cus["metadata"]
            cus["metadata"] = metadata_merge(cus["metadata"], ctx.params["metadata"])
        self.store.put(cus, ctx.account)
        self.emit(ctx, "customer.updated", cus, ctx.account, previous)
        return self.out(ctx, cus)

    def customer_delete(self, ctx: Ctx, cus_id: str) -> dict:
        cus = self._customer(ctx, cus_id)
        if cus.get("_deleted"):
            raise missing("customer", cus_id)
        cus["_deleted"] = True
        self.store.put(cus, ctx.account)
        for pm in self.store.all("payment_method", ctx.account):
            if pm.get("customer") == cus_id:
                pm["customer"] = None
                self.store.put(pm, ctx.account)
        self.emit(ctx, "customer.deleted", cus, ctx.account)
        return {"id": cus_id, "object": "customer", "deleted": True}

    # -- payment methods --------------------------------------------------------------------
    def make_pm(self, account: str, card: cards.TestCard, *, exp_month: int | None = None,
                exp_year: int | None = None, name: str | None = None,
                email: str | None = None, postal_code: str | None = None) -> dict:
        now = dt.datetime.fromtimestamp(self.store.now(), dt.UTC)
        pm = template("payment_method")
        pm.update(id=new_id("pm_"), created=int(now.timestamp()), livemode=False)
        pm["billing_details"]["name"] = name
        pm["billing_details"]["email"] = email
        pm["billing_details"]["address"]["postal_code"] = postal_code
        pm["card"] = {
            "brand": card.brand, "checks": {"address_line1_check": None,
                                            "address_postal_code_check":
                                            "pass" if postal_code else None,
                                            "cvc_check": "pass"},
            "country": card.country, "display_brand": card.brand,
            "exp_month": exp_month or now.month, "exp_year": exp_year or now.year + 3,
            "fingerprint": hashlib.sha256(card.number.encode()).hexdigest()[:16],
            "funding": card.funding, "generated_from": None, "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "three_d_secure_usage": {"supported": True}, "wallet": None,
            "regulated_status": "unregulated"}
        pm["_behaviour"] = card.behaviour
        pm["_set_up"] = False
        self.store.put(pm, account)
        return pm

    def _pm(self, ctx: Ctx, ref: str, param: str = "payment_method") -> dict:
        card = cards.card_for_token(ref)
        if card is not None:
            return self.make_pm(ctx.account, card)
        pm = self.store.get(ref, ctx.account)
        if pm is None or pm.get("object") != "payment_method":
            raise missing("PaymentMethod", ref, param)
        return pm

    def _attach(self, ctx: Ctx, pm: dict, cus: dict) -> dict:
        if pm.get("customer") and pm["customer"] != cus["id"]:
            raise invalid("The payment method you provided has already been attached to a "
                          "customer.", param="payment_method")
        failure = cards.decline_on_save(pm["_behaviour"])
        if failure:
            code, decline_code = failure
            raise StripeError(402, "card_error", cards.message_for(decline_code), code=code,
                              decline_code=decline_code, param="", saved=True)
        if pm.get("customer") == cus["id"]:
            return pm
        pm["customer"] = cus["id"]
        self.store.put(pm, ctx.account)
        self.emit(ctx, "payment_method.attached", pm, ctx.account)
        return pm

    def pm_get(self, ctx: Ctx, pm_id: str) -> dict:
        return self.out(ctx, self._pm(ctx, pm_id, "payment_method"))

    def pm_list(self, ctx: Ctx) -> dict:
        cus_id = ctx.params.get("customer")
        if not cus_id:
            items = [p for p in self.store.all("payment_method", ctx.account)
                     if p.get("customer")]
        else:
            self._customer(ctx, cus_id, "customer")
            items = [p for p in self.store.all("payment_method", ctx.account)
                     if p.get("customer") == cus_id]
        if ctx.params.get("type"):
            items = [p for p in items if p["type"] == ctx.params["type"]]
        return self.listing(ctx, "/v1/payment_methods", items)

    def customer_pms(self, ctx: Ctx, cus_id: str) -> dict:
        self._customer(ctx, cus_id, "customer")
        items = [p for p in self.store.all("payment_method", ctx.account)
                 if p.get("customer") == cus_id]
        if ctx.params.get("type"):
            items = [p for p in items if p["type"] == ctx.params["type"]]
        return self.listing(ctx, f"/v1/customers/{cus_id}/payment_methods", items)

    def customer_pm_get(self, ctx: Ctx, cus_id: str, pm_id: str) -> dict:
        self._customer(ctx, cus_id, "customer")
        pm = self._pm(ctx, pm_id)
        if pm.get("customer") != cus_id:
            raise missing("PaymentMethod", pm_id)
        return self.out(ctx, pm)

    def pm_update(self, ctx: Ctx, pm_id: str) -> dict:
        pm = self._pm(ctx, pm_id, "payment_method")
        p = ctx.params
        if "metadata" in p:
            pm["metadata"] = metadata_merge(pm["metadata"], p["metadata"])
        if isinstance(p.get("billing_details"), dict):
            for k, v in p["billing_details"].items():
                if k == "address" and isinstance(v, dict):
                    pm["billing_details"]["address"].update(v)
                elif k in pm["billing_details"]:
                    pm["billing_details"][k] = v or None
        if isinstance(p.get("card"), dict):
            for k in ("exp_month", "exp_year"):
                if k in p["card"]:
                    pm["card"][k] = as_int(p["card"][k], f"card[{k}]")
        self.store.put(pm, ctx.account)
        self.emit(ctx, "payment_method.updated", pm, ctx.account)
        return self.out(ctx, pm)

    def pm_attach(self, ctx: Ctx, pm_id: str) -> dict:
        if not ctx.params.get("customer"):
            raise invalid("Missing required param: customer.", param="customer",
                          code="parameter_missing")
        cus = self._customer(ctx, ctx.params["customer"], "customer")
        pm = self._attach(ctx, self._pm(ctx, pm_id), cus)
        return self.out(ctx, pm)

    def pm_detach(self, ctx: Ctx, pm_id: str) -> dict:
        pm = self._pm(ctx, pm_id)
        if not pm.get("customer"):
            raise invalid("The payment method you provided is not attached to a customer so "
                          "detachment is impossible.", param="payment_method")
        cus = self.store.get(pm["customer"], ctx.account)
        pm["customer"] = None
        self.store.put(pm, ctx.account)
        if cus and cus["invoice_settings"].get("default_payment_method") == pm_id:
            cus["invoice_settings"]["default_payment_method"] = None
            self.store.put(cus, ctx.account)
        self.emit(ctx, "payment_method.detached", pm, ctx.account,
                  {"customer": cus["id"] if cus else None})
        return self.out(ctx, pm)

    # -- checkout sessions (setup mode) -----------------------------------------------------
    def cs_create(self, ctx: Ctx) -> dict:
        p = ctx.params
        if not p.get("mode"):
            raise invalid("Missing required param: mode.", param="mode",
                          code="parameter_missing")
        if p["mode"] != "setup":
            raise invalid("The Stripe stand-in implements Checkout in setup mode only.",
                          param="mode")
        if p.get("customer"):
            self._customer(ctx, p["customer"], "customer")
        for name in ("success_url", "cancel_url", "return_url"):
            if p.get(name) and not str(p[name]).startswith(("http://", "https://")):
                raise invalid("Not a valid URL", param=name, code="url_invalid")
        cs = template("checkout.session")
        cs_id = "cs_test_" + new_id("", 58)
        cs.update(id=cs_id, created=ctx.now, expires_at=as_int(p.get("expires_at",
                                                                     ctx.now + DAY),
                                                               "expires_at"),
                  cancel_url=p.get("cancel_url"), success_url=p.get("success_url"),
                  client_reference_id=p.get(
                      "client_reference_id"), currency=p.get("currency"),
                  customer=p.get("customer"), customer_email=p.get("customer_email"),
                  customer_creation=None, locale=p.get("locale"), mode="setup",
                  metadata=metadata_merge({}, p.get("metadata", {})),
                  payment_method_types=as_list(p.get("payment_method_types")) or ["card"],
                  setup_intent=None, status="open", url=f"{self.base_url}/c/pay/{cs_id}",
                  billing_address_collection=p.get("billing_address_collection"),
                  livemode=False)
        cs["_return_url"] = p.get("return_url")  # not a field of the pinned version's shape
        cs["_setup_intent_data"] = p.get("setup_intent_data") or {}
        self.store.put(cs, ctx.account)
        return self.out(ctx, cs)

    def cs_get(self, ctx: Ctx, cs_id: str) -> dict:
        return self.out(ctx, self.get(ctx, "checkout.session", "checkout.session", cs_id))

    def cs_list(self, ctx: Ctx) -> dict:
        items = self.store.all("checkout.session", ctx.account)
        for key in ("customer", "status", "setup_intent", "payment_intent"):
            if ctx.params.get(key):
                items = [s for s in items if s.get(key) == ctx.params[key]]
        return self.listing(ctx, "/v1/checkout/sessions", items)

    def cs_expire(self, ctx: Ctx, cs_id: str) -> dict:
        cs = self.get(ctx, "checkout.session", "checkout.session", cs_id)
        if cs["status"] != "open":
            raise invalid(f"Only Checkout Sessions with a status in [\"open\"] can be "
                          f"expired. This Checkout Session has a status of \"{cs['status']}\".")
        cs["status"] = "expired"
        self.store.put(cs, ctx.account)
        self.emit(ctx, "checkout.session.expired", cs, ctx.account)
        return self.out(ctx, cs)

    def cs_complete(self, account: str, cs_id: str, *, number: str, exp_month: int,
                    exp_year: int, name: str, email: str | None, postal_code: str | None
                    ) -> tuple[dict | None, str | None]:
        """The hosted Checkout card form was submitted: (session, None) when the card was
        saved, (None, message) when it was declined."""
        cs = self.store.get(cs_id, account)
        if cs is None or cs["status"] != "open":
            return None, "This Checkout Session is no longer open."
        card = cards.card_for_number(number)
        if card is None:
            return None, ("Your card number is invalid. Use one of Stripe's test cards, "
                          "such as 4242 4242 4242 4242.")
        now = self.store.now()
        if dt.date(exp_year, exp_month, 1) < dt.datetime.fromtimestamp(now, dt.UTC).date(
                ).replace(day=1):
            return None, "Your card's expiration date is in the past."
        failure = cards.decline_on_save(card.behaviour)
        if failure:
            return None, cards.message_for(failure[1])
        pm = self.make_pm(account, card, exp_month=exp_month, exp_year=exp_year, name=name,
                          email=email, postal_code=postal_code)
        pm["_set_up"] = True  # authenticated on the hosted page
        si = self._new_si(account, now, customer=cs.get("customer"),
                          metadata=(cs["_setup_intent_data"] or {}).get("metadata") or {},
                          description=(cs["_setup_intent_data"] or {}).get("description"))
        self.emit(None, "setup_intent.created", si, account, now=now)
        if cs.get("customer"):
            pm["customer"] = cs["customer"]
            self.store.put(pm, account)
            self.emit(None, "payment_method.attached", pm, account, now=now)
        self.store.put(pm, account)
        si.update(status="succeeded", payment_method=pm["id"])
        self.store.put(si, account)
        self.emit(None, "setup_intent.succeeded", si, account, now=now)
        cs.update(status="complete", setup_intent=si["id"])
        cs["customer_details"] = {"address": {**ADDRESS, "postal_code": postal_code,
                                              "country": "US"},
                                  "email": email, "name": name, "phone": None,
                                  "tax_exempt": "none", "tax_ids": [], "business_name": None,
                                  "individual_name": None}
        self.store.put(cs, account)
        self.emit(None, "checkout.session.completed", cs, account, now=now)
        return cs, None

    # -- setup intents ----------------------------------------------------------------------
    def _new_si(self, account: str, now: int, *, customer: str | None, metadata: dict,
                description: str | None = None, usage: str = "off_session") -> dict:
        si = template("setup_intent")
        si_id = new_id("seti_")
        si.update(id=si_id, created=now, customer=customer, description=description,
                  metadata=metadata_merge({}, metadata), usage=usage,
                  client_secret=f"{si_id}_secret_{new_id('', 24)}",
                  status="requires_payment_method", payment_method=None, latest_attempt=None)
        self.store.put(si, account)
        return si

    def si_create(self, ctx: Ctx) -> dict:
        p = ctx.params
        if p.get("customer"):
            self._customer(ctx, p["customer"], "customer")
        si = self._new_si(ctx.account, ctx.now, customer=p.get("customer"),
                          metadata=p.get("metadata") or {}, description=p.get("description"),
                          usage=p.get("usage", "off_session"))
        if p.get("payment_method_types"):
            si["payment_method_types"] = as_list(p["payment_method_types"])
        if p.get("payment_method"):
            pm = self._pm(ctx, p["payment_method"])
            si.update(payment_method=pm["id"], status="requires_confirmation")
        self.store.put(si, ctx.account)
        self.emit(ctx, "setup_intent.created", si, ctx.account)
        if as_bool(p.get("confirm", False), "confirm"):
            return self._si_confirm(ctx, si)
        return self.out(ctx, si)

    def si_get(self, ctx: Ctx, si_id: str) -> dict:
        return self.out(ctx, self.get(ctx, "setup_intent", "setupintent", si_id))

    def si_list(self, ctx: Ctx) -> dict:
        items = self.store.all("setup_intent", ctx.account)
        for key in ("customer", "payment_method"):
            if ctx.params.get(key):
                items = [s for s in items if s.get(key) == ctx.params[key]]
        return self.listing(ctx, "/v1/setup_intents", items)

    def si_update(self, ctx: Ctx, si_id: str) -> dict:
        si = self.get(ctx, "setup_intent", "setupintent", si_id)
        p = ctx.params
        if "metadata" in p:
            si["metadata"] = metadata_merge(si["metadata"], p["metadata"])
        if "description" in p:
            si["description"] = p["description"] or None
        if p.get("payment_method"):
            si["payment_method"] = self._pm(ctx, p["payment_method"])["id"]
            si["status"] = "requires_confirmation"
        if p.get("customer"):
            si["customer"] = self._customer(ctx, p["customer"], "customer")["id"]
        self.store.put(si, ctx.account)
        return self.out(ctx, si)

    def si_confirm(self, ctx: Ctx, si_id: str) -> dict:
        si = self.get(ctx, "setup_intent", "setupintent", si_id)
        if ctx.params.get("payment_method"):
            si["payment_method"] = self._pm(ctx, ctx.params["payment_method"])["id"]
        return self._si_confirm(ctx, si)

    def _si_confirm(self, ctx: Ctx, si: dict) -> dict:
        if si["status"] in ("succeeded", "canceled"):
            raise invalid(f"You cannot confirm this SetupIntent because it has a status of "
                          f"{si['status']}.", code="setup_intent_unexpected_state")
        if not si.get("payment_method"):
            raise invalid("You cannot confirm this SetupIntent because it's missing a "
                          "payment method.", param="payment_method",
                          code="setup_intent_unexpected_state")
        pm = self._pm(ctx, si["payment_method"])
        failure = cards.decline_on_save(pm["_behaviour"])
        if pm["_behaviour"] in ("auth_always", "auth_setup"):
            si["status"] = "requires_action"
            si["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {
                "type": "three_d_secure_redirect", "stripe_js": f"{self.base_url}/3ds"}}
            self.store.put(si, ctx.account)
            self.emit(ctx, "setup_intent.requires_action", si, ctx.account)
            return self.out(ctx, si)
        if failure:
            code, decline_code = failure
            error = {"type": "card_error", "code": code, "decline_code": decline_code,
                     "message": cards.message_for(decline_code),
                     "payment_method": self.render(pm, ctx.account)}
            si.update(status="requires_payment_method", payment_method=None,
                      last_setup_error=error)
            self.store.put(si, ctx.account)
            self.emit(ctx, "setup_intent.setup_failed", si, ctx.account)
            raise StripeError(402, "card_error", error["message"], code=code,
                              decline_code=decline_code, saved=True,
                              extra={"setup_intent": self.render(si, ctx.account),
                                     "payment_method": error["payment_method"]})
        pm["_set_up"] = True
        if si.get("customer") and not pm.get("customer"):
            pm["customer"] = si["customer"]
            self.store.put(pm, ctx.account)
            self.emit(ctx, "payment_method.attached", pm, ctx.account)
        self.store.put(pm, ctx.account)
        si.update(status="succeeded", last_setup_error=None, next_action=None)
        self.store.put(si, ctx.account)
        self.emit(ctx, "setup_intent.succeeded", si, ctx.account)
        return self.out(ctx, si)

    def si_cancel(self, ctx: Ctx, si_id: str) -> dict:
        si = self.get(ctx, "setup_intent", "setupintent", si_id)
        if si["status"] in ("succeeded", "canceled"):
            raise invalid(f"You cannot cancel this SetupIntent because it has a status of "
                          f"{si['status']}.", code="setup_intent_unexpected_state")
        si.update(status="canceled",
                  cancellation_reason=ctx.params.get("cancellation_reason"))
        self.store.put(si, ctx.account)
        self.emit(ctx, "setup_intent.canceled", si, ctx.account)
        return self.out(ctx, si)

    # -- payment intents and charges --------------------------------------------------------
    def pi_create(self, ctx: Ctx) -> dict:
        p = ctx.params
        for name in ("amount", "currency"):
            if p.get(name) in (None, ""):
                raise invalid(f"Missing required param: {name}.", param=name,
                              code="parameter_missing")
        amount = as_int(p["amount"], "amount")
        if amount < 50:
            raise invalid("Amount must be at least $0.50 usd", param="amount",
                          code="amount_too_small")
        confirm = as_bool(p.get("confirm", False), "confirm")
        off_session = as_bool(p.get("off_session", False), "off_session") if p.get(
            "off_session") not in ("one_off", "recurring") else True
        if "off_session" in p and not confirm:
            raise invalid("off_session can only be used when confirm=true", param="off_session")
        cus = self._customer(ctx, p["customer"], "customer") if p.get("customer") else None
        pm = self._pm(ctx, p["payment_method"]) if p.get("payment_method") else None
        if pm is not None:
            self._pm_belongs(pm, cus)
        pi = template("payment_intent")
        pi_id = new_id("pi_")
        pi.update(id=pi_id, amount=amount, currency=str(p["currency"]).lower(),
                  created=ctx.now, customer=cus["id"] if cus else None,
                  description=p.get("description"), client_secret=f"{pi_id}_secret_"
                  f"{new_id('', 24)}", metadata=metadata_merge({}, p.get("metadata", {})),
                  payment_method=pm["id"] if pm else None, receipt_email=p.get(
                      "receipt_email"), setup_future_usage=p.get("setup_future_usage"),
                  statement_descriptor=p.get("statement_descriptor"),
                  statement_descriptor_suffix=p.get("statement_descriptor_suffix"),
                  status="requires_confirmation" if pm else "requires_payment_method",
                  payment_method_types=as_list(p.get("payment_method_types")) or ["card"],
                  capture_method=p.get("capture_method", "automatic"),
                  confirmation_method=p.get("confirmation_method", "automatic"),
                  amount_received=0, amount_capturable=0, latest_charge=None, livemode=False)
        pi["_off_session"] = off_session
        self.store.put(pi, ctx.account)
        self.emit(ctx, "payment_intent.created", pi, ctx.account)
        if confirm:
            return self._pi_confirm(ctx, pi, off_session)
        return self.out(ctx, pi)

    @staticmethod
    def _pm_belongs(pm: dict, cus: dict | None) -> None:
        if pm.get("customer") and cus is None:
            raise invalid("The provided PaymentMethod was previously attached to a Customer. "
                          "To use it, also pass the Customer's ID.", param="payment_method")
        if pm.get("customer") and cus is not None and pm["customer"] != cus["id"]:
            raise invalid("The provided PaymentMethod belongs to a different Customer "
                          "than the one specified.", param="payment_method")

    def pi_get(self, ctx: Ctx, pi_id: str) -> dict:
        return self.out(ctx, self.get(ctx, "payment_intent", "payment_intent", pi_id))

    def pi_list(self, ctx: Ctx) -> dict:
        items = self.store.all("payment_intent", ctx.account)
        if ctx.params.get("customer"):
            items = [i for i in items if i.get("customer") == ctx.params["customer"]]
        return self.listing(ctx, "/v1/payment_intents", items)

    def pi_update(self, ctx: Ctx, pi_id: str) -> dict:
        pi = self.get(ctx, "payment_intent", "payment_intent", pi_id)
        # As on Stripe, a finished PaymentIntent still takes new metadata and description.
        if pi["status"] in ("succeeded", "canceled", "processing") and \
                set(ctx.params) - {"metadata", "description", "expand"}:
            raise invalid(f"This PaymentIntent's status is {pi['status']}, so it cannot be "
                          "updated.", code="payment_intent_unexpected_state")
        p = ctx.params
        if "amount" in p:
            pi["amount"] = as_int(p["amount"], "amount")
        for key in ("currency", "description", "receipt_email", "setup_future_usage"):
            if key in p:
                pi[key] = p[key] or None
        if "metadata" in p:
            pi["metadata"] = metadata_merge(pi["metadata"], p["metadata"])
        if p.get("customer"):
            pi["customer"] = self._customer(ctx, p["customer"], "customer")["id"]
        if p.get("payment_method"):
            pi["payment_method"] = self._pm(ctx, p["payment_method"])["id"]
            pi["status"] = "requires_confirmation"
        self.store.put(pi, ctx.account)
        return self.out(ctx, pi)

    def pi_confirm_route(self, ctx: Ctx, pi_id: str) -> dict:
        pi = self.get(ctx, "payment_intent", "payment_intent", pi_id)
        p = ctx.params
        if p.get("payment_method"):
            pm = self._pm(ctx, p["payment_method"])
            self._pm_belongs(pm, self.store.get(pi["customer"], ctx.account)
                             if pi.get("customer") else None)
            pi["payment_method"] = pm["id"]
        off_session = as_bool(p.get("off_session", pi.get("_off_session", False)),
                              "off_session") if p.get("off_session") not in (
            "one_off", "recurring") else True
        return self._pi_confirm(ctx, pi, off_session)

    def _pi_confirm(self, ctx: Ctx, pi: dict, off_session: bool) -> dict:
        if pi["status"] in ("succeeded", "canceled", "processing"):
            raise invalid(f"This PaymentIntent's status is {pi['status']}, but the "
                          "PaymentIntent must have a status of requires_payment_method, "
                          "requires_confirmation or requires_action to be confirmed.",
                          code="payment_intent_unexpected_state")
        if not pi.get("payment_method"):
            raise invalid("You cannot confirm this PaymentIntent because it's missing a "
                          "payment method. To confirm the PaymentIntent with cus, pass a "
                          "payment_method.", code="payment_intent_unexpected_state",
                          param="payment_method")
        if ctx.account:
            acct = self.store.get(ctx.account, "") or {}
            if not acct.get("charges_enabled"):
                raise invalid("Your account cannot currently make charges. To find out why "
                              "charge creation is currently disabled, look at the "
                              "`requirements.disabled_reason` property on this account "
                              f"(/v1/accounts/{ctx.account}).")
        pm = self._pm(ctx, pi["payment_method"])
        failure = cards.decline_of(pm["_behaviour"], set_up=pm.get("_set_up", False))
        if failure and failure[0] == "authentication_required" and not off_session:
            pi["status"] = "requires_action"
            pi["next_action"] = {"type": "use_stripe_sdk", "use_stripe_sdk": {
                "type": "three_d_secure_redirect", "stripe_js": f"{self.base_url}/3ds"}}
            self.store.put(pi, ctx.account)
            self.emit(ctx, "payment_intent.requires_action", pi, ctx.account)
            return self.out(ctx, pi)
        charge = self._charge(ctx, pi, pm, failure)
        pi["latest_charge"] = charge["id"]
        if failure:
            code, decline_code = failure
            error = {"type": "card_error", "code": code, "decline_code": decline_code,
                     "message": cards.message_for(decline_code), "charge": charge["id"],
                     "doc_url": f"https://stripe.com/docs/error-codes/"
                                f"{code.replace('_', '-')}",
                     "payment_method": self.render(pm, ctx.account)}
            pi.update(status="requires_payment_method", payment_method=None,
                      last_payment_error=error, next_action=None)
            self.store.put(pi, ctx.account)
            self.emit(ctx, "charge.failed", charge, ctx.account)
            self.emit(ctx, "payment_intent.payment_failed", pi, ctx.account)
            raise StripeError(402, "card_error", error["message"], code=code,
                              decline_code=decline_code, saved=True,
                              extra={"charge": charge["id"],
                                     "payment_intent": self.render(pi, ctx.account),
                                     "payment_method": error["payment_method"]})
        pi.update(status="succeeded", amount_received=pi["amount"], last_payment_error=None,
                  next_action=None)
        if pi.get("setup_future_usage") and pi.get("customer"):
            cus = self.store.get(pi["customer"], ctx.account)
            if cus is not None:
                pm["_set_up"] = True
                self._attach(ctx, pm, cus)
        self.store.put(pi, ctx.account)
        self.emit(ctx, "charge.succeeded", charge, ctx.account)
        self.emit(ctx, "payment_intent.succeeded", pi, ctx.account)
        return self.out(ctx, pi)

    @staticmethod
    def fee_for(amount: int) -> int:
        return (amount * 29 + 500) // 1000 + 30  # 2.9% + 30¢, Stripe's US card price

    def _charge(self, ctx: Ctx, pi: dict, pm: dict, failure: tuple[str, str] | None) -> dict:
        ch = template("charge")
        ch_id = new_id("ch_")
        ok = failure is None
        ch.update(id=ch_id, amount=pi["amount"], amount_captured=pi["amount"] if ok else 0,
                  amount_refunded=0, created=ctx.now, currency=pi["currency"],
                  customer=pi.get("customer"), description=pi.get("description"),
                  metadata=dict(pi["metadata"]), paid=ok, captured=ok, payment_intent=pi["id"],
                  payment_method=pm["id"], receipt_email=pi.get("receipt_email"),
                  refunded=False, status="succeeded" if ok else "failed",
                  failure_code=failure[0] if failure else None,
                  failure_message=cards.message_for(failure[1]) if failure else None,
                  calculated_statement_descriptor="STAND-IN", livemode=False,
                  receipt_url=f"{self.base_url}/receipts/{ch_id}", balance_transaction=None)
        ch["billing_details"] = json.loads(json.dumps(pm["billing_details"]))
        ch["outcome"] = {
            "advice_code": None if ok else "do_not_try_again",
            "network_advice_code": None, "network_decline_code": None,
            "network_status": "approved_by_network" if ok else "declined_by_network",
            "reason": None if ok else failure[1],
            "seller_message": "Payment complete." if ok else "The bank did not return any "
                              "further details with this decline.",
            "type": "authorized" if ok else "issuer_declined"}
        details = ch["payment_method_details"]["card"]
        for key in ("brand", "country", "exp_month", "exp_year", "fingerprint", "funding",
                    "last4"):
            details[key] = pm["card"][key]
        details["network"] = pm["card"]["brand"]
        details["wallet"] = None
        details["installments"] = None
        details["amount_authorized"] = pi["amount"] if ok else None
        details["overcapture"] = {"maximum_amount_capturable": pi["amount"],
                                  "status": "unavailable"}
        ch["refunds"] = {"object": "list", "data": [], "has_more": False,
                         "url": f"/v1/charges/{ch_id}/refunds"}
        if ok:
            txn = self._txn(ctx.account, amount=pi["amount"], fee=self.fee_for(pi["amount"]),
                            source=ch_id, type_="charge", now=ctx.now,
                            description=pi.get("description"),
                            available_on=ctx.now + PAYOUT_DELAY_DAYS * DAY)
            ch["balance_transaction"] = txn["id"]
        self.store.put(ch, ctx.account)
        return ch

    def _txn(self, account: str, *, amount: int, fee: int, source: str, type_: str, now: int,
             description: str | None, available_on: int, status: str = "pending") -> dict:
        txn = template("balance_transaction")
        txn.update(id=new_id("txn_"), amount=amount, available_on=available_on, created=now,
                   currency="usd", description=description, fee=fee, net=amount - fee,
                   source=source, status=status, type=type_,
                   reporting_category={"charge": "charge", "refund": "refund",
                                       "payout": "payout"}[type_],
                   fee_details=[{"amount": fee, "application": None, "currency": "usd",
                                 "description": "Stripe processing fees",
                                 "type": "stripe_fee"}] if fee else [])
        txn["_payout"] = None
        self.store.put(txn, account)
        return txn

    def pi_cancel(self, ctx: Ctx, pi_id: str) -> dict:
        pi = self.get(ctx, "payment_intent", "payment_intent", pi_id)
        if pi["status"] in ("succeeded", "canceled"):
            raise invalid(f"You cannot cancel this PaymentIntent because it has a status of "
                          f"{pi['status']}. Only a PaymentIntent with one of the following "
                          "statuses may be canceled: requires_payment_method, "
                          "requires_capture, requires_confirmation, requires_action, "
                          "processing.", code="payment_intent_unexpected_state")
        pi.update(status="canceled", canceled_at=ctx.now,
                  cancellation_reason=ctx.params.get("cancellation_reason"))
        self.store.put(pi, ctx.account)
        self.emit(ctx, "payment_intent.canceled", pi, ctx.account)
        return self.out(ctx, pi)

    def charge_get(self, ctx: Ctx, ch_id: str) -> dict:
        return self.out(ctx, self.get(ctx, "charge", "charge", ch_id))

    def charge_list(self, ctx: Ctx) -> dict:
        items = self.store.all("charge", ctx.account)
        for key in ("customer", "payment_intent"):
            if ctx.params.get(key):
                items = [c for c in items if c.get(key) == ctx.params[key]]
        return self.listing(ctx, "/v1/charges", items)

    # -- refunds ----------------------------------------------------------------------------
    def refund_create(self, ctx: Ctx) -> dict:
        p = ctx.params
        if p.get("charge"):
            ch = self.get(ctx, "charge", "charge", p["charge"], "charge")
        elif p.get("payment_intent"):
            pi = self.get(ctx, "payment_intent", "payment_intent", p["payment_intent"],
                          "payment_intent")
            if pi["status"] != "succeeded" or not pi.get("latest_charge"):
                raise invalid(f"This PaymentIntent ({pi['id']}) does not have a successful "
                              "charge to refund.", param="payment_intent")
            ch = self.store.get(pi["latest_charge"], ctx.account) or {}
        else:
            raise invalid("One of the following params should be provided for this request: "
                          "payment_intent or charge.", param="charge",
                          code="parameter_missing")
        if ch.get("status") != "succeeded":
            raise invalid(f"Charge {ch['id']} has not succeeded, so it cannot be refunded.",
                          param="charge")
        remaining = ch["amount"] - ch["amount_refunded"]
        if remaining <= 0:
            raise invalid(f"Charge {ch['id']} has already been refunded.",
                          code="charge_already_refunded", param="charge")
        amount = as_int(p["amount"], "amount") if p.get("amount") not in (None, "") else \
            remaining
        if amount <= 0:
            raise invalid("Invalid positive integer", param="amount")
        if amount > remaining:
            raise invalid(f"Refund amount ({money(amount)}) is greater than unrefunded amount "
                          f"on charge ({money(remaining)})", param="amount")
        if p.get("reason") and p["reason"] not in ("duplicate", "fraudulent",
                                                   "requested_by_customer"):
            raise invalid("Invalid reason: must be one of duplicate, fraudulent, or "
                          "requested_by_customer", param="reason")
        re_ = template("refund")
        re_id = new_id("re_")
        txn = self._txn(ctx.account, amount=-amount, fee=0, source=re_id, type_="refund",
                        now=ctx.now, description="REFUND FOR CHARGE", available_on=ctx.now,
                        status="available")
        re_.update(id=re_id, amount=amount, balance_transaction=txn["id"], charge=ch["id"],
                   created=ctx.now, currency=ch["currency"], payment_intent=ch.get(
                       "payment_intent"), reason=p.get("reason"), status="succeeded",
                   metadata=metadata_merge({}, p.get("metadata", {})),
                   customer=ch.get("customer"), payment_method=ch.get("payment_method"))
        self.store.put(re_, ctx.account)
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] >= ch["amount"]
        ch["refunds"]["data"].insert(0, public(re_))
        self.store.put(ch, ctx.account)
        self.emit(ctx, "refund.created", re_, ctx.account)
        self.emit(ctx, "charge.refunded", ch, ctx.account,
                  {"amount_refunded": ch["amount_refunded"] - amount})
        return self.out(ctx, re_)

    def refund_get(self, ctx: Ctx, re_id: str) -> dict:
        return self.out(ctx, self.get(ctx, "refund", "refund", re_id))

    def refund_list(self, ctx: Ctx) -> dict:
        items = self.store.all("refund", ctx.account)
        for key in ("charge", "payment_intent"):
            if ctx.params.get(key):
                items = [r for r in items if r.get(key) == ctx.params[key]]
        return self.listing(ctx, "/v1/refunds", items)

    # -- invoices ---------------------------------------------------------------------------
    def invoice_create(self, ctx: Ctx) -> dict:
        p = ctx.params
        if not p.get("customer"):
            raise invalid("Missing required param: customer.", param="customer",
                          code="parameter_missing")
        cus = self._customer(ctx, p["customer"], "customer")
        method = p.get("collection_method", "charge_automatically")
        if method not in ("charge_automatically", "send_invoice"):
            raise invalid("Invalid collection_method", param="collection_method")
        if method == "send_invoice" and not p.get("days_until_due") and not p.get("due_date"):
            raise invalid("Missing required param: days_until_due.", param="days_until_due",
                          code="parameter_missing")
        if method == "charge_automatically" and (p.get("days_until_due") or p.get("due_date")):
            raise invalid("Invoices with collection_method=charge_automatically cannot have "
                          "a days_until_due or due_date.", param="days_until_due")
        inv = template("invoice")
        inv_id = new_id("in_")
        acct = self.store.get(ctx.account, "") if ctx.account else None
        inv.update(id=inv_id, created=ctx.now, customer=cus["id"], collection_method=method,
                   currency=str(p.get("currency", "usd")).lower(),
                   auto_advance=as_bool(p.get("auto_advance", False), "auto_advance"),
                   description=p.get("description"), footer=p.get("footer"),
                   default_payment_method=p.get("default_payment_method"),
                   metadata=metadata_merge({}, p.get("metadata", {})),
                   statement_descriptor=p.get("statement_descriptor"),
                   account_name=(acct or {}).get("business_profile", {}).get("name"),
                   customer_email=cus.get("email"), customer_name=cus.get("name"),
                   customer_phone=cus.get("phone"), customer_address=cus.get("address"),
                   period_start=ctx.now, period_end=ctx.now, status="draft",
                   amount_due=0, amount_paid=0, amount_remaining=0, subtotal=0, total=0,
                   subtotal_excluding_tax=0, total_excluding_tax=0, attempt_count=0,
                   attempted=False, number=None, hosted_invoice_url=None, invoice_pdf=None,
                   ending_balance=None, livemode=False, starting_balance=0,
                   automatically_finalizes_at=None, customer_account=None)
        inv["status_transitions"] = {"finalized_at": None, "marked_uncollectible_at": None,
                                     "paid_at": None, "voided_at": None}
        inv["_days_until_due"] = as_int(p["days_until_due"], "days_until_due") if p.get(
            "days_until_due") else None
        if p.get("due_date"):
            inv["due_date"] = as_int(p["due_date"], "due_date")
        elif inv["_days_until_due"] is not None:
            inv["due_date"] = ctx.now + inv["_days_until_due"] * DAY
        if inv["auto_advance"]:
            inv["automatically_finalizes_at"] = ctx.now + 3600
        inv["_payments"] = []
        inv["_token"] = new_id("", 32)
        self.store.put(inv, ctx.account)
        if p.get("pending_invoice_items_behavior") == "include":
            for ii in reversed(self.store.children("invoiceitem", "", ctx.account)):
                if ii["customer"] == cus["id"] and not ii.get("_deleted"):
                    ii["invoice"] = inv_id
                    self.store.put(ii, ctx.account)
        self._recompute(ctx.account, inv)
        self.emit(ctx, "invoice.created", inv, ctx.account)
        return self.out(ctx, inv)

    def _recompute(self, account: str, inv: dict) -> dict:
        items = [ii for ii in self.store.children("invoiceitem", inv["id"], account)
                 if not ii.get("_deleted")]
        lines = []
        for ii in items:
            line = template("line_item")
            line.update(id="il_" + ii["id"][3:], amount=ii["amount"], currency=ii["currency"],
                        description=ii["description"], discountable=ii["discountable"],
                        invoice=inv["id"], livemode=False, metadata=dict(ii["metadata"]),
                        period=ii["period"], quantity=ii["quantity"], subtotal=ii["amount"],
                        subscription=None, quantity_decimal=str(ii["quantity"]))
            line["parent"] = {"type": "invoice_item_details", "invoice_item_details": {
                "invoice_item": ii["id"], "proration": False, "proration_details":
                {"credited_items": None}, "subscription": None},
                "subscription_item_details": None}
            line["pricing"] = ii["pricing"]
            lines.append(line)
        inv["lines"] = {"object": "list", "data": lines, "has_more": False,
                        "url": f"/v1/invoices/{inv['id']}/lines"}
        total = sum(li["amount"] for li in lines)
        inv.update(subtotal=total, subtotal_excluding_tax=total, total=total,
                   total_excluding_tax=total, amount_due=total,
                   amount_remaining=max(0, total - inv["amount_paid"]))
        self.store.put(inv, account)
        return inv

    def _invoice(self, ctx: Ctx, inv_id: str, param: str = "id") -> dict:
        inv = self.get(ctx, "invoice", "invoice", inv_id, param)
        if inv.get("_deleted"):
            raise missing("invoice", inv_id, param)
        return inv

    def invoice_get(self, ctx: Ctx, inv_id: str) -> dict:
        return self.out(ctx, self._invoice(ctx, inv_id))

    def invoice_list(self, ctx: Ctx) -> dict:
        items = [i for i in self.store.all("invoice", ctx.account) if not i.get("_deleted")]
        for key in ("customer", "status", "collection_method"):
            if ctx.params.get(key):
                items = [i for i in items if i.get(key) == ctx.params[key]]
        return self.listing(ctx, "/v1/invoices", items)

    def invoice_lines(self, ctx: Ctx, inv_id: str) -> dict:
        inv = self._invoice(ctx, inv_id)
        return self.listing(ctx, f"/v1/invoices/{inv_id}/lines",
                            [{**li, "created": inv["created"]} for li in inv["lines"]["data"]])

    def invoice_update(self, ctx: Ctx, inv_id: str) -> dict:
        inv = self._invoice(ctx, inv_id)
        p = ctx.params
        draft_only = {"collection_method", "days_until_due", "currency", "number"}
        if inv["status"] != "draft":
            for key in p:
                if key in draft_only:
                    raise invalid(f"You can only update `{key}` on a draft invoice.",
                                  param=key, code="invoice_not_editable")
            if inv["status"] in ("paid", "void"):
                if set(p) - {"metadata", "expand", "description", "footer"}:
                    raise invalid(f"This invoice is {inv['status']}; only metadata, "
                                  "description and footer can be updated.",
                                  code="invoice_not_editable")
        previous: dict[str, Any] = {}
        for key in ("description", "footer", "statement_descriptor",
                    "default_payment_method", "collection_method"):
            if key in p:
                previous[key] = inv.get(key)
                inv[key] = p[key] or None
        if "auto_advance" in p:
            previous["auto_advance"] = inv["auto_advance"]
            inv["auto_advance"] = as_bool(p["auto_advance"], "auto_advance")
            inv["automatically_finalizes_at"] = (inv["created"] + 3600 if inv["auto_advance"]
                                                 and inv["status"] == "draft" else None)
        if "days_until_due" in p:
            inv["_days_until_due"] = as_int(p["days_until_due"], "days_until_due")
            previous["due_date"] = inv["due_date"]
            inv["due_date"] = ctx.now + inv["_days_until_due"] * DAY
        if "due_date" in p:
            previous["due_date"] = inv["due_date"]
            inv["due_date"] = as_int(p["due_date"], "due_date") if p["due_date"] else None
        if "metadata" in p:
            previous["metadata"] = inv["metadata"]
            inv["metadata"] = metadata_merge(inv["metadata"], p["metadata"])
        self.store.put(inv, ctx.account)
        self.emit(ctx, "invoice.updated", inv, ctx.account, previous)
        return self.out(ctx, inv)

    def invoice_delete(self, ctx: Ctx, inv_id: str) -> dict:
        inv = self._invoice(ctx, inv_id)
        if inv["status"] != "draft":
            raise invalid("You can only delete draft invoices.", code="invoice_not_editable")
        inv["_deleted"] = True
        self.store.put(inv, ctx.account)
        for ii in self.store.children("invoiceitem", inv_id, ctx.account):
            ii["_deleted"] = True
            self.store.put(ii, ctx.account)
        self.emit(ctx, "invoice.deleted", inv, ctx.account)
        return {"id": inv_id, "object": "invoice", "deleted": True}

    def invoice_finalize(self, ctx: Ctx, inv_id: str) -> dict:
        inv = self._invoice(ctx, inv_id)
        if inv["status"] != "draft":
            raise invalid("This invoice is already finalized, you can't re-finalize a "
                          "non-draft invoice.", code="invoice_not_editable")
        if "auto_advance" in ctx.params:
            inv["auto_advance"] = as_bool(ctx.params["auto_advance"], "auto_advance")
        self._finalize(ctx.account, inv, ctx.now, ctx)
        return self.out(ctx, inv)

    def _finalize(self, account: str, inv: dict, now: int, ctx: Ctx | None) -> None:
        cus = self.store.get(inv["customer"], account) or {}
        seq = cus.get("next_invoice_sequence", 1)
        cus["next_invoice_sequence"] = seq + 1
        if cus:
            self.store.put(cus, account)
        inv.update(status="open", number=f"{cus.get('invoice_prefix', 'INV')}-{seq:04d}",
                   effective_at=now, ending_balance=0, automatically_finalizes_at=None,
                   hosted_invoice_url=f"{self.base_url}/i/{account or 'platform'}/"
                                      f"{inv['_token']}",
                   invoice_pdf=f"{self.base_url}/i/{account or 'platform'}/{inv['_token']}/pdf")
        inv["status_transitions"]["finalized_at"] = now
        if inv["_days_until_due"] is not None:
            inv["due_date"] = now + inv["_days_until_due"] * DAY
        if inv["auto_advance"] and inv["collection_method"] == "charge_automatically":
            inv["next_payment_attempt"] = now + 3600
        self.store.put(inv, account)
        self.emit(ctx, "invoice.finalized", inv, account, now=now)
        if inv["amount_due"] == 0:
            self._mark_paid(account, inv, now, ctx, None)

    def _mark_paid(self, account: str, inv: dict, now: int, ctx: Ctx | None,
                   pi: dict | None) -> None:
        paid = inv["amount_remaining"]
        inv.update(status="paid", amount_paid=inv["amount_paid"] + paid, amount_remaining=0,
                   next_payment_attempt=None)
        inv["status_transitions"]["paid_at"] = now
        inv["_payments"].append({
            "id": new_id("inpay_"), "object": "invoice_payment", "amount_paid": paid,
            "amount_requested": paid, "created": now, "currency": inv["currency"],
            "invoice": inv["id"], "is_default": True, "livemode": False,
            "payment": {"type": "payment_intent", "payment_intent": pi["id"]} if pi else
            {"type": "out_of_band_payment"}, "status": "paid",
            "status_transitions": {"canceled_at": None, "paid_at": now}})
        self.store.put(inv, account)
        self.emit(ctx, "invoice.payment_succeeded", inv, account, now=now)
        self.emit(ctx, "invoice.paid", inv, account, now=now)

    def invoice_pay(self, ctx: Ctx, inv_id: str) -> dict:
        inv = self._invoice(ctx, inv_id)
        p = ctx.params
        if inv["status"] == "paid":
            raise invalid("Invoice is already paid", code="invoice_already_paid")
        if inv["status"] not in ("open", "uncollectible"):
            raise invalid(f"You can only pay an invoice that is open or uncollectible; this "
                          f"invoice is {inv['status']}.", code="invoice_not_editable"
                          if inv["status"] == "draft" else None)
        if as_bool(p.get("paid_out_of_band", False), "paid_out_of_band"):
            self._mark_paid(ctx.account, inv, ctx.now, ctx, None)
            return self.out(ctx, inv)
        off_session = as_bool(p.get("off_session", True), "off_session")
        self.pay_invoice_with(ctx, inv, p.get("payment_method"), off_session)
        return self.out(ctx, inv)

    def pay_invoice_with(self, ctx: Ctx, inv: dict, pm_ref: str | None,
                         off_session: bool) -> dict:
        """One payment attempt on an open invoice (its `pay` endpoint, the hosted page and
        automatic collection): a PaymentIntent for what remains, confirmed at once."""
        cus = self.store.get(inv["customer"], ctx.account) or {}
        ref = pm_ref or inv.get("default_payment_method") or (
            cus.get("invoice_settings") or {}).get("default_payment_method")
        if not ref:
            raise invalid("This customer has no attached payment source or default payment "
                          "method. Please consider adding a default payment method.")
        pm = self._pm(ctx, ref)
        if pm.get("customer") and pm["customer"] != inv["customer"]:
            raise invalid("The provided PaymentMethod belongs to a different Customer.",
                          param="payment_method")
        pi = template("payment_intent")
        pi_id = new_id("pi_")
        pi.update(id=pi_id, amount=inv["amount_remaining"], currency=inv["currency"],
                  created=ctx.now, customer=inv["customer"], description="Payment for Invoice",
                  client_secret=f"{pi_id}_secret_{new_id('', 24)}", metadata={},
                  payment_method=pm["id"], status="requires_confirmation",
                  amount_received=0, amount_capturable=0, latest_charge=None, livemode=False)
        pi["_off_session"] = off_session
        self.store.put(pi, ctx.account)
        self.emit(ctx, "payment_intent.created", pi, ctx.account)
        inv["attempt_count"] += 1
        inv["attempted"] = True
        try:
            self._pi_confirm(ctx, pi, off_session)
        except StripeError:
            inv["next_payment_attempt"] = None
            self.store.put(inv, ctx.account)
            self.emit(ctx, "invoice.payment_failed", inv, ctx.account)
            raise
        pi = self.store.get(pi_id, ctx.account) or pi
        if pi["status"] == "requires_action":
            inv["next_payment_attempt"] = None
            self.store.put(inv, ctx.account)
            self.emit(ctx, "invoice.payment_action_required", inv, ctx.account)
            raise StripeError(402, "card_error", cards.message_for("authentication_required"),
                              code="invoice_payment_intent_requires_action",
                              saved=True, extra={"payment_intent": self.render(pi, ctx.account)})
        self._mark_paid(ctx.account, inv, ctx.now, ctx, pi)
        return inv

    def invoice_void(self, ctx: Ctx, inv_id: str) -> dict:
        inv = self._invoice(ctx, inv_id)
        if inv["status"] not in ("open", "uncollectible"):
            raise invalid(f"You can only pass in open invoices. This invoice isn't open; it "
                          f"is {inv['status']}.", code="invoice_not_editable")
        inv.update(status="void", next_payment_attempt=None)
        inv["status_transitions"]["voided_at"] = ctx.now
        self.store.put(inv, ctx.account)
        self.emit(ctx, "invoice.voided", inv, ctx.account)
        return self.out(ctx, inv)

    def invoice_uncollectible(self, ctx: Ctx, inv_id: str) -> dict:
        inv = self._invoice(ctx, inv_id)
        if inv["status"] != "open":
            raise invalid(f"You can only mark open invoices as uncollectible. This invoice "
                          f"is {inv['status']}.", code="invoice_not_editable")
        inv.update(status="uncollectible", next_payment_attempt=None)
        inv["status_transitions"]["marked_uncollectible_at"] = ctx.now
        self.store.put(inv, ctx.account)
        self.emit(ctx, "invoice.marked_uncollectible", inv, ctx.account)
        return self.out(ctx, inv)

    def invoice_send(self, ctx: Ctx, inv_id: str) -> dict:
        inv = self._invoice(ctx, inv_id)
        if inv["status"] != "open":
            raise invalid("You can only send open invoices.", code="invoice_not_editable")
        self.emit(ctx, "invoice.sent", inv, ctx.account)
        return self.out(ctx, inv)

    # -- invoice items ----------------------------------------------------------------------
    def ii_create(self, ctx: Ctx) -> dict:
        p = ctx.params
        if not p.get("customer"):
            raise invalid("Missing required param: customer.", param="customer",
                          code="parameter_missing")
        cus = self._customer(ctx, p["customer"], "customer")
        inv = None
        if p.get("invoice"):
            inv = self._invoice(ctx, p["invoice"], "invoice")
            if inv["status"] != "draft":
                raise invalid(f"You can only add invoice items to draft invoices. Invoice "
                              f"{inv['id']} is {inv['status']}.", param="invoice",
                              code="invoice_not_editable")
            if inv["customer"] != cus["id"]:
                raise invalid("The invoice belongs to a different customer.", param="invoice")
        quantity = as_int(p.get("quantity", 1), "quantity")
        if p.get("amount") not in (None, ""):
            amount = as_int(p["amount"], "amount")
            unit = str(amount // max(quantity, 1))
        elif p.get("unit_amount_decimal") not in (None, ""):
            unit = str(p["unit_amount_decimal"])
            amount = int(round(float(unit) * quantity))
        else:
            raise invalid("Missing required param: amount.", param="amount",
                          code="parameter_missing")
        currency = str(p.get("currency") or (inv or {}).get("currency") or "usd").lower()
        period = p.get("period") or {}
        ii = template("invoiceitem")
        ii.update(id=new_id("ii_"), amount=amount, currency=currency, customer=cus["id"],
                  date=ctx.now, description=p.get("description"),
                  discountable=as_bool(p.get("discountable", True), "discountable"),
                  invoice=inv["id"] if inv else None, livemode=False,
                  metadata=metadata_merge({}, p.get("metadata", {})),
                  period={"start": as_int(period.get("start", ctx.now), "period[start]"),
                          "end": as_int(period.get("end", ctx.now), "period[end]")},
                  proration=False, quantity=quantity, net_amount=amount,
                  quantity_decimal=str(quantity), test_clock=None, customer_account=None)
        ii["pricing"] = {"type": "price_details", "unit_amount_decimal": unit}
        self.store.put(ii, ctx.account)
        if inv:
            self._recompute(ctx.account, inv)
        self.emit(ctx, "invoiceitem.created", ii, ctx.account)
        return self.out(ctx, ii)

    def _ii(self, ctx: Ctx, ii_id: str) -> dict:
        ii = self.get(ctx, "invoiceitem", "invoiceitem", ii_id)
        if ii.get("_deleted"):
            raise missing("invoiceitem", ii_id)
        return ii

    def ii_get(self, ctx: Ctx, ii_id: str) -> dict:
        return self.out(ctx, self._ii(ctx, ii_id))

    def ii_list(self, ctx: Ctx) -> dict:
        if ctx.params.get("invoice"):  # newest first, as Stripe lists
            items = list(reversed(self.store.children("invoiceitem", ctx.params["invoice"],
                                                      ctx.account)))
        else:
            items = self.store.all("invoiceitem", ctx.account)
        items = [i for i in items if not i.get("_deleted")]
        for key in ("customer", "invoice"):
            if ctx.params.get(key):
                items = [i for i in items if i.get(key) == ctx.params[key]]
        if "pending" in ctx.params:
            pending = as_bool(ctx.params["pending"], "pending")
            items = [i for i in items if (i.get("invoice") is None) == pending]
        return self.listing(ctx, "/v1/invoiceitems", items)

    def _ii_editable(self, ctx: Ctx, ii: dict) -> dict | None:
        if not ii.get("invoice"):
            return None
        inv = self.store.get(ii["invoice"], ctx.account)
        if inv and inv["status"] != "draft":
            raise invalid("Invoice items on a finalized invoice cannot be changed.",
                          code="invoice_not_editable")
        return inv

    def ii_update(self, ctx: Ctx, ii_id: str) -> dict:
        ii = self._ii(ctx, ii_id)
        inv = self._ii_editable(ctx, ii)
        p = ctx.params
        if "quantity" in p:
            ii["quantity"] = as_int(p["quantity"], "quantity")
            ii["quantity_decimal"] = str(ii["quantity"])
        if "amount" in p:
            ii["amount"] = ii["net_amount"] = as_int(p["amount"], "amount")
        if "unit_amount_decimal" in p:
            ii["pricing"]["unit_amount_decimal"] = str(p["unit_amount_decimal"])
            ii["amount"] = ii["net_amount"] = int(round(float(p["unit_amount_decimal"]) *
                                                        ii["quantity"]))
        if "description" in p:
            ii["description"] = p["description"] or None
        if "metadata" in p:
            ii["metadata"] = metadata_merge(ii["metadata"], p["metadata"])
        self.store.put(ii, ctx.account)
        if inv:
            self._recompute(ctx.account, inv)
        self.emit(ctx, "invoiceitem.updated", ii, ctx.account)
        return self.out(ctx, ii)

    def ii_delete(self, ctx: Ctx, ii_id: str) -> dict:
        ii = self._ii(ctx, ii_id)
        inv = self._ii_editable(ctx, ii)
        ii["_deleted"] = True
        self.store.put(ii, ctx.account)
        if inv:
            self._recompute(ctx.account, inv)
        self.emit(ctx, "invoiceitem.deleted", ii, ctx.account)
        return {"id": ii_id, "object": "invoiceitem", "deleted": True}

    # -- balance, payouts -------------------------------------------------------------------
    def balance_get(self, ctx: Ctx) -> dict:
        out = template("balance")
        txns = self.store.all("balance_transaction", ctx.account)
        available = sum(t["net"] for t in txns if t["status"] == "available")
        pending = sum(t["net"] for t in txns if t["status"] == "pending")
        out["available"] = [{"amount": available, "currency": "usd",
                             "source_types": {"card": available}}]
        out["pending"] = [{"amount": pending, "currency": "usd",
                           "source_types": {"card": pending}}]
        return out

    def txn_get(self, ctx: Ctx, txn_id: str) -> dict:
        return self.out(ctx, self.get(ctx, "balance_transaction", "balance transaction",
                                      txn_id))

    def txn_list(self, ctx: Ctx) -> dict:
        items = self.store.all("balance_transaction", ctx.account)
        p = ctx.params
        if p.get("payout"):
            po = self.get(ctx, "payout", "payout", p["payout"], "payout")
            items = [t for t in items if t.get("_payout") == po["id"] or t["source"] == po["id"]]
        for key in ("type", "source", "currency"):
            if p.get(key):
                items = [t for t in items if t.get(key) == p[key]]
        return self.listing(ctx, "/v1/balance_transactions", items)

    def payout_get(self, ctx: Ctx, po_id: str) -> dict:
        return self.out(ctx, self.get(ctx, "payout", "payout", po_id))

    def payout_list(self, ctx: Ctx) -> dict:
        items = self.store.all("payout", ctx.account)
        if ctx.params.get("status"):
            items = [o for o in items if o["status"] == ctx.params["status"]]
        if ctx.params.get("destination"):
            items = [o for o in items if o["destination"] == ctx.params["destination"]]
        return self.listing(ctx, "/v1/payouts", items)

    # -- events and webhook endpoints -------------------------------------------------------
    def event_get(self, ctx: Ctx, evt_id: str) -> dict:
        return self.out(ctx, self.get(ctx, "event", "event", evt_id))

    def event_list(self, ctx: Ctx) -> dict:
        items = self.store.all("event", ctx.account)
        p = ctx.params
        if p.get("type"):
            pattern = re.compile("^" + re.escape(p["type"]).replace(r"\*", ".*") + "$")
            items = [e for e in items if pattern.match(e["type"])]
        if p.get("types"):
            wanted = set(as_list(p["types"]))
            items = [e for e in items if e["type"] in wanted]
        return self.listing(ctx, "/v1/events", items)

    def we_create(self, ctx: Ctx) -> dict:
        self._platform_only(ctx)
        p = ctx.params
        for name in ("url", "enabled_events"):
            if not p.get(name):
                raise invalid(f"Missing required param: {name}.", param=name,
                              code="parameter_missing")
        if not str(p["url"]).startswith(("http://", "https://")):
            raise invalid("Invalid URL: URL must be http or https.", param="url",
                          code="url_invalid")
        we = template("webhook_endpoint")
        we.update(id=new_id("we_"), url=p["url"], created=ctx.now, status="enabled",
                  enabled_events=as_list(p["enabled_events"]), api_version=p.get(
                      "api_version"), description=p.get("description"), livemode=False,
                  metadata=metadata_merge({}, p.get("metadata", {})), application=None)
        we["_secret"] = "whsec_" + new_id("", 32)
        we["_connect"] = as_bool(p.get("connect", False), "connect")
        self.store.put(we, "")
        return {**self.out(ctx, we), "secret": we["_secret"]}

    def _we(self, ctx: Ctx, we_id: str) -> dict:
        self._platform_only(ctx)
        we = self.get(ctx, "webhook_endpoint", "webhook endpoint", we_id)
        if we.get("_deleted"):
            raise missing("webhook endpoint", we_id)
        return we

    def we_get(self, ctx: Ctx, we_id: str) -> dict:
        return self.out(ctx, self._we(ctx, we_id))

    def we_list(self, ctx: Ctx) -> dict:
        self._platform_only(ctx)
        items = [w for w in self.store.all("webhook_endpoint", "") if not w.get("_deleted")]
        return self.listing(ctx, "/v1/webhook_endpoints", items)

    def we_update(self, ctx: Ctx, we_id: str) -> dict:
        we = self._we(ctx, we_id)
        p = ctx.params
        if "url" in p:
            we["url"] = p["url"]
        if "enabled_events" in p:
            we["enabled_events"] = as_list(p["enabled_events"])
        if "description" in p:
            we["description"] = p["description"] or None
        if "metadata" in p:
            we["metadata"] = metadata_merge(we["metadata"], p["metadata"])
        if "disabled" in p:
            we["status"] = "disabled" if as_bool(p["disabled"], "disabled") else "enabled"
        self.store.put(we, "")
        return self.out(ctx, we)

    def we_delete(self, ctx: Ctx, we_id: str) -> dict:
        we = self._we(ctx, we_id)
        we["_deleted"] = True
        self.store.put(we, "")
        return {"id": we_id, "object": "webhook_endpoint", "deleted": True}

    # -- time passing -----------------------------------------------------------------------
    def tick(self, now: int) -> None:
        """What Stripe does on its own as time passes: funds become available and are paid
        out, payouts arrive, open invoices become overdue, auto-advancing invoices finalize
        and are collected, Checkout Sessions expire."""
        # Only what is due is read (the store indexes each object's next wake-up time), so a
        # request costs the same with ten invoices stored or ten thousand.
        txns: dict[str, list[dict]] = {}
        for account, t in self.store.due("balance_transaction", now):
            txns.setdefault(account, []).append(t)
        for account, due_txns in txns.items():
            self._payouts(account, now, due_txns)
        for account, po in self.store.due("payout", now):
            if po["status"] == "in_transit" and po["arrival_date"] <= now:
                po["status"] = "paid"
                self.store.put(po, account)
                self.emit(None, "payout.paid", po, account, {"status": "in_transit"},
                          now=po["arrival_date"])
        for account, due_inv in self.store.due("invoice", now):
            inv = self.store.get(due_inv["id"], account) or due_inv  # an earlier step's change
            if inv.get("_deleted"):
                continue
            if (inv["status"] == "draft" and inv["auto_advance"]
                    and inv.get("automatically_finalizes_at")
                    and inv["automatically_finalizes_at"] <= now):
                self._finalize(account, inv, inv["automatically_finalizes_at"], None)
            if (inv["status"] == "open" and inv.get("next_payment_attempt")
                    and inv["next_payment_attempt"] <= now):
                ctx = Ctx("POST", "/auto", account, {}, now, new_id("req_", 14))
                inv["next_payment_attempt"] = None
                try:
                    self.pay_invoice_with(ctx, inv, None, True)
                except StripeError:
                    pass
                for event in ctx.events:
                    self.on_event(event)
            if (inv["status"] == "open" and inv.get("due_date")
                    and inv["due_date"] <= now and not inv.get("_overdue")):
                inv["_overdue"] = True
                self.store.put(inv, account)
                self.emit(None, "invoice.overdue", inv, account, now=inv["due_date"])
        for account, cs in self.store.due("checkout.session", now):
            if cs["status"] == "open" and cs["expires_at"] <= now:
                cs["status"] = "expired"
                self.store.put(cs, account)
                self.emit(None, "checkout.session.expired", cs, account,
                          now=cs["expires_at"])

    def _payouts(self, account: str, now: int, txns: list[dict]) -> None:
        """`txns`: the account's balance transactions that are due (see `store.wake_at`)."""
        for t in txns:
            if t["status"] == "pending" and t["available_on"] <= now:
                t["status"] = "available"
                self.store.put(t, account)
        acct = self.store.get(account, "") if account else None
        if acct is None or not acct.get("payouts_enabled"):
            return
        due = [t for t in txns if t["status"] == "available" and t.get("_payout") is None
               and t["type"] in ("charge", "refund")]
        amount = sum(t["net"] for t in due)
        if not due or amount <= 0:
            return
        when = max(t["available_on"] for t in due)
        bank = (acct["external_accounts"]["data"] or [{}])[0]
        po = template("payout")
        po_id = new_id("po_")
        txn = self._txn(account, amount=-amount, fee=0, source=po_id, type_="payout",
                        now=when, description="STRIPE PAYOUT", available_on=when,
                        status="available")
        txn["_payout"] = po_id
        self.store.put(txn, account)
        po.update(id=po_id, amount=amount, arrival_date=when + ARRIVAL_DAYS * DAY,
                  automatic=True, balance_transaction=txn["id"], created=when,
                  currency="usd", destination=bank.get("id"), status="in_transit",
                  livemode=False, method="standard", reconciliation_status="in_progress",
                  source_type="card", type="bank_account", statement_descriptor=None)
        self.store.put(po, account)
        for t in due:
            t["_payout"] = po_id
            self.store.put(t, account)
        self.emit(None, "payout.created", po, account, now=when)
