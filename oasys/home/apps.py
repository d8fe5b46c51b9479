from django.apps import AppConfig


class HomeConfig(AppConfig):
    name = "oasys.home"
    label = "home"
    verbose_name = "Home page"

    def ready(self) -> None:
        # core draws "/" and asks us for the practice's page (core imports nothing above it)
        from oasys.core.views import practice_home_register  # noqa: PLC0415

        from .views import home  # noqa: PLC0415 - views import models, loaded only now

        practice_home_register(home)
