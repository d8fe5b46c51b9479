from django.apps import AppConfig


class OperatorConfig(AppConfig):
    name = "oasys.operator"
    label = "operator"
    verbose_name = "Operator console"
    default_auto_field = "django.db.models.BigAutoField"
