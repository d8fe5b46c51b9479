from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "oasys.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django app loading: models exist only once every app is loaded. Each module
        # registers something: the payment account and card link machines, the handlers of
        # card events, the stored webhook events' machine.
        from . import (  # noqa: F401, PLC0415
            card_events,
            card_machine,
            machine,
            webhook_machine,
        )
