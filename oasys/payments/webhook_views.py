"""`POST /webhooks/stripe`: where Stripe delivers the events of the practices' connected
accounts (the Connect webhook endpoint, "Events on Connected accounts").

No login and no session: the `Stripe-Signature` proves the sender, so CSRF does not apply.
The answer tells Stripe only whether to deliver again: 200 `{"received": true}` once the
event is stored (also for a duplicate and for a type or account we ignore, so Stripe stops
retrying), 400 with the reason for a bad or missing signature or a body that is not an event
(nothing stored), 413 for a body no event is as large as. Nothing of the payload is echoed
back or logged: events about customers carry client names and emails."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from oasys.core.errors import InvalidInput
from oasys.core.permissions import PUBLIC, declare

from .webhooks import stripe_event_receive

# Stripe's events are a few kilobytes (an invoice with many lines, tens); refuse far larger
# bodies before reading them.
MAX_BODY_BYTES = 1024 * 1024


@csrf_exempt
@require_POST
@declare(PUBLIC)
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        return JsonResponse({"error": "The body is too large for a Stripe event."}, status=413)
    body = request.body
    if len(body) > MAX_BODY_BYTES:  # a body sent without (or with a wrong) length
        return JsonResponse({"error": "The body is too large for a Stripe event."}, status=413)
    try:
        stripe_event_receive(payload=body,
                             signature=request.headers.get("Stripe-Signature", ""))
    except InvalidInput as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"received": True})
