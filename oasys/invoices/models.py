"""Client invoices: for cash-pay and no-show sessions, client responsibility, and
standalone charges; their copy on Stripe, the card charges tried on them, the payments and
refunds taken, and bulk sends.

Money lives in the journal (oasys.ledger): `Invoice.total`, `InvoicePayment` and
`InvoiceRefund` rows describe what happened (who, how, Stripe's ids) and each carries the
unique key that makes it happen once; the amounts owed and paid are read from the journal."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from oasys.core.models import PracticeScoped
from oasys.core.statemachine import StatusEventBase


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENDING = "sending", "Sending"
    OPEN = "open", "Open"
    PAID = "paid", "Paid"
    OVERDUE = "overdue", "Overdue"
    VOID = "void", "Void"
    UNCOLLECTIBLE = "uncollectible", "Uncollectible"


class InvoiceKind(models.TextChoices):
    SESSION = "session", "Session"
    CLIENT_RESPONSIBILITY = "client_responsibility", "Client responsibility"
    STANDALONE = "standalone", "Standalone"


class Invoice(PracticeScoped):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=30)
    kind = models.CharField(max_length=30, choices=InvoiceKind.choices,
                            default=InvoiceKind.SESSION)
    status = models.CharField(max_length=20, choices=InvoiceStatus.choices,
                              default=InvoiceStatus.DRAFT, editable=False)
    issue_date = models.DateField()
    due_date = models.DateField()
    # What the invoice bills. Written only by the ledger's posting (in the transaction of the
    # journal entry that bills it); what was paid and what is owed are read from the journal
    # (oasys.ledger.selectors.invoice_figures).
    total = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"),
                                editable=False)
    created_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Its copy on the practice's connected Stripe account (empty: not on Stripe, e.g. a
    # practice without online payments, whose invoices go out as PDF only).
    stripe_account_id = models.CharField(max_length=64, blank=True)
    stripe_invoice_id = models.CharField(max_length=64, blank=True)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    # Why the last delivery attempt failed (Stripe or email); cleared when it goes out.
    delivery_error = models.CharField(max_length=300, blank=True)
    delivery_attempts = models.PositiveSmallIntegerField(default=0)
    # Card on file: the next scheduled retry after a decline (None: none due), the number of
    # declines in a row on this invoice, and the last decline in words.
    next_charge_at = models.DateTimeField(null=True, blank=True)
    declines = models.PositiveSmallIntegerField(default=0)
    decline_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"], name="invoice_number_unique"),
            # one of our invoices is one Stripe invoice, and the reverse
            models.UniqueConstraint(fields=["stripe_account_id", "stripe_invoice_id"],
                                    condition=~models.Q(stripe_invoice_id=""),
                                    name="stripe_invoice_used_once"),
        ]
        indexes = [
            models.Index(fields=["practice", "status", "due_date"]),
            models.Index(fields=["status", "next_charge_at"]),
        ]

    @property
    def on_stripe(self) -> bool:
        return bool(self.stripe_invoice_id)


class InvoiceLine(PracticeScoped):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    appointment = models.ForeignKey(
        "appointments.Appointment", on_delete=models.PROTECT, null=True, blank=True,
        related_name="invoice_lines",
    )
    description = models.CharField(max_length=200)
    service_date = models.DateField(null=True, blank=True)
    cpt_code = models.CharField(max_length=5, blank=True)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    # A client-responsibility line bills the client's share of one ERA claim, once.
    remittance_claim = models.OneToOneField(
        "remittance.RemittanceClaim", on_delete=models.PROTECT, null=True, blank=True,
        related_name="invoice_line",
    )

    class Meta:
        ordering = ["invoice", "pk"]
        constraints = [
            # A session is invoiced once, however many people click at the same moment.
            models.UniqueConstraint(
                fields=["appointment"],
                condition=models.Q(appointment__isnull=False),
                name="session_invoiced_once",
            )
        ]


class InvoiceEvent(StatusEventBase):
    """One status change of an invoice (the first records its creation as Draft). Written
    only by the invoice state machine (machine.py)."""

    practice = models.ForeignKey("core.Practice", on_delete=models.PROTECT, related_name="+")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEventBase.Meta):
        indexes = [models.Index(fields=["invoice", "created_at"])]


# --- card charges, payments and refunds --------------------------------------------------------
class AttemptTrigger(models.TextChoices):
    SEND = "send", "When the invoice was sent"
    RETRY = "retry", "Scheduled retry"
    CARD_SAVED = "card_saved", "After a new card was saved"
    STAFF = "staff", "Charged by staff"


class AttemptOutcome(models.TextChoices):
    PENDING = "pending", "In progress"
    SUCCEEDED = "succeeded", "Succeeded"
    DECLINED = "declined", "Declined"
    AUTHENTICATION_REQUIRED = "authentication_required", "Needs the client to confirm"
    ERROR = "error", "Could not reach Stripe"


class PaymentAttempt(PracticeScoped):
    """One try at charging the client's card on file for an invoice. The row is written
    (pending) before Stripe is called, and its number is in the idempotency key, so a
    worker that retries the same attempt makes one charge; a new attempt is a new number."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=20, choices=AttemptTrigger.choices)
    outcome = models.CharField(max_length=30, choices=AttemptOutcome.choices,
                               default=AttemptOutcome.PENDING)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    payment_method_id = models.CharField(max_length=64, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    decline_code = models.CharField(max_length=60, blank=True)
    reason = models.CharField(max_length=300, blank=True)  # the decline in words
    stripe_charge_id = models.CharField(max_length=64, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["invoice", "number"]
        constraints = [
            models.UniqueConstraint(fields=["invoice", "number"], name="attempt_numbered_once"),
        ]


class PaymentMethod(models.TextChoices):
    CARD = "card", "Card on file"
    ONLINE = "online", "Paid online (Stripe)"
    CASH = "cash", "Cash"
    CHECK = "check", "Check"
    OTHER = "other", "Other"


MANUAL_METHODS = (PaymentMethod.CASH, PaymentMethod.CHECK, PaymentMethod.OTHER)


class InvoicePayment(PracticeScoped):
    """One payment on an invoice: a Stripe charge (card on file or the hosted page) or money
    taken by hand (cash, check). `key` is the payment's identity, unique per practice:
    `stripe:<charge id>` for Stripe, `manual:<invoice>:<token>` for one recorded by hand, so
    a charge reported by the pay call and again by two webhooks is one payment. The
    journal entries (payment, Stripe's fee) carry the same key."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    key = models.CharField(max_length=120)
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    fee = models.DecimalField(max_digits=10, decimal_places=2, default=Decimal("0"))
    received_on = models.DateField()
    reference = models.CharField(max_length=80, blank=True)  # check number, Stripe charge id
    stripe_charge_id = models.CharField(max_length=64, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    source = models.CharField(max_length=80, blank=True)  # "staff", "stripe webhook evt_…"

    class Meta:
        ordering = ["invoice", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="payment_recorded_once"),
        ]


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Failed"


class InvoiceRefund(PracticeScoped):
    """Money given back on a payment: through Stripe for a card payment (the refund's key is
    in the idempotency key), or recorded by hand for cash and checks. `key` is unique per
    practice (a double click or a retried task refunds once)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(InvoicePayment, on_delete=models.PROTECT,
                                related_name="refunds")
    key = models.CharField(max_length=120)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    reason = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=RefundStatus.choices,
                              default=RefundStatus.PENDING)
    stripe_refund_id = models.CharField(max_length=64, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    source = models.CharField(max_length=80, blank=True)

    class Meta:
        ordering = ["invoice", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "key"], name="refund_made_once"),
            models.UniqueConstraint(fields=["practice", "stripe_refund_id"],
                                    condition=~models.Q(stripe_refund_id=""),
                                    name="stripe_refund_recorded_once"),
        ]


