from django.apps import AppConfig


class EligibilityConfig(AppConfig):
    name = "oasys.eligibility"
    label = "eligibility"
    verbose_name = "Eligibility"
