from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "oasys.demo"
    label = "demo"
    verbose_name = "Demo data and the demo runner"
