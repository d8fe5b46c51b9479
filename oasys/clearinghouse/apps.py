from django.apps import AppConfig


class ClearinghouseConfig(AppConfig):
    name = "oasys.clearinghouse"
    label = "clearinghouse"
    verbose_name = "Clearinghouse"

    def ready(self) -> None:
        # Django app loading: models exist only once every app is loaded
        from . import machines  # noqa: F401, PLC0415 - registers the EDI file state machine
