"""Sessions shown on other apps' pages: the client's overview lists its recent sessions.

A template tag rather than an import in clients.views: appointments build on clients, so the
client page asks for the sessions here (as it asks eligibility_tags for the latest check)."""

from __future__ import annotations

from django import template

from oasys.clients.models import Client

from ..models import Appointment
from ..selectors import appointment_recent_list

register = template.Library()


@register.simple_tag
def client_recent_sessions(client: Client, limit: int = 10) -> list[Appointment]:
    """The client's latest sessions, newest first. The client was looked up in the viewer's
    practice, so its practice is the one to read from."""
    return appointment_recent_list(practice=client.practice, client=client, limit=limit)
