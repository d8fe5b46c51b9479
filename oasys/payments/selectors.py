"""Reads of payments: the practice's Stripe account as we last saw it, what Stripe still needs
in plain English, and the account's payouts with the client payments in each.

Payouts are not copied into our database: Stripe is their truth, so they are read through
the port when a page asks. Every read is scoped to the practice's own connected account."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.urls import NoReverseMatch, reverse

from oasys.core.errors import NotFound
from oasys.core.models import Practice
from oasys.core.money import dollars_text

from .connection import payments_port
from .models import PaymentAccount, PaymentAccountEvent
from .port import BalanceTransaction, Page, Payout
from .refusals import stripe_refusals

# --- the account ----------------------------------------------------------------------------


def payment_account_get(*, practice: Practice) -> PaymentAccount | None:
    return PaymentAccount.objects.filter(practice=practice).first()


def payment_account_for_stripe_id(*, stripe_account_id: str) -> PaymentAccount | None:
    """The row of a connected account (webhooks find the practice with it); None for an id
    that is no practice's, and for the empty id."""
    if not stripe_account_id:
        return None
    return (PaymentAccount.objects.select_related("practice")
            .filter(stripe_account_id=stripe_account_id).first())


def payment_account_event_list(*, account: PaymentAccount) -> QuerySet[PaymentAccountEvent]:
    """The account's status history (the machine's events), newest first."""
    return (PaymentAccountEvent.objects.filter(practice_id=account.practice_id, account=account)
            .select_related("actor").order_by("-created_at", "-pk"))


# --- what Stripe still needs, in words --------------------------------------------------------

# Stripe's requirement field names (`requirements.currently_due`, `past_due`,
# `pending_verification`) a practice meets on an Express account.
REQUIREMENT_WORDS: dict[str, str] = {
    "business_type": "Your type of business (individual or company)",
    "business_profile.url": "Your business website (or a short description of your services)",
    "business_profile.mcc": "Your business category",
    "business_profile.product_description": "A short description of your services",
    "business_profile.name": "Your business's name",
    "business_profile.support_phone": "A customer support phone number",
    "company.name": "Your business's legal name",
    "company.tax_id": "Your business's tax ID (EIN)",
    "company.phone": "Your business's phone number",
    "company.owners_provided": "Confirmation that you have listed your business's owners",
    "company.directors_provided": "Confirmation that you have listed your business's directors",
    "company.executives_provided": "Confirmation that you have listed your business's "
                                   "executives",
    "company.verification.document": "A document that verifies your business (e.g. the IRS "
                                     "letter with your EIN)",
    "external_account": "A bank account for payouts",
    "individual.first_name": "Your first name",
    "individual.last_name": "Your last name",
    "individual.email": "Your email address",
    "individual.phone": "Your phone number",
    "individual.ssn_last_4": "The last 4 digits of your Social Security number",
    "individual.id_number": "Your full Social Security number",
    "individual.verification.document": "A photo ID (driver's license or passport)",
    "individual.verification.additional_document": "A document that proves your address",
    "tos_acceptance.date": "Acceptance of Stripe's services agreement",
    "tos_acceptance.ip": "Acceptance of Stripe's services agreement",
    "settings.payments.statement_descriptor": "The name shown on your clients' card "
                                              "statements",
}
# Groups of fields (the longest matching prefix wins): "company.address.city" → the address.
REQUIREMENT_PREFIX_WORDS: dict[str, str] = {
    "company.address": "Your business's address",
    "individual.address": "Your home address",
    "individual.dob": "Your date of birth",
    "individual.verification": "A document that verifies your identity",
    "representative": "Details of the person who represents your business",
    "owners": "Details of your business's owners",
    "directors": "Details of your business's directors",
    "executives": "Details of your business's executives",
    "person_": "Details of a person on your account",
    "tos_acceptance": "Acceptance of Stripe's services agreement",
    "settings": "A setting of your Stripe account",
}
# `requirements.disabled_reason` codes: why the account cannot take payments (or payouts).
DISABLED_REASON_WORDS: dict[str, str] = {
    "requirements.past_due": "Stripe needs more information before you can accept payments",
    "requirements.pending_verification": "Stripe is verifying your details (usually minutes, "
                                         "sometimes a few days)",
    "action_required.requested_capabilities": "Stripe needs you to finish setting up card "
                                              "payments",
    "listed": "Stripe is reviewing the account (it matched a watch list)",
    "platform_paused": "Payments are paused on this account",
    "under_review": "Stripe is reviewing the account",
    "rejected.fraud": "Stripe has closed the account (suspected fraud)",
    "rejected.incomplete_verification": "Stripe closed the account because verification was "
                                        "not completed",
    "rejected.listed": "Stripe has closed the account (it matched a watch list)",
    "rejected.terms_of_service": "Stripe has closed the account (terms of service)",
    "rejected.other": "Stripe has closed the account",
    "other": "Stripe has paused the account; contact Stripe support",
}


