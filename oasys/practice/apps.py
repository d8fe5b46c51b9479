from django.apps import AppConfig


class PracticeConfig(AppConfig):
    name = "oasys.practice"
    label = "practice"
    verbose_name = "Practice setup"
