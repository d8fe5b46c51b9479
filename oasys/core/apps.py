from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "oasys.core"
    label = "core"
    verbose_name = "Core: practices, users, audit"