def _readable(name: str) -> str:
    """A field name we have no words for, readable: "settings.card_payments.x" →
    "Settings: card payments, x"."""
    parts = [re.sub(r"_+", " ", p).strip() for p in name.split(".") if p.strip()]
    if not parts:
        return name
    head, rest = parts[0], parts[1:]
    text = head[:1].upper() + head[1:]
    return f"{text}: {', '.join(rest)}" if rest else text


def requirement_words(field: str) -> str:
    """Stripe's requirement field name in plain English."""
    if field in REQUIREMENT_WORDS:
        return REQUIREMENT_WORDS[field]
    prefixes = sorted((p for p in REQUIREMENT_PREFIX_WORDS
                       if field == p or field.startswith(p if p.endswith("_") else p + ".")),
                      key=len, reverse=True)
    if prefixes:
        return REQUIREMENT_PREFIX_WORDS[prefixes[0]]
    return _readable(field)


def disabled_reason_words(code: str) -> str:
    """Stripe's `disabled_reason` in plain English ("" for none)."""
    if not code:
        return ""
    return DISABLED_REASON_WORDS.get(code) or _readable(code)


@dataclass(frozen=True)
class RequirementWords:
    field: str  # Stripe's name
    description: str  # ours, in words
    reason: str = ""  # what Stripe said was wrong with what was given, if anything


def account_requirements_words(account: PaymentAccount) -> list[RequirementWords]:
    """What Stripe still needs of this account, in words, one line per distinct thing (the
    address's five fields are one line)."""
    out: list[RequirementWords] = []
    seen: set[str] = set()
    for item in account.requirements or []:
        field = str(item.get("field", "")) if isinstance(item, dict) else str(item)
        words = requirement_words(field)
        if words in seen:
            continue
        seen.add(words)
        reason = str(item.get("reason", "")) if isinstance(item, dict) else ""
        out.append(RequirementWords(field=field, description=words, reason=reason))
    return out


def account_pending_words(account: PaymentAccount) -> list[str]:
    """The details Stripe is verifying now, in words."""
    return list(dict.fromkeys(requirement_words(f) for f in account.pending_verification or []))


# --- payouts --------------------------------------------------------------------------------

PAYOUT_STATUS_WORDS = {
    "pending": "Pending",
    "in_transit": "On its way",
    "paid": "Deposited",
    "failed": "Failed",
    "canceled": "Canceled",
}
TRANSACTION_TYPE_WORDS = {
    "charge": "Client payment",
    "payment": "Client payment",
    "refund": "Refund",
    "payment_refund": "Refund",
    "payout": "Payout to your bank",
    "adjustment": "Adjustment",
    "stripe_fee": "Stripe fee",
}


def dollars(amount: Decimal) -> str:
    """"$1,234.50", or "−$222.73" for money leaving the balance (the payout line itself)."""
    return dollars_text(amount)


@dataclass(frozen=True)
class PayoutLine:
    """One balance transaction of a payout, matched to our invoice where Stripe says which."""

    transaction: BalanceTransaction
    kind: str  # in words
    invoice_id: int | None  # our Invoice's id, from the metadata we put on Stripe's objects
    invoice_number: str
    invoice_url: str  # the Manage Invoices detail page, when we know the invoice

    @property
    def gross_text(self) -> str:
        return dollars(self.transaction.amount)

    @property
    def fee_text(self) -> str:
        return dollars(self.transaction.fee)

    @property
    def net_text(self) -> str:
        return dollars(self.transaction.net)

    @property
    def matched(self) -> bool:
        return self.invoice_id is not None or bool(self.invoice_number)


