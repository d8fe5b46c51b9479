"""Payments tables: the practice's connected Stripe account, each client's Stripe customer and
card on file, the links we email clients to save a card, Stripe's webhook events as received,
and the ledger of idempotency keys sent to Stripe.

Only ids, statuses and what Stripe shows anyone of a card (brand, last 4, expiry) are kept:
no card number ever reaches this server (cards are saved on Stripe-hosted pages)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from oasys.clients.models import Client
from oasys.core.models import Practice, PracticeScoped, User
from oasys.core.statemachine import StatusEventBase


class AccountStatus(models.TextChoices):
    NOT_CONNECTED = "not_connected", "Not connected"
    ONBOARDING = "onboarding", "Onboarding started"
    RESTRICTED = "restricted", "Restricted"
    ACTIVE = "active", "Active"
    DISCONNECTED = "disconnected", "Disconnected"


class PaymentAccount(PracticeScoped):
    """The practice's own Stripe account (Connect). One per practice; the row exists from the
    first "Connect Stripe Account" click. Its flags are the last copy fetched from Stripe
    (`synced_at`), written only by `payments/services.py` from the current account object,
    never from an event's payload, so events arriving out of order cannot move it back."""

    stripe_account_id = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=20, choices=AccountStatus.choices,
                              default=AccountStatus.NOT_CONNECTED)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    details_submitted = models.BooleanField(default=False)
    business_name = models.CharField(max_length=200, blank=True)
    # Stripe's field names still due (`requirements.currently_due` + `past_due`), with the
    # reasons it gave: [{"field": "company.tax_id", "reason": "…"}].
    requirements = models.JSONField(default=list, blank=True)
    pending_verification = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=80, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)
    connected_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    disconnected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice"], name="one_payment_account_per_practice"),
            models.UniqueConstraint(fields=["stripe_account_id"],
                                    condition=~models.Q(stripe_account_id=""),
                                    name="stripe_account_used_once"),
        ]

    def __str__(self) -> str:
        return f"{self.stripe_account_id or 'no account'} ({self.status})"


class PaymentAccountEvent(StatusEventBase):
    """One status change of a practice's payment account. Written only by the payment account
    state machine (payments/machine.py, through payments/services.py)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    account = models.ForeignKey(PaymentAccount, on_delete=models.CASCADE, related_name="events")

    class Meta(StatusEventBase.Meta):
        indexes = [models.Index(fields=["account", "created_at"])]


class ClientPaymentProfile(PracticeScoped):
    """A client's Stripe customer on the practice's account, and the default card on file.
    Created when first needed (the first card request or the first invoice)."""

    client = models.OneToOneField(Client, on_delete=models.PROTECT, related_name="payment_profile")
    account = models.ForeignKey(PaymentAccount, on_delete=models.PROTECT, related_name="+")
    stripe_customer_id = models.CharField(max_length=64)
    # The default card as Stripe shows it; empty when there is none.
    card_payment_method_id = models.CharField(max_length=64, blank=True)
    card_brand = models.CharField(max_length=20, blank=True)
    card_last4 = models.CharField(max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(null=True, blank=True)
    card_saved_at = models.DateTimeField(null=True, blank=True)
    # Consent to charge the card on file for future sessions (given on the card page).
    autopay_consent_at = models.DateTimeField(null=True, blank=True)
    autopay_consent_text = models.TextField(blank=True)
    # Set when repeated declines stop autopay (the invoices issue); cleared by a new card.
    autopay_paused_at = models.DateTimeField(null=True, blank=True)
    # Set by `customer.deleted`: the customer is gone on Stripe, so the next use makes a new
    # one (cards) instead of calling Stripe with an id it no longer knows.
    customer_deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "stripe_customer_id"],
                                    name="stripe_customer_used_once"),
        ]

    @property
    def has_card(self) -> bool:
        return bool(self.card_payment_method_id)


class CardRequestStatus(models.TextChoices):
    PENDING = "pending", "Waiting for the client"
    COMPLETED = "completed", "Card saved"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"


class CardRequest(PracticeScoped):
    """A link emailed to a client (or opened by staff with the client) to save a card. The link
    is ours (`token`), not Stripe's: a Checkout Session lasts 24 hours, so opening the link
    makes a fresh session each time until a card is saved or the link expires."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="card_requests")
    token = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=20, choices=CardRequestStatus.choices,
                              default=CardRequestStatus.PENDING)
    requested_by = models.ForeignKey(User, on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    emailed_to = models.EmailField(blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    # Charge the client's open invoices once the card is saved (ticked by staff).
    charge_open_invoices = models.BooleanField(default=False)
    checkout_session_id = models.CharField(max_length=80, blank=True)
    sessions_made = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    # The autopay authorization the client ticked on our page before the card form, word for
    # word as shown, and when; copied to the profile once the card is saved.
    consent_text = models.TextField(blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["practice", "client", "status"])]

    @property
    def is_past_expiry(self) -> bool:
        return timezone.now() >= self.expires_at


class CardRequestEvent(StatusEventBase):
    """One status change of a card link. Written only by the card request state machine
    (payments/card_machine.py, through payments/cards.py)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    card_request = models.ForeignKey(CardRequest, on_delete=models.CASCADE,
                                     related_name="events")

    class Meta(StatusEventBase.Meta):
        indexes = [models.Index(fields=["card_request", "created_at"])]


class WebhookEventState(models.TextChoices):
    RECEIVED = "received", "Received"
    PROCESSED = "processed", "Processed"
    IGNORED = "ignored", "Ignored"
    FAILED = "failed", "Failed (will retry)"


class StripeWebhookEvent(models.Model):
    """A webhook event exactly as Stripe sent it, stored before anything else happens (so
    nothing accepted is lost) and processed by a task on commit. The unique event id makes a
    replay a no-op. Not practice-scoped at arrival: `practice` is filled from the account
    when it is known; an event for an unknown account keeps it empty and changes nothing."""

    event_id = models.CharField(max_length=80, unique=True)
    type = models.CharField(max_length=80)
    account_id = models.CharField(max_length=64, blank=True)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    livemode = models.BooleanField(default=False)
    created = models.DateTimeField(help_text="the event's own time, on Stripe's clock")
    payload = models.JSONField()
    state = models.CharField(max_length=20, choices=WebhookEventState.choices,
                             default=WebhookEventState.RECEIVED)
    attempts = models.PositiveIntegerField(default=0)
    outcome = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)
    # webhooks: when the sweeper tries a failed event again (back-off); empty once it gave up.
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        indexes = [models.Index(fields=["state", "received_at"]),
                   models.Index(fields=["state", "next_attempt_at"],
                                name="payments_webhook_retry_due")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.type} ({self.state})"


class StripeWebhookStateEvent(StatusEventBase):
    """webhooks: one move of a stored webhook event's state (received -> processed, …),
    written only by its state machine (payments/webhook_machine.py, through webhooks.py)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    webhook_event = models.ForeignKey(StripeWebhookEvent, on_delete=models.CASCADE,
                                      related_name="moves")

    class Meta(StatusEventBase.Meta):
        pass


class StripeRequest(models.Model):
    """The ledger of creating calls sent to Stripe, one row per idempotency key (unique), written
    in its own transaction before the call and completed with the object id after it. A retry
    finds the row: done → reuse the object, no call; under 24 hours → the same key (Stripe
    replays); older → look the object up before creating anything (Stripe forgets keys)."""

    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+")
    key = models.CharField(max_length=200, unique=True)
    operation = models.CharField(max_length=60)
    object_id = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["practice", "operation"])]
