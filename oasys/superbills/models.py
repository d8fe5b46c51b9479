"""Superbills (SPEC §11): statements a client submits to their insurer for out-of-network
reimbursement. Not a claim (we never send it to a payer) and not an invoice (it asks for no
money). All of it is PHI.

A superbill keeps what it stated when it was made (fee, CPT, modifiers, place of service,
diagnosis codes of each session), so a later change to a price or a diagnosis does not
rewrite a statement the client may already have sent. What the client paid is read from the
journal each time the PDF is drawn (oasys.superbills.selectors.session_paid_amounts)."""

from __future__ import annotations

from django.db import models

from oasys.core.models import PracticeScoped
from oasys.core.statemachine import StatusEventBase


class SuperbillKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual (one session)"
    CONSOLIDATED = "consolidated", "Consolidated (several sessions)"


class SuperbillStatus(models.TextChoices):
    CREATED = "created", "Created"
    SENT = "sent", "Sent"
    VOID = "void", "Void"


class Superbill(PracticeScoped):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=30)
    kind = models.CharField(max_length=20, choices=SuperbillKind.choices)
    status = models.CharField(max_length=20, choices=SuperbillStatus.choices,
                              default=SuperbillStatus.CREATED, editable=False)
    period_start = models.DateField()
    period_end = models.DateField()
    statement_date = models.DateField()
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to = models.EmailField(blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    # The superbill made again from this one's sessions (Recreate), if any.
    replaced_by = models.OneToOneField("self", on_delete=models.PROTECT, null=True,
                                       blank=True, related_name="replaces")

    class Meta:
        ordering = ["-statement_date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"],
                                    name="superbill_number_unique"),
            models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                   name="superbill_period_ordered"),
        ]
        indexes = [models.Index(fields=["practice", "status", "statement_date"])]

    def __str__(self) -> str:
        return self.number


class SuperbillLine(PracticeScoped):
    """One session on a superbill, as stated. `current` is True while the superbill is not
    void: the unique constraint below keeps a session on at most one non-void superbill,
    however many people click at the same moment (a condition cannot reach the superbill's
    status through a join, so the flag is copied here and cleared by the void)."""

    superbill = models.ForeignKey(Superbill, on_delete=models.CASCADE, related_name="lines")
    appointment = models.ForeignKey("appointments.Appointment", on_delete=models.PROTECT,
                                    related_name="superbill_lines")
    current = models.BooleanField(default=True)
    service_date = models.DateField()
    cpt_code = models.CharField(max_length=5, blank=True)
    description = models.CharField(max_length=200, blank=True)
    modifiers = models.CharField(max_length=20, blank=True)
    place_of_service = models.CharField(max_length=2)
    units = models.PositiveSmallIntegerField(default=1)
    diagnosis_codes = models.CharField(max_length=120, blank=True,
                                       help_text="ICD-10-CM, comma separated, in claim order")
    fee = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["superbill", "service_date", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["appointment"], condition=models.Q(current=True),
                                    name="session_on_one_superbill"),
        ]

    @property
    def diagnosis_list(self) -> list[str]:
        return [c for c in self.diagnosis_codes.split(",") if c]

    @property
    def modifier_list(self) -> list[str]:
        return [m for m in self.modifiers.split(",") if m]


class SuperbillEvent(StatusEventBase):
    """One status change of a superbill. Written only by the superbill state machine."""

    practice = models.ForeignKey("core.Practice", on_delete=models.PROTECT, related_name="+")
    superbill = models.ForeignKey(Superbill, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEventBase.Meta):
        indexes = [models.Index(fields=["superbill", "created_at"])]
