"""Moving PHI at rest onto the current keys: `oasys keys rotate`, and the migrations that
first encrypted existing rows and card files.

Every model with encrypted fields is found through its fields (no app is named here), each
stored value is read as it is in the database, and a value not under the current field key
(plaintext from before encryption, or a token of an older key) is written again under it;
keyed hashes are recomputed under the current hash key. Safe to run again at any time: rows
and files already current are left alone.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from django.apps import apps as global_apps
from django.db import migrations, models, transaction
from django.db.models.functions import Cast

from oasys.core import crypto
from oasys.core.fields import BlindIndexField, EncryptedStorage, EncryptedTextField


@dataclass
class RotationReport:
    """Counts per model label ("clients.Client"): rows looked at, rows and files rewritten."""

    rows_seen: dict[str, int] = field(default_factory=dict)
    rows_rewritten: dict[str, int] = field(default_factory=dict)
    files_rewritten: dict[str, int] = field(default_factory=dict)
    files_missing: dict[str, int] = field(default_factory=dict)


def _encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]


def _hash_fields(model: type[models.Model]) -> list[BlindIndexField]:
    return [f for f in model._meta.concrete_fields if isinstance(f, BlindIndexField)]


def _file_fields(model: type[models.Model]) -> list[models.FileField]:
    return [f for f in model._meta.concrete_fields
            if isinstance(f, models.FileField) and isinstance(f.storage, EncryptedStorage)]


def encrypted_models(apps=global_apps) -> list[type[models.Model]]:  # noqa: ANN001
    """Models holding encrypted values or files (`apps` may be a migration's app registry)."""
    return [m for m in apps.get_models()
            if _encrypted_fields(m) or _hash_fields(m) or _file_fields(m)]


def _plain(f: EncryptedTextField, raw: str) -> object:
    """The Python value of a stored value: a token is decrypted, plaintext (rows written
    before the column was encrypted) is read as the column's old text form."""
    text = crypto.decrypt_text(raw) if crypto.looks_encrypted(raw.encode()) else raw
    return f.text_to_plain(text)


def _row_stale(raws: dict[str, str | None], hashes: dict[str, str], wanted: dict[str, str]
               ) -> bool:
    for raw in raws.values():
        if raw and not (crypto.looks_encrypted(raw.encode()) and crypto.is_current(raw.encode())):
            return True
    return any(hashes[name] != wanted[name] for name in wanted)


def model_rows_reencrypt(model: type[models.Model], *, report: RotationReport,
                         batch_size: int = 200) -> None:
    """Rewrite the model's rows whose values or hashes are not under the current keys."""
    enc, hashes = _encrypted_fields(model), _hash_fields(model)
    if not (enc or hashes):
        return
    label = model._meta.label
    manager = model._base_manager
    # Cast to text: the column as stored, without the field's decryption on the way out.
    raw_names = {f.attname: f"_raw_{f.attname}" for f in enc}
    annotations = {alias: Cast(name, models.TextField()) for name, alias in raw_names.items()}
    seen = rewritten = 0
    last_pk = None
    while True:
        qs = manager.order_by("pk")
        if last_pk is not None:
            qs = qs.filter(pk__gt=last_pk)
        batch = list(qs.annotate(**annotations).values(
            "pk", *raw_names.values(), *(h.attname for h in hashes))[:batch_size])
        if not batch:
            break
        last_pk = batch[-1]["pk"]
        with transaction.atomic():
            for row in batch:
                seen += 1
                raws = {name: row[alias] for name, alias in raw_names.items()}
                plain = {name: (None if raw is None else "" if raw == "" else
                                _plain(model._meta.get_field(name), raw))
                         for name, raw in raws.items()}
                sources = {h.attname: plain.get(h.source, "") for h in hashes}
                wanted = {name: crypto.blind_index(str(value or ""))
                          for name, value in sources.items()}
                if not _row_stale(raws, {h.attname: row[h.attname] for h in hashes}, wanted):
                    continue
                manager.filter(pk=row["pk"]).update(**plain, **wanted)
                rewritten += 1
    report.rows_seen[label] = report.rows_seen.get(label, 0) + seen
    report.rows_rewritten[label] = report.rows_rewritten.get(label, 0) + rewritten


def _fresh_name(name: str) -> str:
    # A new random name beside the old one (not a suffix on it: names would grow each time).
    path = PurePosixPath(name)
    return str(path.parent / f"{secrets.token_hex(16)}{path.suffix}")


def model_files_reencrypt(model: type[models.Model], *, report: RotationReport) -> None:
    """Rewrite the model's encrypted files not under the current key (plaintext included),
    each under a new name: the row points at the new file before the old one is deleted."""
    label = model._meta.label
    for f, pk, name, raw in _stored_files(model):
        if raw is None:
            report.files_missing[label] = report.files_missing.get(label, 0) + 1
            continue
        if crypto.looks_encrypted(raw):
            if crypto.is_current(raw):
                continue
            token = crypto.rotate_bytes(raw)
        else:
            token = crypto.encrypt_bytes(raw)
        with transaction.atomic():
            _file_replace(model, f, pk=pk, old=name, content=token)
        report.files_rewritten[label] = report.files_rewritten.get(label, 0) + 1


def _stored_files(model: type[models.Model]) -> Iterator[tuple[models.FileField, object, str,
                                                               bytes | None]]:
    """Each encrypted file of the model's rows: (field, pk, name, its bytes as stored, or
    None when the file is missing)."""
    for f in _file_fields(model):
        storage: EncryptedStorage = f.storage
        rows = model._base_manager.exclude(**{f.attname: ""}).values_list("pk", f.attname)
        for pk, name in rows:
            try:
                yield f, pk, name, storage.raw_read(name)
            except FileNotFoundError:
                yield f, pk, name, None


def _file_replace(model: type[models.Model], f: models.FileField, *, pk: object, old: str,
                  content: bytes) -> None:
    """Save `content` under a new name, point the row at it, and delete the old file once
    the caller's transaction commits (the row never points at a deleted file)."""
    storage: EncryptedStorage = f.storage
    new_name = storage.raw_save(_fresh_name(old), content)
    model._base_manager.filter(pk=pk).update(**{f.attname: new_name})
    transaction.on_commit(lambda: storage.delete(old))


def field_keys_rotate(*, apps=global_apps, batch_size: int = 200) -> RotationReport:  # noqa: ANN001
    """Every encrypted row and file onto the current field key, every hash onto the current
    hash key. Afterwards the older keys can be removed from the environment."""
    report = RotationReport()
    for model in encrypted_models(apps):
        model_rows_reencrypt(model, report=report, batch_size=batch_size)
        model_files_reencrypt(model, report=report)
    return report


def model_rows_decrypt(model: type[models.Model], *, connection) -> None:  # noqa: ANN001
    """Write the model's encrypted values back as plaintext (undoing the migration that
    encrypted them; the column goes back to its old type just after)."""
    enc = _encrypted_fields(model)
    if not enc:
        return
    qn = connection.ops.quote_name
    raw_names = {f.attname: f"_raw_{f.attname}" for f in enc}
    annotations = {alias: Cast(name, models.TextField()) for name, alias in raw_names.items()}
    rows = model._base_manager.annotate(**annotations).values("pk", *raw_names.values())
    with connection.cursor() as cursor:
        for row in rows.iterator():
            for name, alias in raw_names.items():
                raw = row[alias]
                if not raw or not crypto.looks_encrypted(raw.encode()):
                    continue
                cursor.execute(
                    f"UPDATE {qn(model._meta.db_table)} SET {qn(name)} = %s "  # noqa: S608
                    f"WHERE {qn(model._meta.pk.column)} = %s",
                    [crypto.decrypt_text(raw), row["pk"]])


def model_files_decrypt(model: type[models.Model]) -> None:
    """Write the model's encrypted files back as plaintext, each under a new name."""
    for f, pk, name, raw in _stored_files(model):
        if raw is None or not crypto.looks_encrypted(raw):
            continue
        _file_replace(model, f, pk=pk, old=name, content=crypto.decrypt_bytes(raw))


def encrypt_existing(app_label: str, *model_names: str):  # noqa: ANN201
    """A migration operation encrypting the named models' existing rows and files (and
    filling their hashes); reversed, it writes them back as plaintext."""
    def checks_now(schema_editor) -> None:  # noqa: ANN001
        # PostgreSQL refuses the migration's deferred index creation while the updates'
        # deferred foreign-key checks are pending: run those checks now.
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    def forward(apps, schema_editor):  # noqa: ANN001
        report = RotationReport()
        for name in model_names:
            model = apps.get_model(app_label, name)
            model_rows_reencrypt(model, report=report)
            model_files_reencrypt(model, report=report)
        checks_now(schema_editor)

    def backward(apps, schema_editor):  # noqa: ANN001
        for name in model_names:
            model = apps.get_model(app_label, name)
            model_rows_decrypt(model, connection=schema_editor.connection)
            model_files_decrypt(model)
        checks_now(schema_editor)

    return migrations.RunPython(forward, backward, elidable=False)
