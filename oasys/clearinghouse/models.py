"""EDI files exchanged with the clearinghouse, and the inbound polling cursor.

Every file is stored raw before anything else happens to it, content-hashed so the same file
is stored once (unique per direction and hash). A file belongs to a practice when it can be
matched to one; unmatched files keep practice NULL and are shown to nobody but operators.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone as dj_tz

from oasys.core.models import Practice
from oasys.core.statemachine import StatusEventBase


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"


class FileStatus(models.TextChoices):
    PARSED = "parsed", "Parsed"
    FAILED = "failed", "Failed to parse"
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SUBMITTED = "submitted", "Submitted"
    RETRYING = "retrying", "Retrying"
    REFUSED = "refused", "Refused by the clearinghouse"


class EdiFile(models.Model):
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    set_id = models.CharField("type", max_length=10, blank=True)  # 837, 999, 277, 835 ...
    label = models.CharField(max_length=20, blank=True)  # 277CA vs 277, shown in lists
    raw = models.TextField()
    sha256 = models.CharField(max_length=64)
    # moved only by the "edi_file" state machine (machines.py)
    status = models.CharField(max_length=12, choices=FileStatus.choices, editable=False)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    errors = models.JSONField(default=list, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=dj_tz.now)
    connection = models.CharField(max_length=40, default="default")
    external_id = models.CharField(max_length=80, blank=True)  # clearinghouse transaction id
    interchange_sender = models.CharField(max_length=15, blank=True)
    interchange_receiver = models.CharField(max_length=15, blank=True)
    interchange_control_number = models.CharField(max_length=9, blank=True)
    group_control_number = models.CharField(max_length=9, blank=True)
    # outbound only: the row is the transmission's outbox entry (outbox.py)
    idempotency_key = models.CharField(max_length=80, null=True, blank=True)
    receipt = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # queued/retrying: when due
    sending_since = models.DateTimeField(null=True, blank=True)  # sending: claimed when
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["direction", "sha256"], name="edi_file_once"),
            models.UniqueConstraint(fields=["idempotency_key"], name="edi_idempotency_key"),
        ]
        indexes = [models.Index(fields=["practice", "received_at"]),
                   models.Index(fields=["direction", "status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} {self.label or self.set_id} #{self.pk}"


class EdiFileEvent(StatusEventBase):
    """One move of an EDI file's status (written only by the state machine)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    edi_file = models.ForeignKey(EdiFile, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEventBase.Meta):
        pass


class PollCursor(models.Model):
    """Where inbound polling of one clearinghouse connection stands."""

    connection = models.CharField(max_length=40, unique=True)
    cursor = models.DateTimeField(null=True, blank=True)
    polled_at = models.DateTimeField(null=True, blank=True)
