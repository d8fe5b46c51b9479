"""The setup checklist of a new practice: each item turns done from the data alone, the
owner's home page shows it until everything is done or it is dismissed, and nobody else
(other roles, practices that did not start here) is shown it."""

from __future__ import annotations

import pytest
from django.urls import reverse

from oasys.accounts.models import PracticeStart, StartedVia
from oasys.accounts.selectors import setup_checklist, setup_checklist_shown
from oasys.accounts.services import practice_onboard, setup_checklist_dismiss
from oasys.billing.tests import factories as f
from oasys.billing.tests.test_views_api import user_with, web_for
from oasys.core.audit import AuditContext
from oasys.core.models import AuditEvent, Role
from oasys.payments.models import AccountStatus, PaymentAccount

pytestmark = pytest.mark.django_db
START = "/account/start/"


@pytest.fixture
def started(practice, owner):
    return PracticeStart.objects.create(practice=practice, owner=owner, via=StartedVia.SIGNUP)


def _done(practice) -> dict[str, bool]:
    return {item.key: item.done for item in setup_checklist(practice=practice)}


def _stripe(practice, status):
    return PaymentAccount.objects.update_or_create(
        practice=practice, defaults={"status": status, "stripe_account_id": "acct_1"})[0]


STEPS = {
    "provider": lambda p: f.make_profile(p),
    "payers": lambda p: f.accept_payer(p, f.make_payer()),
    "service_types": lambda p: f.make_service_type(p),
    "payments": lambda p: _stripe(p, AccountStatus.ACTIVE),
    "client": lambda p: f.make_client(p),
}


def test_a_new_practice_has_every_item_to_do(practice):
    assert _done(practice) == dict.fromkeys(STEPS, False)
    assert [i.label for i in setup_checklist(practice=practice)] == [
        "Provider information", "Accepted payers", "Service types", "Payment processing",
        "First client"]


@pytest.mark.parametrize("key", list(STEPS))
def test_each_item_turns_done_from_its_data_alone(practice, other_practice, key):
    STEPS[key](practice)
    assert _done(practice) == {k: k == key for k in STEPS}
    assert _done(other_practice) == dict.fromkeys(STEPS, False)  # another's data counts not


def test_half_done_does_not_count(practice):
    f.make_profile(practice, npi="")  # a provider profile without its NPI
    f.make_service_type(practice, is_active=False)  # only an archived service type
    _stripe(practice, AccountStatus.ONBOARDING)  # Stripe started, not taking payments
    assert _done(practice) == dict.fromkeys(STEPS, False)
    _stripe(practice, AccountStatus.ACTIVE)
    assert _done(practice)["payments"]


def test_the_owners_home_shows_it_until_all_is_done(owner_client, practice, owner, started):
    resp = owner_client.get(reverse("core:home"), follow=True)
    assert resp.redirect_chain[-1][0] == START
    page = resp.content.decode()
    assert "Set up your practice" in page and "0 of 5 done" in page
    for name in ("practice:provider", "practice:payers", "practice:service_types",
                 "payments:processing", "clients:new"):
        assert f'href="{reverse(name)}"' in page
    for key, step in list(STEPS.items())[:-1]:
        step(practice)
        assert setup_checklist_shown(practice=practice, user=owner), key
    assert "4 of 5 done" in owner_client.get(START).content.decode()
    STEPS["client"](practice)
    assert not setup_checklist_shown(practice=practice, user=owner)
    resp = owner_client.get(reverse("core:home"))
    assert resp.status_code == 200 and b'data-testid="home-sessions"' in resp.content


def test_dismissed_it_stays_away(owner_client, practice, owner, started):
    resp = owner_client.post(reverse("accounts:checklist_dismiss"))
    assert resp.status_code == 302 and resp.url == reverse("core:home")
    started.refresh_from_db()
    assert started.checklist_dismissed_at is not None
    assert not setup_checklist_shown(practice=practice, user=owner)
    assert owner_client.get(START).url == reverse("core:home")
    assert AuditEvent.objects.filter(category="setup_checklist",
                                     practice_id_ref=practice.pk).count() == 1
    setup_checklist_dismiss(practice=practice, ctx=AuditContext.system(practice_id=practice.pk))
    assert AuditEvent.objects.filter(category="setup_checklist").count() == 1  # once


@pytest.mark.parametrize("role", [Role.BILLER, Role.CLINICIAN, Role.SUPERVISOR])
def test_other_roles_go_straight_to_work(practice, started, role):
    web = web_for(user_with(practice, role))
    assert web.get(START).status_code == 302
    assert web.post(reverse("accounts:checklist_dismiss")).status_code == 403
    started.refresh_from_db()
    assert started.checklist_dismissed_at is None


def test_practices_that_did_not_start_here_never_see_it(owner_client, practice, owner):
    assert not PracticeStart.objects.exists()  # the demo's, an older install's
    assert not setup_checklist_shown(practice=practice, user=owner)
    assert owner_client.get(START).url == reverse("core:home")


def test_the_operators_practice_gets_it_too(db):
    practice, owner = practice_onboard(name="Calm Waters", owner_email="ana@calm.test",
                                       ctx=AuditContext.system(practice_id=None))
    start = PracticeStart.objects.get(practice=practice)
    assert (start.owner, start.via) == (owner, StartedVia.OPERATOR)
    assert setup_checklist_shown(practice=practice, user=owner)
