from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "oasys.billing"
    label = "billing"
    verbose_name = "Billing: readiness and the Bill Sessions queue"

    def ready(self) -> None:
        # Django app loading: these modules import models, which exist only once every app is
        # loaded. Claims asks billing's readiness engine to rebuild a resubmitted claim.
        from oasys.claims.actions import claim_session_refresher_register  # noqa: PLC0415

        from .claim_refresh import claim_refresh_from_session  # noqa: PLC0415

        claim_session_refresher_register(claim_refresh_from_session)
