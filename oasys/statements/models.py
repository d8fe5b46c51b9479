"""Client statements: the practice's choice of a monthly statement run, and a record of each
statement emailed (what makes the monthly run send once per client per month)."""

from __future__ import annotations

from django.db import models

from oasys.core.models import PracticeScoped


class StatementSettings(models.Model):
    """A practice without a row uses the defaults (the monthly run off); the settings screen
    writes the row."""

    practice = models.OneToOneField("core.Practice", on_delete=models.PROTECT,
                                    related_name="statement_settings")
    monthly_run = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        verbose_name_plural = "statement settings"


class StatementSource(models.TextChoices):
    STAFF = "staff", "Sent by staff"
    MONTHLY = "monthly", "Monthly statement run"


class StatementSend(PracticeScoped):
    """One statement emailed to a client. The monthly run's rows are unique per client per
    period start, so a second run (or two at once) finds the row and sends nothing."""

    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField()
    period_end = models.DateField()
    source = models.CharField(max_length=10, choices=StatementSource.choices)
    sent_email = models.ForeignKey("core.SentEmail", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")
    created_by = models.ForeignKey("core.User", on_delete=models.PROTECT, null=True,
                                   blank=True, related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "client", "period_start"],
                                    condition=models.Q(source="monthly"),
                                    name="statement_monthly_once"),
        ]
