from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "oasys.invoices"
    label = "invoices"
    verbose_name = "Client invoices"

    def ready(self) -> None:
        # Django app loading: the machine's module imports models, which exist only once
        # every app is loaded.
        from . import machine  # noqa: F401, PLC0415  (registers the invoice state machine)
