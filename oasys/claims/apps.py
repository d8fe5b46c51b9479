from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "oasys.claims"
    label = "claims"
    verbose_name = "Insurance claims"

    def ready(self) -> None:
        from oasys.clearinghouse.handlers import handler_register

        from . import machine  # noqa: F401, PLC0415  (registers the claim state machine)
        from .inbound import handle_claim_file

        handler_register("999", handle_claim_file)
        handler_register("277", handle_claim_file)
