"""The main screens the phone-width and accessibility walks open, filled from the seeded
world (oasys/core/tests/phi_world.py: the demo practices plus claims, invoices and an ERA),
and the login helper they share."""

from __future__ import annotations

from oasys.appointments.models import Appointment
from oasys.claims.models import Claim
from oasys.core.tests.phi_world import PhiWorld
from oasys.demo.seed import DEMO_PASSWORD, SOLO_EMAIL
from oasys.invoices.models import Invoice
from oasys.remittance.models import Remittance

# Pages a signed-out visitor sees.
PUBLIC_PAGES = ["/login/", "/account/signup/", "/account/password/reset/", "/no-such-page/"]


def main_pages(world: PhiWorld) -> list[str]:
    """Every main screen of Serenity's owner (the solo therapist), one of each detail page."""
    practice = world.practice
    claim = Claim.objects.filter(practice=practice).order_by("pk").first()
    client = claim.client
    session = Appointment.objects.filter(practice=practice).order_by("pk").first()
    invoice = Invoice.objects.filter(practice=practice).order_by("pk").first()
    era = Remittance.objects.filter(practice=practice).order_by("pk").first()
    return [
        "/billing/sessions/", "/billing/sessions/?tab=incomplete",
        "/billing/claims/", f"/billing/claims/{claim.pk}/",
        "/billing/clients/", f"/billing/clients/{client.pk}/",
        f"/billing/clients/{client.pk}/edit/", f"/billing/clients/{client.pk}/insurance/",
        "/billing/clients/new/",
        "/sessions/", f"/sessions/{session.pk}/", "/sessions/new/",
        "/billing/invoices/", f"/billing/invoices/{invoice.pk}/", "/billing/invoices/new/",
        "/billing/remittances/", f"/billing/remittances/{era.pk}/",
        "/billing/reports/aging/", f"/billing/reports/clients/{client.pk}/",
        "/billing/setup/", "/billing/setup/provider/", "/billing/setup/payers/",
        "/billing/setup/service-types/", "/billing/setup/clinicians/",
        "/account/team/", "/account/password/change/", "/account/two-factor/",
        "/settings/audit-log/",
    ]


def login(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", SOLO_EMAIL)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button:has-text('Log in')")
    page.wait_for_url(f"{base}/")  # the home page
