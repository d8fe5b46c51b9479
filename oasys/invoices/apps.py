from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "oasys.invoices"
    label = "invoices"
    verbose_name = "Client invoices"

    def ready(self) -> None:
        from . import machine  # noqa: F401  (registers the invoice state machine)
