from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "oasys.appointments"
    label = "appointments"
    verbose_name = "Therapy sessions"

    def ready(self) -> None:
        from . import services  # noqa: F401  (registers the session state machine)
