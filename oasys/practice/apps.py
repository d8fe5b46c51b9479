from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "oasys.practice"
    label = "practice"
    verbose_name = "Practice setup"

    def ready(self) -> None:
        from . import machine  # noqa: F401  (registers the enrollment state machine)
