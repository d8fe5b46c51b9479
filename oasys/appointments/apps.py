from django.apps import AppConfig


class AppointmentsConfig(AppConfig):
    name = "oasys.appointments"
    label = "appointments"
    verbose_name = "Therapy sessions"
