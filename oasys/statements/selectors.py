"""A client's statement for a period, read off the journal (oasys.ledger) and nothing else.

The statement follows the client's account as a whole: what is owed on their sessions by
anyone, the client's receivable and their insurance's receivable together. Charges raise
it; insurance payments, client payments and adjustments lower it; the moves between the two
receivables (the client's share after insurance, a share billed to the secondary payer)
leave it unchanged and are listed without an amount. What the account owes at the end is
split into what insurance still owes and the balance due, which is the client's receivable:
the figure the client's page and ledger page show (`ledger.selectors.client_balance`).

Every row is one journal entry of the client (`journal_entry_list`, the entries the ledger
page lists), dated by when it was posted, in the practice's time zone."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from oasys.clients.models import Client
from oasys.core.errors import InvalidInput
from oasys.core.formats import date_text
from oasys.core.models import Practice
from oasys.core.money import ZERO, money
from oasys.core.timezones import practice_today, practice_zone
from oasys.ledger.models import Account, EntryType, JournalEntry
from oasys.ledger.selectors import journal_entry_list

from .models import StatementSettings

E = EntryType
ACCOUNTS = (Account.AR_CLIENT, Account.AR_INSURANCE)

# The statement's sections, in the order they are listed.
CHARGES = "charges"
INSURANCE_PAYMENTS = "insurance_payments"
CLIENT_PAYMENTS = "client_payments"
ADJUSTMENTS = "adjustments"
TRANSFERS = "transfers"  # between the two receivables: no amount on the account
SECTIONS = (CHARGES, INSURANCE_PAYMENTS, CLIENT_PAYMENTS, ADJUSTMENTS)
SECTION_TITLES = {CHARGES: "Charges", INSURANCE_PAYMENTS: "Insurance payments",
                  CLIENT_PAYMENTS: "Your payments", ADJUSTMENTS: "Adjustments"}

_SECTION_OF = {
    E.CHARGE: CHARGES,
    E.INSURANCE_PAYMENT: INSURANCE_PAYMENTS,
    E.CLIENT_PAYMENT: CLIENT_PAYMENTS,
    E.REFUND: CLIENT_PAYMENTS,
    E.CLIENT_RESPONSIBILITY: TRANSFERS,
    E.SHARE_INVOICED: TRANSFERS,
    E.SECONDARY_HOLD: TRANSFERS,
}

# The longest period a statement covers (a mistyped year would read the whole journal).
MAX_DAYS = 366 * 3


@dataclass(frozen=True)
class StatementRow:
    date: dt.date
    section: str
    description: str
    amount: Decimal | None  # the change to the account; None for a move between receivables
    to_client: Decimal = ZERO  # the change to what the client owes


@dataclass
class Statement:
    client: Client
    period_start: dt.date
    period_end: dt.date
    statement_date: dt.date
    opening: Decimal  # the account before the period (client and insurance)
    opening_client: Decimal  # of which the client owed
    rows: list[StatementRow] = field(default_factory=list)
    insurance_owes: Decimal = ZERO  # at the end of the period
    balance_due: Decimal = ZERO  # the client's receivable at the end of the period

    def total(self, section: str) -> Decimal:
        return money(sum((r.amount for r in self.rows if r.section == section
                          and r.amount is not None), ZERO))

    @property
    def totals(self) -> dict[str, Decimal]:
        return {s: self.total(s) for s in SECTIONS}

    @property
    def closing(self) -> Decimal:
        """Opening plus the period's rows; equals insurance_owes + balance_due."""
        return money(self.opening + sum(self.totals.values(), ZERO))


def statement_period_parse(*, start: str | None, end: str | None) -> tuple[dt.date, dt.date]:
    """The period of a request (ISO dates, both required, start on or before end, at most
    three years); InvalidInput naming what is wrong otherwise."""
    errors: dict[str, str] = {}
    days: dict[str, dt.date] = {}
    for name, raw in (("from", start), ("to", end)):
        text = (raw or "").strip()
        if not text:
            errors[name] = "Give the date, as YYYY-MM-DD."
            continue
        try:
            days[name] = dt.date.fromisoformat(text)
        except ValueError:
            errors[name] = "Not a date: write it as YYYY-MM-DD."
    if not errors:
        if days["from"] > days["to"]:
            errors["to"] = "The period ends before it starts."
        elif (days["to"] - days["from"]).days > MAX_DAYS:
            errors["to"] = "A statement covers at most three years."
    if errors:
        raise InvalidInput(errors)
    return days["from"], days["to"]


def _day_start(day: dt.date, practice: Practice) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=practice_zone(practice))


def _net(entry: JournalEntry) -> dict[str, Decimal]:
    out = {a: ZERO for a in ACCOUNTS}
    for line in entry.lines.all():
        if line.account in out:
            out[line.account] += line.debit - line.credit
    return out


