from django.apps import AppConfig


class InvoicesConfig(AppConfig):
    name = "oasys.invoices"
    label = "invoices"
    verbose_name = "Client invoices"

    def ready(self) -> None:
        # Django app loading: these modules import models, which exist only once every app
        # is loaded. The machine registers the invoice state machine; stripe_events registers
        # the handlers of Stripe's invoice and charge events with the payments webhooks.
        from . import machine, stripe_events  # noqa: F401, PLC0415

        # charging: a card saved after Request Payment Method charges the open invoices
        # (payments calls its card-saved listeners; it may not import invoices).
        from .charging import card_saved_listeners_register  # noqa: PLC0415

        card_saved_listeners_register()
