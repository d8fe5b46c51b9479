from django.apps import AppConfig


class ClearinghouseConfig(AppConfig):
    name = "oasys.clearinghouse"
    label = "clearinghouse"
    verbose_name = "Clearinghouse"

    def ready(self) -> None:
        from . import machines  # noqa: F401 - registers the EDI file state machine
