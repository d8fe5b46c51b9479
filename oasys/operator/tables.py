"""Which rows belong to a practice, found from Django's app registry rather than imports:
the operator acts on every app's tables (export, storage, deletion), and a table added later
is covered without touching this module.

A model belongs to a practice when it has a foreign key to Practice, or reaches one through
foreign keys (an email's attachments, a user's API tokens and two-factor devices)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from django.apps import apps
from django.db import models

from oasys.core.models import Practice

MAX_HOPS = 3  # StaticToken → StaticDevice → User → Practice is the longest path today

# Never exported: secrets of the server, not data of the practice. A password hash, an API
# token's hash, an invitation's hash; two-factor devices' keys (their apps are left out).
SECRET_FIELDS = {("core.User", "password"), ("core.ApiToken", "key_hash"),
                 ("accounts.Invitation", "token_hash")}
SECRET_APPS = {"otp_totp", "otp_static"}


@dataclass(frozen=True)
class PracticeTable:
    model: type[models.Model]
    path: str  # the lookup from the model to the practice's id, e.g. "practice_id"

    @property
    def label(self) -> str:
        return self.model._meta.label

    def rows(self, practice: Practice) -> models.QuerySet:
        # The base manager: custom managers may hide rows (or refuse deletes, the journal's).
        # By id: a model's own ordering may join another table (a card's client's name),
        # which would drop rows whose other side is gone already mid-deletion.
        return self.model._base_manager.filter(**{self.path: practice.pk}).order_by("pk")


def _paths() -> dict[type[models.Model], str]:
    found: dict[type[models.Model], str] = {}
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is Practice:
                found[model] = f"{field.name}_id"
                break
    for _ in range(MAX_HOPS - 1):
        for model in apps.get_models():
            if model in found or model is Practice:
                continue
            for field in model._meta.concrete_fields:
                if field.is_relation and field.related_model in found:
                    found[model] = f"{field.name}__{found[field.related_model]}"
                    break
    return found


def practice_tables() -> list[PracticeTable]:
    """Every table with rows of a practice, by label."""
    return sorted((PracticeTable(model, path) for model, path in _paths().items()),
                  key=lambda t: t.label)


def exported_fields(table: PracticeTable) -> list[models.Field]:
    return [f for f in table.model._meta.concrete_fields
            if (table.label, f.name) not in SECRET_FIELDS]


def exported_tables() -> Iterator[PracticeTable]:
    return (t for t in practice_tables() if t.model._meta.app_label not in SECRET_APPS)


def file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
