"""The double-entry journal, the only truth for money. Balances are sums over journal lines;
the few stored figures (Claim.paid_amount / patient_responsibility, Invoice.total) are a
cache that only the ledger's posting rewrites, in the entry's transaction (services.py).

A posted entry is never edited or deleted (the model and queryset refuse it); a mistake is
corrected by a reversing entry. Each entry carries a `source_key` unique per practice, so
posting the same thing twice (an 835 replayed, a task retried) posts it once.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils import timezone as dj_tz

from oasys.core.models import PracticeScoped


class Account(models.TextChoices):
    AR_INSURANCE = "ar_insurance", "Receivable from insurance"
    AR_CLIENT = "ar_client", "Receivable from clients"
    REVENUE = "revenue", "Revenue"
    CONTRACTUAL = "contractual_adjustments", "Contractual adjustments"
    WRITE_OFFS = "write_offs", "Write-offs"
    PROVIDER_ADJUSTMENTS = "provider_adjustments", "Payer provider-level adjustments"
    CASH = "cash", "Cash"
    PROCESSING_FEES = "processing_fees", "Payment processing fees"


class EntryType(models.TextChoices):
    CHARGE = "charge", "Charge"
    INSURANCE_PAYMENT = "insurance_payment", "Insurance payment"
    CONTRACTUAL_ADJUSTMENT = "contractual_adjustment", "Contractual adjustment"
    CLIENT_RESPONSIBILITY = "client_responsibility", "Client responsibility transfer"
    SHARE_INVOICED = "client_share_invoiced", "Client share invoiced"
    SECONDARY_HOLD = "secondary_hold", "Client share held for the secondary payer"
    PROVIDER_ADJUSTMENT = "provider_adjustment", "Provider-level adjustment"
    WRITE_OFF = "write_off", "Write-off"
    CLIENT_PAYMENT = "client_payment", "Client payment"
    REFUND = "refund", "Refund"
    PROCESSING_FEE = "processing_fee", "Payment processing fee"
    INVOICE_VOID = "invoice_void", "Invoice voided"
    REVERSAL = "reversal", "Reversal"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise PermissionError("The journal is append-only: post a reversing entry instead")

    def delete(self):
        raise PermissionError("The journal is append-only: post a reversing entry instead")


class AppendOnly(models.Model):
    """Invariant guard (not business logic): a journal row is written once, never changed."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError("The journal is append-only: post a reversing entry instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The journal is append-only: post a reversing entry instead")


class JournalEntry(PracticeScoped, AppendOnly):
    entry_type = models.CharField(max_length=30, choices=EntryType.choices)
    source_key = models.CharField(max_length=120)
    memo = models.CharField(max_length=300, blank=True)
    posted_at = models.DateTimeField(default=dj_tz.now)
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    remittance = models.ForeignKey("remittance.Remittance", on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="journal_entries")
    reverses = models.OneToOneField("self", on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="reversed_by")
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["posted_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "source_key"],
                                    name="journal_entry_posted_once"),
        ]
        indexes = [models.Index(fields=["practice", "posted_at"])]
        verbose_name_plural = "journal entries"

    def __str__(self) -> str:
        return f"{self.get_entry_type_display()} #{self.pk}"


class JournalLine(PracticeScoped, AppendOnly):
    """One leg of an entry: exactly one of debit and credit is positive. The client, claim
    and invoice are copied from the entry so balances are one indexed aggregate."""

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="lines")
    account = models.CharField(max_length=30, choices=Account.choices)
    debit = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    credit = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    remittance = models.ForeignKey("remittance.Remittance", on_delete=models.PROTECT,
                                   null=True, blank=True, related_name="+")
    memo = models.CharField(max_length=200, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["entry", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(debit__gt=0, credit=0) | models.Q(debit=0, credit__gt=0)),
                name="journal_line_one_side",
            ),
        ]
        indexes = [
            models.Index(fields=["practice", "account", "client"]),
            models.Index(fields=["practice", "account", "claim"]),
        ]
