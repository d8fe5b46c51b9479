from django.urls import include, path

from .api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("billing/setup/", include("oasys.practice.urls")),
    path("billing/clients/", include("oasys.clients.urls")),
    path("billing/clients/", include("oasys.eligibility.wizard_urls")),
    path("billing/clients/", include("oasys.estimates.urls")),
    path("sessions/", include("oasys.appointments.urls")),
    path("billing/sessions/", include("oasys.billing.urls")),
    path("billing/claims/", include("oasys.claims.urls")),
    path("billing/invoices/", include("oasys.invoices.urls")),
    path("billing/superbills/", include("oasys.superbills.urls")),
    path("billing/statements/", include("oasys.statements.urls")),
    path("billing/edi/", include("oasys.clearinghouse.urls")),
    path("billing/eligibility/", include("oasys.eligibility.urls")),
    path("billing/remittances/", include("oasys.remittance.urls")),
    path("billing/reports/", include("oasys.ledger.urls")),
    path("billing/outbox/", include("oasys.core.outbox_urls")),
    path("settings/audit-log/", include("oasys.core.audit_log_urls")),
    path("billing/", include("oasys.autobilling.urls")),
    path("billing/", include("oasys.payments.urls")),
    path("", include("oasys.payments.public_urls")),
    path("account/", include("oasys.accounts.urls")),
    path("operator/", include("oasys.operator.urls")),
    path("", include("oasys.core.urls")),
]
