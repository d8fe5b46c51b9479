from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "oasys.invoices"
    label = "invoices"
    verbose_name = "Client invoices"
