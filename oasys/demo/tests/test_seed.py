import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from oasys.appointments.models import Appointment, AppointmentStatus
from oasys.clients.models import BillingType, Client
from oasys.core.models import Practice, User
from oasys.demo.seed import DEMO_PASSWORD, GROUP_EMAIL, SOLO_EMAIL, seed_demo

pytestmark = pytest.mark.django_db


def test_seed_creates_both_practices_with_logins_and_is_idempotent():
    first = seed_demo()
    assert first.created and first.practices == 2
    assert 40 <= first.clients <= 70
    again = seed_demo()
    assert not again.created
    assert (again.clients, again.appointments) == (first.clients, first.appointments)
    for email, slug in ((SOLO_EMAIL, "serenity"), (GROUP_EMAIL, "harbor")):
        user = User.objects.get(email=email)
        assert user.practice.slug == slug and user.check_password(DEMO_PASSWORD)


def test_seed_has_the_variety_billing_needs():
    seed_demo()
    serenity = Practice.objects.get(slug="serenity")
    appts = Appointment.objects.filter(practice=serenity)
    cpts = set(appts.values_list("service_type__cpt_code", flat=True))
    assert {"90791", "90834", "90837", "90847"} <= cpts
    harbor_cpts = set(Appointment.objects.filter(practice__slug="harbor")
                      .values_list("service_type__cpt_code", flat=True))
    assert "90853" in harbor_cpts
    assert appts.filter(place_of_service__in=["02", "10"]).exists()  # telehealth
    assert appts.filter(place_of_service="11").exists()  # office
    statuses = set(appts.values_list("status", flat=True))
    assert {AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW,
            AppointmentStatus.SCHEDULED} <= statuses
    types = set(Client.objects.filter(practice=serenity).values_list("billing_type", flat=True))
    assert types == set(BillingType.values)
    # deliberate gaps
    assert appts.filter(status="completed", note_signed_at__isnull=True).exists()
    assert Client.objects.filter(practice=serenity, billing_type="insurance",
                                 diagnoses__isnull=True, is_draft=False).exists()
    assert Client.objects.filter(practice=serenity, billing_type="insurance",
                                 policies__isnull=True, is_draft=False).exists()
    assert Appointment.objects.filter(practice__slug="harbor", status="completed",
                                      clinician__supervisor__isnull=False,
                                      note_signed_at__isnull=False,
                                      supervisor_approved_at__isnull=True).exists()


def test_seed_refuses_production_settings(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")
    assert not Practice.objects.exists()
