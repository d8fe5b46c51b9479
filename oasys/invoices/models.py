"""Client invoices: for cash-pay and no-show sessions, client responsibility, and
standalone charges. Delivery and payment through Stripe come with the payments work."""

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

    class Meta:
        ordering = ["-issue_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"], name="invoice_number_unique")
        ]


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
