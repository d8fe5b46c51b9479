"""Reads of clients' cards on file and the links sent to save one. Scoped by the client's
practice; reading them is audited by the screen or route that shows them (`phi_read`)."""

from __future__ import annotations

from django.db.models import QuerySet

from oasys.clients.models import Client
from oasys.core.models import SentEmail
from oasys.core.selectors import sent_email_list

from .models import CardRequest, ClientPaymentProfile


def client_card_get(*, client: Client) -> ClientPaymentProfile | None:
    """The client's profile when it holds a default card, else None."""
    profile = ClientPaymentProfile.objects.filter(practice_id=client.practice_id,
                                                  client=client).first()
    return profile if profile is not None and profile.has_card else None


def card_request_list(*, client: Client) -> QuerySet[CardRequest]:
    """The links made for the client, newest first."""
    return (CardRequest.objects.filter(practice_id=client.practice_id, client=client)
            .select_related("requested_by").order_by("-created_at", "-pk"))


def card_request_emails(*, client: Client) -> dict[int, SentEmail]:
    """The latest recorded email of each of the client's card links, by link id (its delivery
    status is what the card page shows)."""
    emails: dict[int, SentEmail] = {}
    for email in sent_email_list(practice=client.practice, client_id=client.pk,
                                 kind="card_request", object_type="CardRequest"):
        emails.setdefault(int(email.object_id), email)
    return emails
