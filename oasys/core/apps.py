from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "oasys.core"
    label = "core"
    verbose_name = "Core: practices, users, audit"

    def ready(self) -> None:
        # Django app loading: the machine's module imports models, which exist only once
        # every app is loaded.
        from . import outbound_mail  # noqa: F401, PLC0415  (registers the email state machine)