@dataclass(frozen=True)
class PayoutDetail:
    payout: Payout
    lines: list[PayoutLine]

    @property
    def payments(self) -> list[PayoutLine]:
        return [ln for ln in self.lines if ln.transaction.type != "payout"]

    @property
    def gross(self) -> Decimal:
        return sum((ln.transaction.amount for ln in self.payments), Decimal("0.00"))

    @property
    def fees(self) -> Decimal:
        return sum((ln.transaction.fee for ln in self.payments), Decimal("0.00"))

    @property
    def net(self) -> Decimal:
        return sum((ln.transaction.net for ln in self.payments), Decimal("0.00"))


def _stripe_account_id(practice: Practice) -> str:
    account = payment_account_get(practice=practice)
    return account.stripe_account_id if account is not None else ""


def payout_list(*, practice: Practice, starting_after: str = "",
                limit: int = 20) -> Page[Payout]:
    """The practice's payouts, newest first, one page (Stripe's cursor: `starting_after`).
    Empty when the practice has no Stripe account. Raises the domain's refusals for Stripe
    errors (refusals.py)."""
    account_id = _stripe_account_id(practice)
    if not account_id:
        return Page(items=[], has_more=False)
    with stripe_refusals():
        return payments_port().payout_list(account_id=account_id, limit=limit,
                                           starting_after=starting_after)


# The API's page envelope counts the whole list, which Stripe's cursor lists do not: it is
# gathered up to this many payouts (a year of daily payouts and more).
PAYOUTS_MAX = 1000


def payout_list_all(*, practice: Practice, most: int = PAYOUTS_MAX) -> list[Payout]:
    """Up to `most` payouts, newest first, following Stripe's cursor."""
    out: list[Payout] = []
    after = ""
    while len(out) < most:
        page = payout_list(practice=practice, starting_after=after, limit=100)
        out.extend(page.items)
        if not page.has_more or not page.items:
            break
        after = page.items[-1].id
    return out[:most]


def _invoice_match(txn: BalanceTransaction) -> tuple[int | None, str, str]:
    """(our invoice id, its number, its page) from the metadata the invoices code puts on
    Stripe's invoices and payments (`oasys_invoice_id`, `oasys_invoice_number`). The Invoice
    model is in a layer above payments, so it is not looked up here: the link is built from
    the id, and the invoice page itself is scoped to the practice (another's id is 404)."""
    meta = txn.metadata or {}
    raw_id = str(meta.get("oasys_invoice_id", "")).strip()
    number = str(meta.get("oasys_invoice_number", "")).strip()
    invoice_id = int(raw_id) if raw_id.isdigit() else None
    url = ""
    if invoice_id is not None:
        try:
            url = reverse("invoices:detail", args=[invoice_id])
        except NoReverseMatch:  # the invoices screens are not installed
            url = ""
    return invoice_id, number, url


def payout_detail(*, practice: Practice, payout_id: str) -> PayoutDetail:
    """A payout of the practice's account and its balance transactions (client payments:
    gross, fee, net, and which invoice each paid). NotFound for a payout that is not on this
    practice's account (another practice's payouts are invisible: Stripe-Account)."""
    account_id = _stripe_account_id(practice)
    if not account_id or not payout_id.startswith("po_"):
        raise NotFound("No such payout.")
    with stripe_refusals():
        payout = payments_port().payout_get(account_id=account_id, payout_id=payout_id)
        txns = payments_port().payout_transactions(account_id=account_id, payout_id=payout_id)
    lines = []
    for txn in txns:
        invoice_id, number, url = _invoice_match(txn)
        lines.append(PayoutLine(transaction=txn,
                                kind=TRANSACTION_TYPE_WORDS.get(txn.type, _readable(txn.type)),
                                invoice_id=invoice_id, invoice_number=number, invoice_url=url))
    return PayoutDetail(payout=payout, lines=lines)
