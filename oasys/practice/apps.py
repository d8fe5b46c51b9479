from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "oasys.practice"
    label = "practice"
    verbose_name = "Practice setup"

    def ready(self) -> None:
        # Django app loading: the machine's module imports models, which exist only once
        # every app is loaded.
        from . import machine  # noqa: F401, PLC0415  (registers the enrollment state machine)
