from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "oasys.appointments"
    label = "appointments"
    verbose_name = "Therapy sessions"

    def ready(self) -> None:
        # Django app loading: the machine's module imports models, which exist only once
        # every app is loaded.
        from . import services  # noqa: F401, PLC0415  (registers the session state machine)
