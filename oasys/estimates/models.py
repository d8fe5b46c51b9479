"""Good-faith estimates (No Surprises Act): what a self-pay or uninsured client can expect
to be charged over a period, kept on the client's record with the lines it was issued with.
An estimate is never edited after it is issued: a changed plan is a new estimate (and the
old one voided), so the document the client holds always matches the row."""

from __future__ import annotations

from django.db import models

from oasys.core.models import PracticeScoped


class EstimateStatus(models.TextChoices):
    ISSUED = "issued", "Issued"
    VOID = "void", "Void"


class Frequency(models.TextChoices):
    """How often the client is expected to come, for proposing a line's quantity."""

    WEEKLY = "weekly", "Weekly"
    BIWEEKLY = "biweekly", "Every two weeks"
    MONTHLY = "monthly", "Monthly"


class GoodFaithEstimate(PracticeScoped):
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE,
                               related_name="good_faith_estimates")
    number = models.CharField(max_length=20)
    issue_date = models.DateField()
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=EstimateStatus.choices,
                              default=EstimateStatus.ISSUED)
    # Only what the user typed (comma separated ICD-10-CM); blank leaves them off the PDF.
    diagnosis_codes = models.CharField(max_length=120, blank=True)
    total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["-issue_date", "-pk"]
        indexes = [models.Index(fields=["practice", "client", "issue_date"])]
        constraints = [
            models.UniqueConstraint(fields=["practice", "number"],
                                    name="good_faith_estimate_number_unique"),
        ]

    def __str__(self) -> str:
        return self.number


class GoodFaithEstimateLine(PracticeScoped):
    estimate = models.ForeignKey(GoodFaithEstimate, on_delete=models.CASCADE,
                                 related_name="lines")
    position = models.PositiveSmallIntegerField()
    cpt_code = models.CharField("CPT code", max_length=5)
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField()
    unit_cost = models.DecimalField(max_digits=10, decimal_places=2)
    total = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["estimate", "position"]
        constraints = [
            models.UniqueConstraint(fields=["estimate", "position"],
                                    name="good_faith_estimate_line_position"),
        ]
