from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    name = "oasys.remittance"
    label = "remittance"
    verbose_name = "Payment remittances (ERAs)"

    def ready(self) -> None:
        from oasys.clearinghouse.handlers import handler_register

        from .services import era_file_handle

        handler_register("835", era_file_handle)
