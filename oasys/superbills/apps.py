from django.apps import AppConfig


class SuperbillsConfig(AppConfig):
    name = "oasys.superbills"
    label = "superbills"
    verbose_name = "Superbills"

    def ready(self) -> None:
        # Django app loading: the machine imports models, which exist only once every app is
        # loaded; importing it registers the superbill state machine.
        from . import machine  # noqa: F401, PLC0415
