"""Every read that shows client data names the clients it showed: walk every URL pattern and
every API GET route as the owner of a seeded practice, find which responses disclose a seeded
client (by name or member id), and prove each such request wrote an audit read row naming
every one of those clients by id."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable

import pytest
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from oasys.appointments.models import Appointment
from oasys.autobilling.models import BillingRun
from oasys.autobilling.services import autobilling_settings_update, billing_run_start
from oasys.claims.models import Claim
from oasys.clearinghouse.models import EdiFile
from oasys.clients.models import Client, InsurancePolicy, PricingRule
from oasys.core.audit import AuditContext
from oasys.core.models import ApiToken, AuditAction, AuditEvent, SentEmail
from oasys.core.tests.phi_world import (
    PhiWorld,
    clients_shown,
    phi_world_build,
    response_text,
)
from oasys.core.tests.routes import api_routes
from oasys.core.tests.test_tenancy import _walk
from oasys.eligibility.models import EligibilityCheck
from oasys.invoices.models import Invoice
from oasys.practice.models import AcceptedPayer, Clinician, ExtraServiceCode, ServiceType
from oasys.remittance.models import Remittance, RemittanceClaim

pytestmark = pytest.mark.django_db

SKIP_PREFIXES = ("static/", "api/v1/")
NO_GET = ("logout",)  # a GET would end the walk's session


def _first(model, world: PhiWorld, **filters) -> int | None:
    return model.objects.filter(practice=world.practice, **filters).values_list(
        "pk", flat=True).order_by("pk").first()


def _client_with(model, world: PhiWorld) -> dict | None:
    row = model.objects.filter(practice=world.practice).order_by("pk").first()
    return None if row is None else {"pk": row.client_id, "sub": row.pk}


# What fills each parameterized URL: a route's kwargs of one seeded object, or None where
# nothing of the seeded world fits (tokens sent by email, a payout at the processor).
def _pk(model, **filters) -> Callable[[PhiWorld], dict | None]:
    def fill(world: PhiWorld) -> dict | None:
        pk = _first(model, world, **filters)
        return None if pk is None else {"pk": pk}
    return fill


HTML_FILL: dict[str, Callable[[PhiWorld], dict | None]] = {
    "practice:accepted_payer": _pk(AcceptedPayer),
    "practice:accepted_payer_remove": _pk(AcceptedPayer),
    "practice:service_type_edit": _pk(ServiceType),
    "practice:service_code_remove": lambda w: None,  # POST only: removes, then a redirect
    "practice:clinician_edit": _pk(Clinician),
    "clients:": _pk(Client, is_draft=False),
    "clients:policy_edit": lambda w: _client_with(InsurancePolicy, w),
    "clients:pricing_rule_edit": lambda w: _client_with(PricingRule, w),
    "wizard:": _pk(Client, is_draft=False),
    "wizard:card": lambda w: None,  # no card image in the seeded world
    "appointments:": _pk(Appointment),
    "claims:": _pk(Claim),
    "claims:appeal_letter": lambda w: None,  # no appeal in the seeded world
    "invoices:": _pk(Invoice),
    "estimates:": _pk(Client, is_draft=False),  # an estimate's own routes: none seeded
    "invoices:receipt": lambda w: None,  # no payment in the seeded world
    "invoices:client_panel": lambda w: {"client_pk": Invoice.objects.filter(
        practice=w.practice).order_by("pk").first().client_id},
    "invoices:batch": lambda w: None,
    "invoices:batch_progress": lambda w: None,
    "invoices:batch_resume": lambda w: None,
    "clearinghouse:file": lambda w: {"pk": EdiFile.objects.filter(
        practice=w.practice).order_by("pk").values_list("pk", flat=True).first()},
    "clearinghouse:enrollment_submit": lambda w: None,
    "eligibility:client_checks": lambda w: {"pk": EligibilityCheck.objects.filter(
        practice=w.practice).first().client_id},
    "eligibility:run": lambda w: {"pk": EligibilityCheck.objects.filter(
        practice=w.practice).first().client_id},
    "eligibility:detail": lambda w: {"check_pk": _first(EligibilityCheck, w)},
    "remittance:detail": _pk(Remittance),
    "remittance:claim_invoice": _pk(RemittanceClaim),
    "remittance:invoice_client_shares": lambda w: None,  # POST only: invoices, then a redirect
    "remittance:review_decide": lambda w: None,  # no payment review in the seeded world
    "remittance:decide": lambda w: None,  # POST only: a held ERA's decision, then a redirect
    "operator:": lambda w: None,  # the operator console: staff only, counts and no client data
    "ledger:client": _pk(Client, is_draft=False),
    "statements:client": _pk(Client, is_draft=False),
    "superbills:": lambda w: None,  # a superbill's own routes: none in the seeded world
    "outbox:": _pk(SentEmail),
    "autobilling:": _pk(BillingRun),
    "payments:payout": lambda w: None,
    "payments:client_card": _pk(Client, is_draft=False),
    "payments:client_card_request": _pk(Client, is_draft=False),
    "payments:client_card_request_cancel": lambda w: None,
    "payments:client_card_remove": _pk(Client, is_draft=False),
    "payments_public:": lambda w: None,  # a link sent to a client, not a practice page
    "accounts:": lambda w: None,  # tokens and team members: no client data
}


def _html_fill(world: PhiWorld, name: str, route: str) -> dict | None:
    fill = HTML_FILL.get(name) or HTML_FILL.get(name.split(":")[0] + ":")
    assert fill is not None, f"{route} ({name}): say in HTML_FILL what fills it"
    kwargs = fill(world)
    if kwargs is None:
        return None
    params = re.findall(r"<(?:\w+:)?(\w+)>", route)
    kwargs = dict(kwargs)
    if "sub" in kwargs:
        sub = kwargs.pop("sub")
        kwargs.update({p: sub for p in params if p != "pk"})
    if "step" in params:
        kwargs["step"] = "client"
    if "action" in params:
        kwargs["action"] = "status"
    if not all(p in kwargs and kwargs[p] is not None for p in params):
        return None
    return kwargs


def _read_clients(since: int, world: PhiWorld) -> tuple[int, set[int]]:
    """How many read rows the request wrote, and the client ids they name."""
    rows = AuditEvent.objects.filter(pk__gt=since, practice_id_ref=world.practice.pk,
                                     action__in=(AuditAction.READ, AuditAction.EXPORT))
    named: set[int] = set()
    count = 0
    for client_id, detail in rows.values_list("client_id_ref", "detail"):
        count += 1
        if client_id is not None:
            named.add(client_id)
        named.update((detail or {}).get("client_ids") or [])
    return count, named


def _last_event() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


@pytest.fixture
def world(db) -> PhiWorld:
    world = phi_world_build()
    ctx = AuditContext.system(practice_id=world.practice.pk)
    autobilling_settings_update(practice=world.practice, ctx=ctx, data={"enabled": True})
    billing_run_start(practice=world.practice, ctx=ctx)
    return world


def _get(http: HttpClient, url: str):
    resp = http.get(url)
    content = b"".join(resp.streaming_content) if getattr(resp, "streaming", False) else (
        resp.content)
    return resp, response_text(content, resp.get("Content-Type", ""))


def _coverage(world: PhiWorld, http: HttpClient, urls: list[tuple[str, str]]) -> dict:
    """Request each url; answer the figures and the gaps."""
    phi, logged, gaps = [], [], []
    for label, url in urls:
        since = _last_event()
        resp, body = _get(http, url)
        assert resp.status_code < 500, f"GET {url} -> {resp.status_code}"
        shown = clients_shown(world, body, content_type=resp.get("Content-Type", ""))
        if not shown:
            continue
        phi.append(label)
        count, named = _read_clients(since, world)
        if count and shown <= named:
            logged.append(label)
        else:
            gaps.append(f"{label}: shows {len(shown)} clients, {count} read rows name "
                        f"{len(shown & named)} of them")
    return {"phi": phi, "logged": logged, "gaps": gaps}


def _html_urls(world: PhiWorld) -> list[tuple[str, str]]:
    urls = []
    for route, _pattern in _walk(get_resolver().url_patterns):
        if route.startswith(SKIP_PREFIXES) or any(n in route for n in NO_GET):
            continue
        if "<" not in route:
            urls.append((route, "/" + route))
            continue
        name = _pattern_name(route)
        kwargs = _html_fill(world, name, route)
        if kwargs is not None:
            urls.append((route, reverse(name, kwargs=kwargs)))
    return urls


def _named(resolvers, prefix="", ns=""):
    """(route, namespaced name) of every URL pattern, as `_walk` gives the routes."""
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            sub = f"{ns}{entry.namespace}:" if entry.namespace else ns
            yield from _named(entry.url_patterns, prefix + str(entry.pattern), sub)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), ns + (entry.name or "")


def _pattern_name(route: str) -> str:
    """The namespaced name of the URL pattern whose route is `route`."""
    return dict(_named(get_resolver().url_patterns))[route]


API_FILL: dict[str, Callable[[PhiWorld], int | None]] = {
    "appointment_id": lambda w: _first(Appointment, w),
    "claim_id": lambda w: _first(Claim, w),
    "pk": lambda w: EdiFile.objects.filter(practice=w.practice).order_by("pk").values_list(
        "pk", flat=True).first(),
    "client_id": lambda w: _first(Client, w, is_draft=False),
    "check_id": lambda w: _first(EligibilityCheck, w),
    "invoice_id": lambda w: _first(Invoice, w),
    "remittance_id": lambda w: _first(Remittance, w),
    "run_id": lambda w: _first(BillingRun, w),
    "accepted_payer_id": lambda w: _first(AcceptedPayer, w),
    "clinician_id": lambda w: _first(Clinician, w),
    "service_type_id": lambda w: _first(ServiceType, w),
    "service_code_id": lambda w: _first(ExtraServiceCode, w),
    "payout_id": lambda w: None,
    "gfe_id": lambda w: None,  # no good-faith estimate in the seeded world
    "superbill_id": lambda w: None,  # no superbill in the seeded world
}


def _api_urls(world: PhiWorld) -> list[tuple[str, str]]:
    urls = []
    for method, route in api_routes():
        if method != "GET":
            continue
        params = re.findall(r"\{(\w+)\}", route)
        values = {p: API_FILL[p](world) for p in params}
        if any(v is None for v in values.values()):
            continue
        url = "/api/v1/" + route.format(**values)
        urls.append((f"GET /api/v1/{route}", url))
    return urls


def audit_coverage(world: PhiWorld) -> dict:
    """The walk itself, as the owner: HTML pages by session, API routes by bearer token."""
    html = HttpClient()
    html.force_login(world.owner)
    key = "oas_" + secrets.token_urlsafe(24)
    ApiToken.objects.create(user=world.owner, key_hash=ApiToken.hash_key(key), prefix=key[:8])
    api = HttpClient(headers={"Authorization": f"Bearer {key}"})
    pages = _coverage(world, html, _html_urls(world))
    routes = _coverage(world, api, _api_urls(world))
    return {k: pages[k] + routes[k] for k in pages}


def test_every_route_that_shows_a_client_audits_a_read_naming_them(world, capsys):
    figures = audit_coverage(world)
    with capsys.disabled():
        print(f"\naudit coverage: {len(figures['phi'])} routes show client data, "
              f"{len(figures['logged'])} log reads naming the clients shown")
        for gap in figures["gaps"]:
            print("  no read naming them:", gap)
    assert len(figures["phi"]) > 40  # the walk really saw client data
    assert figures["gaps"] == []
