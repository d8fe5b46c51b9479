"""How a refusal reaches a person. Services raise a DomainError (oasys/core/errors.py) or,
for field checks, Django's ValidationError with {field: message}; the API answers
{"errors": {field: message}} with the error's status, and screens either put each message
beside its field (`form_add_errors`) or show it as a message and carry on to the redirect
(`refusals_as_messages`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest

from .errors import DomainError

NON_FIELD = "__all__"

Refusal = DomainError | ValidationError


def refuse(errors: dict[str, str]) -> NoReturn:
    raise ValidationError({field: [message] for field, message in errors.items()})


def error_messages(exc: Refusal) -> dict[str, str]:
    """{field: first message}; messages not tied to a field come under "__all__"."""
    if isinstance(exc, DomainError):
        return dict(exc.errors)
    if hasattr(exc, "error_dict"):
        return {field: messages[0] for field, messages in exc.message_dict.items()}
    return {NON_FIELD: exc.messages[0] if exc.messages else "Invalid input."}


def error_text(exc: Refusal) -> str:
    """Every message of the refusal as one sentence for a flash message."""
    if isinstance(exc, DomainError):
        return " ".join(dict.fromkeys(exc.errors.values())) or exc.message
    return " ".join(dict.fromkeys(exc.messages)) or "Invalid input."


def form_add_errors(form: forms.Form, exc: Refusal) -> None:
    """Attach a service's errors to the form, each beside its own field when it has one."""
    for field, message in error_messages(exc).items():
        form.add_error(field if field in form.fields else None, message)


class Outcome:
    """What `refusals_as_messages` saw: falsy when the block was refused."""

    def __init__(self) -> None:
        self.error: Refusal | None = None

    @property
    def refused(self) -> bool:
        return self.error is not None

    def __bool__(self) -> bool:
        return self.error is None


@contextmanager
def refusals_as_messages(request: HttpRequest, *, prefix: str = "") -> Iterator[Outcome]:
    """Run a service call; a refusal becomes a `messages.error` (after `prefix`) and the
    view goes on to its redirect or re-render. Anything else is a bug and propagates.

        with refusals_as_messages(request) as done:
            claim_void(claim=claim, actor=request.user)
        if done:
            messages.success(request, "Claim voided.")
        return redirect(...)
    """
    outcome = Outcome()
    try:
        yield outcome
    except (DomainError, ValidationError) as exc:
        outcome.error = exc
        messages.error(request, f"{prefix}{error_text(exc)}")


__all__ = ["NON_FIELD", "Outcome", "Refusal", "error_messages", "error_text",
           "form_add_errors", "refuse", "refusals_as_messages"]
