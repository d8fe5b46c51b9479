from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "oasys.claims"
    label = "claims"
    verbose_name = "Insurance claims"

    def ready(self) -> None:
        # Django app loading: these modules import models, which exist only once every app is
        # loaded, so they are imported here rather than at the top.
        from oasys.clearinghouse.handlers import (  # noqa: PLC0415
            handler_register,
            outbound_handler_register,
        )

        from . import machine  # noqa: F401, PLC0415  (registers the claim state machine)
        from .inbound import handle_claim_file  # noqa: PLC0415
        from .submission import submission_transmitted  # noqa: PLC0415

        handler_register("999", handle_claim_file)
        handler_register("277", handle_claim_file)
        outbound_handler_register(submission_transmitted)
