"""A seeded practice with client data of every kind the screens show (clients, sessions,
claims and their 837s, invoices and their emails, an ERA, an eligibility check), and the
client-data detector the audit coverage walk uses to tell which responses disclosed whom."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field

from oasys.billing.readiness import Route, billing_queue
from oasys.billing.services import billing_submit
from oasys.claims.models import Claim
from oasys.clients.models import Client, InsurancePolicy
from oasys.core.audit import AuditContext
from oasys.core.models import Practice, User
from oasys.demo.seed import GROUP_EMAIL, SOLO_EMAIL, seed_demo
from oasys.eligibility.services import eligibility_check_run
from oasys.invoices.tests.pdftext import pdf_read
from oasys.practice.models import ProviderProfile
from oasys.remittance.services import era_import
from oasys.remittance.tests.helpers import copay_claim, era


@dataclass
class PhiWorld:
    practice: Practice
    owner: User
    other_practice: Practice
    other_owner: User
    clients: dict[int, Client] = field(default_factory=dict)
    member_ids: dict[str, int] = field(default_factory=dict)  # member id -> client id


def phi_world_build() -> PhiWorld:
    """Both demo practices; Serenity also bills claims and invoices, posts an ERA for two of
    the claims and checks one client's eligibility (the fake clearinghouse answers)."""
    seed_demo()
    practice = Practice.objects.get(slug="serenity")
    owner = User.objects.get(email=SOLO_EMAIL)
    ctx = AuditContext.system(practice_id=practice.pk, source="tests")
    items = [i for i in billing_queue(practice=practice) if i.ready]
    claims = [i.appointment.pk for i in items if i.route == Route.CLAIM][:4]
    invoices = [i.appointment.pk for i in items if i.route == Route.INVOICE][:3]
    billing_submit(practice=practice, appointment_ids=claims + invoices, ctx=ctx)
    billed = list(Claim.objects.filter(practice=practice).order_by("pk")[:2])
    npi = ProviderProfile.objects.get(practice=practice).npi
    era_import(practice=practice, raw=era([copay_claim(c) for c in billed], payee_npi=npi),
               ctx=ctx)
    policy = next(p for p in InsurancePolicy.objects.filter(client__practice=practice)
                  .exclude(payer=None).order_by("pk") if p.member_id)  # encrypted: no SQL
    eligibility_check_run(policy=policy, ctx=ctx)
    world = PhiWorld(practice=practice, owner=owner,
                     other_practice=Practice.objects.get(slug="harbor"),
                     other_owner=User.objects.get(email=GROUP_EMAIL))
    world.clients = {c.pk: c for c in Client.objects.filter(practice=practice)}
    for pk, member in InsurancePolicy.objects.filter(client__practice=practice).values_list(
            "client_id", "member_id"):
        if len(member) >= 6:  # shorter ones could match anything
            world.member_ids[member] = pk
    return world


def _json_people(value: object, people: set, client_ids: set) -> None:
    """Collect every (first_name, last_name) pair of the objects in a JSON document, and
    every client id a record is about (`client_id`: its claim, session, invoice...)."""
    if isinstance(value, dict):
        if isinstance(value.get("first_name"), str) and isinstance(value.get("last_name"), str):
            people.add((value["first_name"], value["last_name"]))
        if isinstance(value.get("client_id"), int):
            client_ids.add(value["client_id"])
        for v in value.values():
            _json_people(v, people, client_ids)
    elif isinstance(value, list):
        for v in value:
            _json_people(v, people, client_ids)


def response_text(content: bytes, content_type: str) -> str:
    """What a person sees of a response: a PDF's painted text, or the decoded body."""
    if "pdf" in content_type:
        return pdf_read(content).text
    return content.decode(errors="replace")


def clients_shown(world: PhiWorld, body: str, *, content_type: str = "") -> set[int]:
    """The seeded clients whose name (as screens, JSON and X12 write it), member id or email
    address is in `body`; a JSON record naming one by `client_id` counts (it is about them)."""
    shown: set[int] = set()
    people: set[tuple[str, str]] = set()
    if "json" in content_type:
        ids: set[int] = set()
        try:
            _json_people(json.loads(body), people, ids)
        except ValueError:
            pass
        shown.update(i for i in ids if i in world.clients)
    upper = body.upper()
    for pk, c in world.clients.items():
        first, last = c.first_name, c.last_name
        forms = (f"{first} {last}", f"{last}, {first}")
        if (first, last) in people or any(
                f in body or html.escape(f) in body for f in forms) or (
                f"*{last.upper()}*{first.upper()}" in upper):
            shown.add(pk)
        if c.email and (c.email in body or html.escape(c.email) in body):
            shown.add(pk)
    for member, pk in world.member_ids.items():
        if member in body:
            shown.add(pk)
    return shown