# --- bulk send and resend (Manage Invoices) ----------------------------------------------------
class BatchAction(models.TextChoices):
    SEND = "send", "Send"
    RESEND = "resend", "Resend"


class InvoiceBatch(PracticeScoped):
    """A bulk send or resend chosen on Manage Invoices: the invoices, and how far the worker
    got (the page polls it for its progress bar). Each invoice is one item, done once."""

    action = models.CharField(max_length=10, choices=BatchAction.choices)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]


class InvoiceBatchItem(PracticeScoped):
    batch = models.ForeignKey(InvoiceBatch, on_delete=models.CASCADE, related_name="items")
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    done_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["batch", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "invoice"], name="batch_item_once"),
        ]


# --- the practice's invoice settings (Manage Invoices → Settings) ---------------------------
DEFAULT_DUE_DAYS = 14
DEFAULT_RETRY_DAYS = (3, 5, 7)
MAX_DUE_DAYS = 90
MAX_RETRIES = 5


def default_retry_days() -> list[int]:
    return list(DEFAULT_RETRY_DAYS)


class InvoiceGrouping(models.TextChoices):
    PER_ITEM = "per_item", "One invoice per session or item"
    PER_CLIENT = "per_client", "One invoice per client per billing run"


class InvoiceSettings(models.Model):
    """How a practice invoices. A practice without a row uses the defaults below (the
    selector `invoice_settings_get` answers them); the settings screen writes the row."""

    practice = models.OneToOneField("core.Practice", on_delete=models.PROTECT,
                                    related_name="invoice_settings")
    # Due date = issue date + due_days (0: due on receipt).
    due_days = models.PositiveSmallIntegerField(default=DEFAULT_DUE_DAYS)
    # Days after a declined card charge on which it is retried, ascending (Stripe's Smart
    # Retries count from the first attempt). After the last one fails the invoice becomes
    # Uncollectible.
    retry_days = models.JSONField(default=default_retry_days)
    grouping = models.CharField(max_length=20, choices=InvoiceGrouping.choices,
                                default=InvoiceGrouping.PER_ITEM)
    email_receipts = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        verbose_name_plural = "invoice settings"
