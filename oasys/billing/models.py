"""Billing configuration: the per-payer, per-year telehealth modifier rules the scrubber uses,
and the practice's auto-billing settings."""

from __future__ import annotations

from django.db import models


class TelehealthModifierRule(models.Model):
    """What a payer expects on telehealth lines from a year on.

    A row with no payer is the default for every payer; a row with no practice applies to
    every practice (shipped defaults); a practice may add its own rows for its payers.
    """

    practice = models.ForeignKey(
        "core.Practice", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    payer = models.ForeignKey(
        "practice.Payer", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    effective_year = models.PositiveSmallIntegerField()
    place_of_service = models.CharField(max_length=2)
    required_modifier = models.CharField(max_length=2, blank=True)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["payer_id", "place_of_service", "effective_year"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "payer", "effective_year", "place_of_service"],
                name="one_telehealth_rule",
            )
        ]
