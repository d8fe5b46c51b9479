from django.apps import AppConfig


class StatementsConfig(AppConfig):
    name = "oasys.statements"
    label = "statements"
    verbose_name = "Client statements"
