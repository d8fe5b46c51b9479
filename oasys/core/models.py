"""Tenants (practices), users and roles, API tokens, and the tamper-evident audit log."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone as dj_tz
from django.utils.crypto import salted_hmac


class PracticeQuerySet(models.QuerySet):
    def in_service(self) -> PracticeQuerySet:
        """Practices not suspended by the operator: periodic work (auto-billing, claim
        status inquiries, card retries) runs for these only."""
        return self.filter(suspended_at__isnull=True)


class Practice(models.Model):
    """The tenant. Every piece of practice data carries one, and every query is scoped by it."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="America/New_York")
    # A claim in flight this many days without news is asked about (276) by itself.
    claim_status_inquiry_days = models.PositiveSmallIntegerField(default=21)
    created_at = models.DateTimeField(default=dj_tz.now)
    # Set by the operator (oasys.operator.services): a suspended practice's users cannot log
    # in or use the API, and its periodic work is skipped. A practice scheduled for deletion
    # is suspended too; its data is deleted once `delete_after` has passed.
    suspended_at = models.DateTimeField(null=True, blank=True, editable=False)
    delete_after = models.DateTimeField(null=True, blank=True, editable=False)

    objects = PracticeQuerySet.as_manager()

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


# What a suspended practice's users are told, at login, on a page and from the API.
PRACTICE_SUSPENDED_MESSAGE = ("This practice's account is suspended: nobody can log in to it "
                              "or use its API. Ask whoever runs your Oasys server.")


