from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "oasys.billing"
    label = "billing"
    verbose_name = "Billing: readiness and the Bill Sessions queue"
