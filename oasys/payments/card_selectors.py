"""Reads of clients' cards on file and the links sent to save one. Scoped by the client's
practice; reading them is audited by the screen or route that shows them (`phi_read`)."""

from __future__ import annotations

from django.db.models import QuerySet

from oasys.clients.models import Client

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