class PracticeScoped(models.Model):
    """Base for every model that belongs to a practice."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=dj_tz.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Role(models.TextChoices):
    OWNER = "owner", "Owner (therapist)"
    CLINICIAN = "clinician", "Clinician"
    SUPERVISOR = "supervisor", "Supervisor"
    BILLER = "biller", "Biller"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("Users need an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Belongs to exactly one practice, with one role."""

    email = models.EmailField(unique=True)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.OWNER)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=dj_tz.now)
    # Raised by "log out everywhere": every session made before it no longer matches.
    session_epoch = models.PositiveIntegerField(default=0)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        full = f"{self.first_name} {self.last_name}".strip()
        return full or self.email

    def get_session_auth_hash(self) -> str:
        """Django checks this against each session: a new password or a raised epoch ends
        every session made before it."""
        return salted_hmac("oasys.core.User.session", f"{self.password}|{self.session_epoch}",
                           algorithm="sha256").hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only a SHA-256 of the secret is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12)
    # What it is for ("api" unless named): asking again with the same name replaces it.
    name = models.CharField(max_length=60, default="api")
    created_at = models.DateTimeField(default=dj_tz.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash_key(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()


class AuditAction(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    UPDATE = "update", "Update"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"
    LOGIN = "login", "Log in"
    LOGOUT = "logout", "Log out"
    LOGIN_FAILED = "login_failed", "Failed log in"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    DENIED = "denied", "Denied"
    FAILURE = "failure", "Failure"


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # noqa: ARG002
        raise PermissionError("The audit log is append-only")

    def delete(self):
        raise PermissionError("The audit log is append-only")


# The chains of the audit log. Each practice has its own chain, so one practice's open
# transaction (a whole 835 posting) never makes another practice's audited writes wait;
# events with no practice have their own. Rows written before chains existed stay in the
# legacy chain (re-sealed like every other chain when the log became keyed, core 0008).
AUDIT_CHAIN_LEGACY = "legacy"
AUDIT_CHAIN_SYSTEM = "system"


def audit_chain_key(practice_id: int | None) -> str:
    return f"practice:{practice_id}" if practice_id else AUDIT_CHAIN_SYSTEM


class AuditEvent(models.Model):
    """One read or write of protected data. Append-only; each row hashes the one before it
    in its chain (`chain`, `seq`).

    Foreign keys are plain integers on purpose: a cascade or SET NULL would rewrite history.
    """

    chain = models.CharField(max_length=40)
    seq = models.BigIntegerField()
    occurred_at = models.DateTimeField(default=dj_tz.now)
    user_id_ref = models.BigIntegerField(null=True, blank=True)
    user_email = models.CharField(max_length=254, blank=True)
    practice_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    client_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=20, choices=AuditAction.choices)
    category = models.CharField(max_length=40)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=AuditOutcome.choices)
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64)
    # HMAC-SHA256 of `audit_hash_payload` under the key named by `key_id` (settings.AUDIT_KEYS)
    hash = models.CharField(max_length=64)
    key_id = models.CharField(max_length=20)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        # Insertion order across chains; within one chain it is also `seq` order.
        ordering = ["id"]
        indexes = [models.Index(fields=["practice_id_ref", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(fields=["chain", "seq"], name="audit_event_chain_seq")
        ]

    def save(self, *args, **kwargs):
        # Invariant guard, not business logic: an audit row is written once, never changed.
        if not self._state.adding:
            raise PermissionError("The audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("The audit log is append-only")

    def hash_payload(self) -> bytes:
        return audit_hash_payload(self)


def audit_hash_payload(event: Any) -> bytes:
    """The bytes an audit row's HMAC covers: every field but the hash itself. A plain
    function (not only a method) so a data migration's historical rows hash the same way."""
    return json.dumps(
        [
            # The chain key is covered, so a row cannot be moved to another chain unseen;
            # the key id too, so a row cannot be relabelled to another key.
            event.chain,
            event.key_id,
            event.seq,
            event.prev_hash,
            event.occurred_at.isoformat(),
            event.user_id_ref,
            event.user_email,
            event.practice_id_ref,
            event.client_id_ref,
            event.action,
            event.category,
            event.object_type,
            str(event.object_id),
            event.source_ip,
            event.outcome,
            event.detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    ).encode()


class AuditChainHead(models.Model):
    """One row per chain that serialises appends to that chain (locked FOR UPDATE)."""

    chain = models.CharField(max_length=40, primary_key=True)
    last_seq = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)


class Sequence(models.Model):
    """A named, persistent counter (X12 interchange control numbers, invoice numbers).

    Incremented under a row lock, so two workers never hand out the same number.
    """

    name = models.CharField(max_length=80, unique=True)
    last_value = models.BigIntegerField(default=0)


class SentEmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class SentEmail(PracticeScoped):
    """One email the practice sent a client (an invoice, a reminder, a receipt, a link to
    save a card), kept whole so staff see what the client received (Billing → Outbox) and
    an invoice's page lists its emails. Written in the caller's transaction by
    `oasys.core.outbound_mail.email_send`; delivered on commit by a Celery task.

    The client is a plain id, as in the audit log: core sits below the clients app. The
    addresses and bodies are PHI: they live here and never in application logs."""

    # NULL for the installation's own notices to its operators (who belong to no practice):
    # those are shown on no practice's Outbox.
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+",
                                 null=True, blank=True)
    to = models.EmailField(max_length=254)
    from_email = models.CharField(max_length=320)
    reply_to = models.CharField(max_length=254, blank=True)
    subject = models.CharField(max_length=255)
    kind = models.CharField(max_length=30, help_text="invoice, reminder, receipt, card_request…")
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=60, blank=True)
    client_id = models.BigIntegerField(null=True, blank=True)
    text_body = models.TextField()
    html_body = models.TextField()
    attachment_names = models.JSONField(default=list, blank=True)
    # Set before the first attempt and reused by every retry, so a message delivered twice
    # (a worker that died after the SMTP server took it) is recognisably the same message.
    message_id = models.CharField(max_length=255, blank=True)
    status = models.CharField(max_length=10, choices=SentEmailStatus.choices,
                              default=SentEmailStatus.QUEUED, editable=False)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # A worker's claim on a queued message while it talks to the SMTP server (a lease: a
    # claim older than the lease is taken to belong to a dead worker).
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["practice", "created_at"]),
            models.Index(fields=["practice", "object_type", "object_id"]),
            models.Index(fields=["practice", "client_id"]),
            models.Index(fields=["status", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"email {self.pk} ({self.kind})"

    @property
    def kind_label(self) -> str:
        return self.kind.replace("_", " ").capitalize()


class SentEmailAttachment(models.Model):
    """The bytes of one attachment, kept so the delivery task (which takes only the email's
    id) sends exactly what was recorded, on every retry."""

    sent_email = models.ForeignKey(SentEmail, on_delete=models.CASCADE,
                                   related_name="attachments")
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    content = models.BinaryField()

    class Meta:
        ordering = ["sent_email", "pk"]


class SentEmailEvent(models.Model):
    """One status change of an outgoing email (queued → sent or failed). Written only by the
    email state machine (oasys.core.outbound_mail). The fields are StatusEventBase's, spelled
    out: that base lives in core.statemachine, which imports this module."""

    # NULL with its email's: an operator notice belongs to no practice
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+",
                                 null=True, blank=True)
    sent_email = models.ForeignKey(SentEmail, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=30, blank=True)
    to_status = models.CharField(max_length=30)
    actor = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                              related_name="+")
    source = models.CharField(max_length=120, blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=dj_tz.now, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