def _description(entry: JournalEntry) -> str:
    """What the client reads: the kind of entry and the claim or invoice it is about (never
    the staff's memo, which may hold a write-off's reason, nor a diagnosis)."""
    claim = entry.claim
    invoice = entry.invoice
    session = (f"session of {date_text(claim.service_date)}" if claim is not None
               and claim.service_date else "session")
    t = entry.entry_type
    if t == E.CHARGE:
        if invoice is not None:
            return f"Invoice {invoice.number}"
        return f"Charge for the {session}, billed to your insurance"
    if t == E.INSURANCE_PAYMENT:
        payer = entry.remittance.payer_name if entry.remittance is not None else ""
        return f"Insurance payment{' from ' + payer if payer else ''} for the {session}"
    if t == E.CONTRACTUAL_ADJUSTMENT:
        return f"Insurance contractual adjustment for the {session}"
    if t == E.CLIENT_RESPONSIBILITY:
        return f"Your share after insurance for the {session}"
    if t == E.SHARE_INVOICED:
        return f"Your share for the {session} billed on invoice {invoice.number}" \
            if invoice is not None else f"Your share for the {session} invoiced"
    if t == E.SECONDARY_HOLD:
        return f"Your share for the {session} billed to your secondary insurance"
    if t == E.CLIENT_PAYMENT:
        return f"Payment on invoice {invoice.number}. Thank you" if invoice is not None \
            else "Payment. Thank you"
    if t == E.REFUND:
        return f"Refund on invoice {invoice.number}" if invoice is not None else "Refund"
    if t == E.WRITE_OFF:
        return (f"Balance written off on invoice {invoice.number}" if invoice is not None
                else f"Balance written off for the {session}")
    if t == E.INVOICE_VOID:
        return f"Invoice {invoice.number} voided" if invoice is not None else "Invoice voided"
    if t == E.REVERSAL:
        about = f"invoice {invoice.number}" if invoice is not None else f"the {session}"
        return f"Correction on {about}"
    return entry.get_entry_type_display()


def _section(entry: JournalEntry, amount: Decimal) -> str:
    section = _SECTION_OF.get(entry.entry_type)
    if section == TRANSFERS and amount:
        return ADJUSTMENTS  # never seen: a move between receivables nets to zero
    if section is None:
        # contractual adjustments, write-offs, voids, reversals: what lowers (or, reversed,
        # raises) the account without being a charge or a payment
        return ADJUSTMENTS
    return section


def statement_build(*, practice: Practice, client: Client, period_start: dt.date,
                    period_end: dt.date, statement_date: dt.date | None = None) -> Statement:
    """The client's statement for `period_start`..`period_end` (both included, the
    practice's calendar days). The client must be the practice's (looked up scoped)."""
    if client.practice_id != practice.pk:
        raise InvalidInput("This client is not one of the practice's.")
    if period_start > period_end:
        raise InvalidInput({"to": "The period ends before it starts."})
    start = _day_start(period_start, practice)
    end = _day_start(period_end + dt.timedelta(days=1), practice)
    entries = (journal_entry_list(practice=practice, client_id=client.pk)
               .filter(posted_at__lt=end)
               .select_related("claim", "invoice", "remittance"))
    opening = {a: ZERO for a in ACCOUNTS}
    closing = {a: ZERO for a in ACCOUNTS}
    rows: list[StatementRow] = []
    zone = practice_zone(practice)
    for entry in entries:
        net = _net(entry)
        for a in ACCOUNTS:
            closing[a] += net[a]
        if entry.posted_at < start:
            for a in ACCOUNTS:
                opening[a] += net[a]
            continue
        amount = money(net[Account.AR_CLIENT] + net[Account.AR_INSURANCE])
        to_client = money(net[Account.AR_CLIENT])
        if not amount and not to_client:
            continue  # touches neither receivable (a processing fee)
        section = _section(entry, amount)
        rows.append(StatementRow(
            date=entry.posted_at.astimezone(zone).date(), section=section,
            description=_description(entry),
            amount=None if section == TRANSFERS else amount, to_client=to_client))
    return Statement(
        client=client, period_start=period_start, period_end=period_end,
        statement_date=statement_date or practice_today(practice),
        opening=money(opening[Account.AR_CLIENT] + opening[Account.AR_INSURANCE]),
        opening_client=money(opening[Account.AR_CLIENT]), rows=rows,
        insurance_owes=money(closing[Account.AR_INSURANCE]),
        balance_due=money(closing[Account.AR_CLIENT]))


def statement_settings_get(*, practice: Practice) -> StatementSettings:
    """The practice's statement settings; the defaults (an unsaved row, the monthly run
    off) when it never saved any."""
    found = StatementSettings.objects.filter(practice=practice).first()
    return found if found is not None else StatementSettings(practice=practice)


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month before the one `today` is in: (first day, last day)."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last
