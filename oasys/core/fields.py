"""Model fields for PHI at rest: values encrypted in the database, and their keyed hashes.

An encrypted column holds a Fernet token (text); Python code reads and writes the plain value
as with the ordinary field. The database cannot compare plaintexts, so lookups other than
`isnull` are refused (a filter would silently match nothing); match exactly through a
`BlindIndexField` instead, kept up to date on every save.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.core.files.storage import Storage, default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils.dateparse import parse_date
from django.utils.deconstruct import deconstructible

from oasys.core import crypto


class EncryptedTextField(models.TextField):
    """A string stored encrypted. `max_length` is checked on validation, not by the column
    (the token is longer than the value). An empty string is stored as it is."""

    encrypted = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(validators.MaxLengthValidator(self.max_length))

    def get_lookup(self, lookup_name: str):  # noqa: ANN201 - Django's signature
        # Only "is it set" can be asked of a ciphertext; anything else returns None, which
        # Django reports as an unsupported lookup.
        return super().get_lookup(lookup_name) if lookup_name == "isnull" else None

    def plain_to_text(self, value: Any) -> str:
        return str(value)

    def text_to_plain(self, text: str) -> Any:
        return text

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        return self.text_to_plain(crypto.decrypt_text(value))

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        if not prepared:
            value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt_text(self.plain_to_text(value))

    def get_prep_value(self, value: Any) -> Any:
        return self.to_python(value)


class EncryptedDateField(EncryptedTextField):
    """A date stored encrypted (as its ISO text); Python sees a `datetime.date`."""

    def to_python(self, value: Any) -> dt.date | None:
        if value is None or value == "":
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        parsed = parse_date(str(value)) if isinstance(value, str) else None
        if parsed is None:
            raise ValidationError("Enter a valid date.", code="invalid")
        return parsed

    def plain_to_text(self, value: dt.date) -> str:
        return value.isoformat()

    def text_to_plain(self, text: str) -> dt.date:
        return dt.date.fromisoformat(text)

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return "" if value is None else value.isoformat()

    def formfield(self, **kwargs: Any) -> forms.Field:
        return forms.DateField(required=not self.blank, label=self.verbose_name, **kwargs)


class EncryptedJSONField(EncryptedTextField):
    """A JSON document (a dict or list) stored encrypted as one token."""

    def to_python(self, value: Any) -> Any:
        return value

    def plain_to_text(self, value: Any) -> str:
        return json.dumps(value, cls=DjangoJSONEncoder)

    def text_to_plain(self, text: str) -> Any:
        return json.loads(text)

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)


class BlindIndexField(models.CharField):
    """The keyed hash (see `oasys.core.crypto.blind_index`) of another field of the row,
    recomputed whenever the row is saved, for exact matches on an encrypted value."""

    def __init__(self, *args: Any, source: str, **kwargs: Any) -> None:
        self.source = source
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("editable", False)
        super().__init__(*args, **kwargs)

    def deconstruct(self):  # noqa: ANN201 - Django's signature
        name, path, args, kwargs = super().deconstruct()
        kwargs["source"] = self.source
        return name, path, args, kwargs

    def pre_save(self, model_instance: models.Model, add: bool) -> str:
        value = crypto.blind_index(str(getattr(model_instance, self.source) or ""))
        setattr(model_instance, self.attname, value)
        return value


@deconstructible(path="oasys.core.fields.EncryptedStorage")
class EncryptedStorage(Storage):
    """Files encrypted (Fernet over the bytes) in the default storage: what is on disk is a
    token, `open()` gives the original bytes back. Names and deletion are the default
    storage's, so tests that point the default storage elsewhere move these files too."""

    def _open(self, name: str, mode: str = "rb") -> File:
        if "w" in mode or "a" in mode or "+" in mode:
            raise ValueError("Encrypted files are written with save(), not opened for writing")
        return ContentFile(crypto.decrypt_bytes(self.raw_read(name)), name=name)

    def _save(self, name: str, content: File) -> str:
        content.seek(0)
        data = content.read()
        if isinstance(data, str):
            data = data.encode()
        return self.raw_save(name, crypto.encrypt_bytes(data))

    def raw_read(self, name: str) -> bytes:
        with default_storage.open(name, "rb") as handle:
            return handle.read()

    def raw_save(self, name: str, data: bytes) -> str:
        """Store bytes as they are (already encrypted) under `name` or a free name near it."""
        return default_storage.save(name, ContentFile(data))

    def delete(self, name: str) -> None:
        default_storage.delete(name)

    def exists(self, name: str) -> bool:
        return default_storage.exists(name)

    def path(self, name: str) -> str:
        return default_storage.path(name)

    def size(self, name: str) -> int:
        return len(self.open(name).read())

    def listdir(self, path: str):  # noqa: ANN201 - Storage's signature
        return default_storage.listdir(path)

    def url(self, name: str | None) -> str:
        raise NotImplementedError("PHI files are served only through views that check access")


_encrypted_storage = EncryptedStorage()


def encrypted_storage() -> EncryptedStorage:
    """The storage of encrypted files (a callable, so migrations name it, not its state)."""
    return _encrypted_storage
