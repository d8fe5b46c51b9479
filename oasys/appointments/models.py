"""Therapy sessions. Named Appointment because Django owns `sessions`."""

from __future__ import annotations

from django.db import models

from oasys.core.models import PracticeScoped
from oasys.core.statemachine import StatusEventBase


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    LATE_CANCELLED = "late_cancelled", "Late-cancelled"
    CANCELLED = "cancelled", "Cancelled"


class Appointment(PracticeScoped):
    client = models.ForeignKey("clients.Client", on_delete=models.PROTECT, related_name="+")
    clinician = models.ForeignKey(
        "practice.Clinician", on_delete=models.PROTECT, related_name="appointments"
    )
    service_type = models.ForeignKey(
        "practice.ServiceType", on_delete=models.PROTECT, related_name="+"
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.SCHEDULED
    )
    place_of_service = models.CharField(max_length=2, default="11")
    modifiers = models.CharField(max_length=20, blank=True)
    note_signed_at = models.DateTimeField(null=True, blank=True)
    note_signed_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    supervisor_approved_at = models.DateTimeField(null=True, blank=True)
    supervisor_approved_by = models.ForeignKey(
        "core.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-start"]
        indexes = [
            models.Index(fields=["practice", "status", "start"]),
            models.Index(fields=["practice", "client", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end__gt=models.F("start")), name="ends_after_start"
            )
        ]

    @property
    def duration_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)

    @property
    def modifier_list(self) -> list[str]:
        return [m.strip() for m in self.modifiers.split(",") if m.strip()]


class AppointmentEvent(StatusEventBase):
    """One status change of a session: from, to, who, why, when. Written only by the session
    state machine (services.py)."""

    practice = models.ForeignKey("core.Practice", on_delete=models.PROTECT, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEventBase.Meta):
        indexes = [models.Index(fields=["appointment", "created_at"])]
