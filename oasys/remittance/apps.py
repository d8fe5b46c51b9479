from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    name = "oasys.remittance"
    label = "remittance"
    verbose_name = "Payment remittances (ERAs)"

    def ready(self) -> None:
        # Django app loading: these modules import models, which exist only once every app is
        # loaded, so they are imported here rather than at the top.
        from oasys.clearinghouse.handlers import handler_register  # noqa: PLC0415

        from .services import era_file_handle  # noqa: PLC0415

        handler_register("835", era_file_handle)
