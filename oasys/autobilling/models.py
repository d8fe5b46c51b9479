"""Auto-billing: a practice's setting, and its runs with one item per thing billed.

A run bills, at the practice's cutoff, every fully Ready item of four kinds: cash-pay
invoices for sessions, insurance claims, client-responsibility invoices for ERA balances,
and secondary claims. It moves through phases (runner.py), each a recovery point: a worker
that dies resumes the run at the phase it was in, and each item records what happened to
it, in the same transaction as the billing it stands for.

Idempotency, by constraint: one scheduled run per practice per local date
(`run_scheduled_once`), an item once per run (`run_item_once`), and underneath, the billing
services' own (a session's claim `billing_key`, an invoice line's session, a remittance
claim's invoice): an item billed by hand is not billed again by a run, and the reverse.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from oasys.core.models import PracticeScoped
from oasys.core.statemachine import StatusEventBase

DEFAULT_CUTOFF_HOUR = 23  # 11 PM where the practice is (SPEC §5)


class AutoBillingSettings(models.Model):
    """A practice's auto-billing switch. No row: off (selectors.autobilling_settings_get)."""

    practice = models.OneToOneField("core.Practice", on_delete=models.PROTECT,
                                    related_name="autobilling_settings")
    enabled = models.BooleanField(default=False)
    cutoff_hour = models.PositiveSmallIntegerField(default=DEFAULT_CUTOFF_HOUR)  # 0..23 local
    # What the runs take: items whose date (the session's, the remittance's) is on or after
    # this day; empty = everything still unbilled (backfill all). "Start from now" sets it to
    # the local day auto-billing was turned on.
    bill_from = models.DateField(null=True, blank=True)
    # When it was last turned on: a cutoff before this moment is not run (turning it on at
    # 11:30 PM does not start tonight's run at once; tomorrow's is the first).
    enabled_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        verbose_name_plural = "auto-billing settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(cutoff_hour__lte=23),
                                   name="autobilling_cutoff_hour_0_23"),
        ]


class RunPhase(models.TextChoices):
    """A run's phases, in order; each is a recovery point (runner.py)."""

    SELECT = "select", "Selecting items"
    BILL = "bill", "Creating claims and invoices"
    TRANSMIT = "transmit", "Transmitting claim files"
    DELIVER = "deliver", "Sending invoices and charging cards"
    CLIENT_SHARE = "client_share", "Client-responsibility invoices"
    SECONDARY = "secondary", "Secondary claims"
    REPORT = "report", "Reporting"
    DONE = "done", "Done"


class RunTrigger(models.TextChoices):
    SCHEDULE = "schedule", "At the cutoff"
    MANUAL = "manual", "Run by hand"


class BillingRun(PracticeScoped):
    """One auto-billing run of a practice. `phase` moves only through the run machine
    (machine.py); `lease_until` is how a worker holds the run while it works on it (another
    worker takes it over once the lease has lapsed: the first one died)."""

    trigger = models.CharField(max_length=10, choices=RunTrigger.choices,
                               default=RunTrigger.SCHEDULE)
    local_date = models.DateField()  # the practice's date whose cutoff this run is
    as_of = models.DateTimeField()  # the cutoff moment (or when it was run by hand)
    phase = models.CharField(max_length=20, choices=RunPhase.choices, default=RunPhase.SELECT)
    phase_changed_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=120, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)  # workers that took it up
    # When it was last handed to the task queue (services.billing_runs_stalled_requeue
    # hands a run on again only after a wait, so a long queue is not flooded with copies).
    queued_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)  # the last crash, in words
    # The report (phase REPORT): per kind, {"billed", "failed", "skipped", "total"} (total
    # as a string of dollars).
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["-as_of", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "local_date"],
                                    condition=models.Q(trigger="schedule"),
                                    name="run_scheduled_once"),
        ]
        indexes = [models.Index(fields=["phase", "lease_until"], name="run_unfinished")]


class BillingRunEvent(StatusEventBase):
    """One phase change of a run. Written only by the run machine (machine.py)."""

    practice = models.ForeignKey("core.Practice", on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="events")


class ItemKind(models.TextChoices):
    INVOICE = "invoice", "Cash-pay invoice"
    CLAIM = "claim", "Insurance claim"
    CLIENT_SHARE = "client_share", "Client-responsibility invoice"
    SECONDARY = "secondary", "Secondary claim"


class ItemOutcome(models.TextChoices):
    PENDING = "pending", "Not reached yet"
    BILLED = "billed", "Billed"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class BillingRunItem(PracticeScoped):
    """One thing a run bills: a session (as a claim or an invoice), a remittance claim's
    client share, or a primary claim's secondary. `subject` names it ("appt:12", "rc:7",
    "claim:31"); what it became is `claim` / `invoice`; `outcome` and `reason` say what
    happened (a failure's reason is what the history page shows, with a link to fix it)."""

    run = models.ForeignKey(BillingRun, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=20, choices=ItemKind.choices)
    subject = models.CharField(max_length=40)
    appointment = models.ForeignKey("appointments.Appointment", on_delete=models.PROTECT,
                                    null=True, blank=True, related_name="+")
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, null=True,
                               blank=True, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    outcome = models.CharField(max_length=10, choices=ItemOutcome.choices,
                               default=ItemOutcome.PENDING)
    reason = models.CharField(max_length=300, blank=True)
    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, null=True,
                              blank=True, related_name="+")
    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.PROTECT, null=True,
                                blank=True, related_name="+")
    # set when the item's later phase (transmit, deliver) has been done for it
    followed_up_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["run", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "kind", "subject"], name="run_item_once"),
        ]
        indexes = [models.Index(fields=["run", "kind", "outcome"], name="run_item_todo")]
