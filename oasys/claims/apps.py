from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "oasys.claims"
    label = "claims"
    verbose_name = "Insurance claims"
