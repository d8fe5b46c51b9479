from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "oasys.clients"
    label = "clients"
    verbose_name = "Clients"
