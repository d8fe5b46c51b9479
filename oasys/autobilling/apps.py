from django.apps import AppConfig


class AutobillingConfig(AppConfig):
    name = "oasys.autobilling"
    label = "autobilling"
    verbose_name = "Auto-billing"

    def ready(self) -> None:
        # the run's phase machine registers itself (models exist only once apps are loaded)
        from . import machine  # noqa: F401, PLC0415
