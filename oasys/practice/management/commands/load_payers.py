"""`oasys load-payers [--path FILE]`: upsert the payer directory (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from oasys.practice.services import payer_directory_load


class Command(BaseCommand):
    help = "Load or refresh the payer directory from data/payers.csv (or --path)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--path", default=None, help="CSV in the payers.csv format")

    def handle(self, *args, path: str | None = None, **options) -> None:
        result = payer_directory_load(path=path)
        self.stdout.write(
            f"Payers: {result.created} added, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )
