"""One shape for refused input: services raise Django's ValidationError with a dict of
{field name: message}; screens put each message beside its field, the API answers
422 {"errors": {field: message}}."""

from __future__ import annotations

from typing import NoReturn

from django import forms
from django.core.exceptions import ValidationError

NON_FIELD = "__all__"


def refuse(errors: dict[str, str]) -> NoReturn:
    raise ValidationError({field: [message] for field, message in errors.items()})


def error_messages(exc: ValidationError) -> dict[str, str]:
    """{field: first message}; messages not tied to a field come under "__all__"."""
    if hasattr(exc, "error_dict"):
        return {field: messages[0] for field, messages in exc.message_dict.items()}
    return {NON_FIELD: exc.messages[0] if exc.messages else "Invalid input."}


def form_add_errors(form: forms.Form, exc: ValidationError) -> None:
    """Attach a service's errors to the form, each beside its own field when it has one."""
    for field, message in error_messages(exc).items():
        form.add_error(field if field in form.fields else None, message)
