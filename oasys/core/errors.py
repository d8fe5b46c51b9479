"""The domain's errors: one base, four kinds. Services raise these; the API maps each kind to
one HTTP status with the documented `{"errors": {field: message}}` shape, and views show the
message to the user. A domain error never reaches a user as a 500.

| kind          | meaning                                              | API status |
| ------------- | ---------------------------------------------------- | ---------- |
| InvalidInput  | the request's data is wrong; fix it and try again     | 422        |
| NotAllowed    | this user may not do this                             | 403        |
| Conflict      | the object's state forbids it now (status, billed…)   | 409        |
| NotFound      | no such object in this practice                       | 404        |
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError


class DomainError(Exception):
    """Base of every error a service raises on purpose. `errors` maps a field (or
    "__all__") to a message a person can act on."""

    status_code = 400

    def __init__(self, message: str = "", *, errors: Mapping[str, str] | None = None) -> None:
        self.errors: dict[str, str] = dict(errors or {})
        if not message:
            message = " ".join(self.errors.values()) or self.default_message()
        if not self.errors:
            self.errors = {"__all__": message}
        self.message = message
        super().__init__(message)

    @classmethod
    def default_message(cls) -> str:
        return "The request was refused."


class InvalidInput(DomainError, ValidationError):
    """Also a Django ValidationError, so forms and code that catch field errors treat it as
    one. Takes a message, or a {field: message(s)} dict as ValidationError does."""

    status_code = 422

    def __init__(self, message: str | Mapping[str, Any] = "", *,
                 errors: Mapping[str, str] | None = None) -> None:
        if isinstance(message, Mapping):
            errors = {field: " ".join(text) if isinstance(text, list | tuple) else str(text)
                      for field, text in message.items()}
            message = ""
        DomainError.__init__(self, message, errors=errors)
        # ValidationError's own shape: a dict of fields, or the one message
        fields = {k: [v] for k, v in self.errors.items() if k != "__all__"}
        ValidationError.__init__(self, fields or self.message)

    @classmethod
    def default_message(cls) -> str:
        return "The data given is not valid."


class NotAllowed(DomainError):
    status_code = 403

    @classmethod
    def default_message(cls) -> str:
        return "You are not allowed to do this."


class Conflict(DomainError):
    status_code = 409

    @classmethod
    def default_message(cls) -> str:
        return "This cannot be done in the object's current state."


class NotFound(DomainError):
    status_code = 404

    @classmethod
    def default_message(cls) -> str:
        return "Not found."
