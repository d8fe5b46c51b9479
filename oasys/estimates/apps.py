from django.apps import AppConfig


class EstimatesConfig(AppConfig):
    name = "oasys.estimates"
    label = "estimates"
    verbose_name = "Good-faith estimates"
