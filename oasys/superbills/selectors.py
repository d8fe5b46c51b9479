"""Reads for superbills: the sessions a superbill may state, what the client paid for each
(from the journal), the list, and everything one PDF shows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, QuerySet

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.claims.models import Claim
from oasys.clients.diagnoses import diagnosis_description
from oasys.clients.models import Client, Diagnosis, InsurancePolicy, PricingRule
from oasys.clients.pricing import charge_for
from oasys.core.models import Practice
from oasys.core.money import ZERO, money
from oasys.core.timezones import practice_date, practice_zone
from oasys.invoices.models import InvoiceLine, InvoiceStatus
from oasys.ledger.selectors import invoice_figures
from oasys.practice.models import Clinician, ProviderProfile

from .cpt import cpt_description
from .models import Superbill, SuperbillKind, SuperbillLine


def superbill_list(*, practice: Practice) -> QuerySet[Superbill]:
    return (Superbill.objects.filter(practice=practice)
            .select_related("client", "practice")
            .prefetch_related(Prefetch("lines", queryset=SuperbillLine.objects.order_by(
                "service_date", "pk"))))


def superbill_client_list(*, practice: Practice) -> QuerySet[Client]:
    return Client.objects.filter(practice=practice, is_draft=False).order_by(
        "last_name", "first_name")


# --- eligible sessions -------------------------------------------------------------------------


@dataclass(slots=True)
class EligibleSession:
    """One completed session a superbill may state, with the figures it would state."""

    appointment: Appointment
    service_date: dt.date
    cpt_code: str
    description: str
    fee: Decimal | None  # None: neither the client's price nor the service type's rate
    paid: Decimal
    diagnosis_codes: list[str]
    on_superbill: str = ""  # the number of the non-void superbill already stating it

    @property
    def selectable(self) -> bool:
        # a session with no fee would be stated as $0.00 billed, which a payer reads as
        # nothing owed: it waits until the practice sets a price
        return not self.on_superbill and self.fee is not None


def _day_bounds(practice: Practice, date_from: dt.date, date_to: dt.date):
    zone = practice_zone(practice)
    start = dt.datetime.combine(date_from, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def eligible_sessions(*, practice: Practice, client_ids: Iterable[int], date_from: dt.date,
                      date_to: dt.date, appointment_ids: Iterable[int] | None = None,
                      ) -> list[EligibleSession]:
    """Completed sessions of the clients between the dates (the practice's calendar days,
    inclusive) that were not billed to insurance: no claim was ever made for them. Those
    already on a non-void superbill are included and marked (`on_superbill`)."""
    start, end = _day_bounds(practice, date_from, date_to)
    qs = (Appointment.objects.filter(practice=practice, client_id__in=list(client_ids),
                                     status=AppointmentStatus.COMPLETED,
                                     start__gte=start, start__lt=end)
          .exclude(Exists(Claim.objects.filter(appointment_id=OuterRef("pk"))))
          .select_related("client", "service_type", "clinician")
          .order_by("client__last_name", "client__first_name", "client_id", "start", "pk"))
    if appointment_ids is not None:
        qs = qs.filter(pk__in=list(appointment_ids))
    appts = list(qs)
    return _figures_for(practice=practice, appts=appts)


def _figures_for(*, practice: Practice, appts: list[Appointment]) -> list[EligibleSession]:
    ids = [a.pk for a in appts]
    client_ids = {a.client_id for a in appts}
    invoiced = {line.appointment_id: line for line in InvoiceLine.objects.filter(
        practice=practice, appointment_id__in=ids).exclude(invoice__status=InvoiceStatus.VOID)}
    rules = {(r.client_id, r.service_type_id): r for r in PricingRule.objects.filter(
        practice=practice, client_id__in=client_ids)}
    diagnoses: dict[int, list[str]] = {}
    for d in Diagnosis.objects.filter(practice=practice, client_id__in=client_ids).order_by(
            "client_id", "position"):
        diagnoses.setdefault(d.client_id, []).append(d.code)
    on_superbill = dict(SuperbillLine.objects.filter(
        practice=practice, appointment_id__in=ids, current=True)
        .values_list("appointment_id", "superbill__number"))
    paid = session_paid_amounts(practice=practice, appointment_ids=ids)
    out = []
    for a in appts:
        line = invoiced.get(a.pk)
        if line is not None:  # what the client was billed is what the statement says
            fee, cpt = money(line.amount), line.cpt_code
        else:
            amount, cpt = charge_for(service_type=a.service_type,
                                     rule=rules.get((a.client_id, a.service_type_id)))
            fee = amount
        out.append(EligibleSession(
            appointment=a, service_date=practice_date(a.start, practice), cpt_code=cpt,
            description=cpt_description(cpt, fallback=a.service_type.name), fee=fee,
            paid=paid.get(a.pk, ZERO), diagnosis_codes=diagnoses.get(a.client_id, []),
            on_superbill=on_superbill.get(a.pk, "")))
    return out


def session_paid_amounts(*, practice: Practice, appointment_ids: Iterable[int],
                         ) -> dict[int, Decimal]:
    """What the client paid for each session: the journal's paid figure of the invoice that
    billed it (ledger.selectors.invoice_figures), given to the invoice's lines in line order,
    each line at most its amount. An invoice of one session gives it all it was paid; a
    session never invoiced was paid nothing."""
    ids = list(appointment_ids)
    invoice_ids = set(InvoiceLine.objects.filter(practice=practice, appointment_id__in=ids)
                      .values_list("invoice_id", flat=True))
    left = {i: f.paid for i, f in
            invoice_figures(practice=practice, invoice_ids=invoice_ids).items()}
    wanted = set(ids)
    paid: dict[int, Decimal] = {}
    for line in (InvoiceLine.objects.filter(practice=practice, invoice_id__in=invoice_ids)
                 .order_by("invoice_id", "pk")):
        share = max(ZERO, min(money(line.amount), left.get(line.invoice_id, ZERO)))
        left[line.invoice_id] = left.get(line.invoice_id, ZERO) - share
        if line.appointment_id in wanted:
            paid[line.appointment_id] = money(share)
    return paid


# --- the statement -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    service_date: dt.date
    cpt_code: str
    description: str
    modifiers: list[str]
    place_of_service: str
    units: int
    diagnoses: list[tuple[str, str]]  # (code, description)
    fee: Decimal
    paid: Decimal
    clinician_id: int


@dataclass(frozen=True)
class Provider:
    name: str
    credentials: str
    npi: str
    license_number: str
    license_state: str
    taxonomy_code: str


@dataclass(frozen=True)
class Statement:
    """Everything one superbill PDF shows, built from a superbill or from a draft (preview)."""

    number: str
    statement_date: dt.date
    period_start: dt.date
    period_end: dt.date
    practice_name: str
    profile: ProviderProfile | None
    client: Client
    member_id: str
    providers: list[Provider]
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def total_fee(self) -> Decimal:
        return money(sum((ln.fee for ln in self.lines), ZERO))

    @property
    def total_paid(self) -> Decimal:
        return money(sum((ln.paid for ln in self.lines), ZERO))

    @property
    def balance(self) -> Decimal:
        return money(self.total_fee - self.total_paid)


def _member_id(*, practice: Practice, client: Client) -> str:
    policy = (InsurancePolicy.objects.filter(practice=practice, client=client, is_active=True)
              .order_by("priority").first())  # "primary" sorts before "secondary"
    return policy.member_id if policy else ""


def _providers(*, practice: Practice, clinician_ids: Iterable[int]) -> list[Provider]:
    return [Provider(name=f"{c.first_name} {c.last_name}", credentials=c.credentials,
                     npi=c.npi, license_number=c.license_number,
                     license_state=c.license_state, taxonomy_code=c.taxonomy_code)
            for c in Clinician.objects.filter(practice=practice, pk__in=set(clinician_ids))
            .order_by("last_name", "first_name")]


def _diagnoses(codes: list[str]) -> list[tuple[str, str]]:
    return [(c, diagnosis_description(c)) for c in codes]


def statement_for(*, superbill: Superbill) -> Statement:
    """A made superbill as its PDF shows it: the lines as stated, what was paid from the
    journal now."""
    practice = superbill.practice
    lines = list(superbill.lines.select_related("appointment").order_by("service_date", "pk"))
    paid = session_paid_amounts(practice=practice,
                                appointment_ids=[ln.appointment_id for ln in lines])
    return Statement(
        number=superbill.number, statement_date=superbill.statement_date,
        period_start=superbill.period_start, period_end=superbill.period_end,
        practice_name=practice.name,
        profile=ProviderProfile.objects.filter(practice=practice).first(),
        client=superbill.client, member_id=_member_id(practice=practice, client=superbill.client),
        providers=_providers(practice=practice,
                             clinician_ids=[ln.appointment.clinician_id for ln in lines]),
        lines=[StatementLine(
            service_date=ln.service_date, cpt_code=ln.cpt_code, description=ln.description,
            modifiers=ln.modifier_list, place_of_service=ln.place_of_service, units=ln.units,
            diagnoses=_diagnoses(ln.diagnosis_list), fee=money(ln.fee),
            paid=paid.get(ln.appointment_id, ZERO), clinician_id=ln.appointment.clinician_id)
            for ln in lines])


def statement_draft(*, practice: Practice, client: Client, sessions: list[EligibleSession],
                    number: str, statement_date: dt.date, period_start: dt.date,
                    period_end: dt.date) -> Statement:
    """The statement a superbill of `sessions` would be (the preview, before anything is
    made)."""
    return Statement(
        number=number, statement_date=statement_date, period_start=period_start,
        period_end=period_end, practice_name=practice.name,
        profile=ProviderProfile.objects.filter(practice=practice).first(), client=client,
        member_id=_member_id(practice=practice, client=client),
        providers=_providers(practice=practice,
                             clinician_ids=[s.appointment.clinician_id for s in sessions]),
        lines=[StatementLine(
            service_date=s.service_date, cpt_code=s.cpt_code, description=s.description,
            modifiers=s.appointment.modifier_list,
            place_of_service=s.appointment.place_of_service, units=1,
            diagnoses=_diagnoses(s.diagnosis_codes), fee=s.fee, paid=s.paid,
            clinician_id=s.appointment.clinician_id) for s in sessions])


def superbill_groups(*, sessions: list[EligibleSession], kind: str,
                     ) -> list[list[EligibleSession]]:
    """How the chosen sessions become superbills: one per session, or one per client."""
    if kind == SuperbillKind.INDIVIDUAL:
        return [[s] for s in sessions]
    by_client: dict[int, list[EligibleSession]] = {}
    for s in sessions:
        by_client.setdefault(s.appointment.client_id, []).append(s)
    return list(by_client.values())


def superbill_preview(*, practice: Practice, client_ids: Iterable[int], date_from: dt.date,
                      date_to: dt.date, kind: str, appointment_ids: Iterable[int],
                      today: dt.date) -> list[Statement]:
    """The statements Create would make of the ticked sessions, numbered "PREVIEW" (nothing
    is made). Sessions already on a superbill are left out, as Create refuses them."""
    sessions = [s for s in eligible_sessions(
        practice=practice, client_ids=client_ids, date_from=date_from, date_to=date_to,
        appointment_ids=appointment_ids) if s.selectable]
    individual = kind == SuperbillKind.INDIVIDUAL
    return [statement_draft(
        practice=practice, client=group[0].appointment.client, sessions=group,
        number="PREVIEW", statement_date=today,
        period_start=group[0].service_date if individual else date_from,
        period_end=group[-1].service_date if individual else date_to)
        for group in superbill_groups(sessions=sessions, kind=kind)]
