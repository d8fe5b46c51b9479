from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "oasys.ledger"
    label = "ledger"
    verbose_name = "Ledger"
