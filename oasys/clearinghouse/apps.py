from django.apps import AppConfig


class ClearinghouseConfig(AppConfig):
    name = "oasys.clearinghouse"
    label = "clearinghouse"
    verbose_name = "Clearinghouse"
