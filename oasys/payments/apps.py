from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "oasys.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django app loading: models exist only once every app is loaded
        # (account_events: the webhook handlers of the practice's Stripe account)
        from . import account_events, machine  # noqa: F401, PLC0415 - registers the machine
