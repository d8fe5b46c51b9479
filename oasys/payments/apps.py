from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "oasys.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django app loading: models exist only once every app is loaded
        from . import machine  # noqa: F401, PLC0415 - registers the payment account machine
        from .webhook_machine import STRIPE_WEBHOOK_EVENT  # noqa: F401, PLC0415 - webhooks
