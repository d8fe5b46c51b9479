"""`oasys billing run` and `oasys billing runs`: what a user running auto-billing by hand
sees printed, and the refusals (no such practice, auto-billing off, a bad --as-of)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from oasys.autobilling import runner
from oasys.autobilling.models import BillingRun, RunPhase, RunTrigger
from oasys.autobilling.schedule import cutoff_at
from oasys.autobilling.services import autobilling_settings_update
from oasys.billing.services import billing_submit
from oasys.billing.tests.factories import ctx_for, ready_claim_session, self_pay_session
from oasys.claims.models import Claim
from oasys.claims.status import ClaimStatus
from oasys.core.errors import InvalidInput
from oasys.core.timezones import practice_zone

pytestmark = pytest.mark.django_db


def _billing(*args: str) -> str:
    out = StringIO()
    call_command("billing", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def on(practice, owner):
    autobilling_settings_update(practice=practice, ctx=ctx_for(owner, practice),
                                data={"enabled": True, "backfill": "all"})


def test_run_bills_and_prints_what_it_billed_then_nothing_again(practice, on):
    insured = ready_claim_session(practice)
    self_pay_session(practice, email="pat@example.com")
    text = _billing("run", "--practice", practice.slug)
    assert "Billed: 1 cash-pay invoice ($" in text and "1 insurance claim ($" in text
    assert Claim.objects.get(appointment=insured.appointment).status == ClaimStatus.SUBMITTED
    again = _billing("run", "--practice", practice.slug)
    assert "Billed: nothing." in again
    assert BillingRun.objects.filter(practice=practice, phase=RunPhase.DONE).count() == 2


def test_run_prints_each_item_it_could_not_bill(practice, on, monkeypatch):
    sessions = [self_pay_session(practice, email=f"c{n}@example.com") for n in range(2)]
    refused = sessions[0].pk

    def refusing(*, appointment_ids, **kw):
        if refused in appointment_ids:
            raise InvalidInput({"__all__": "This session cannot be billed (test refusal)."})
        return billing_submit(appointment_ids=appointment_ids, **kw)

    monkeypatch.setattr(runner, "billing_submit", refusing)
    text = _billing("run", "--practice", practice.slug)
    assert "Billed: 1 cash-pay invoice ($" in text
    assert (f"Failed: cash-pay invoice appt:{refused}: "
            "This session cannot be billed (test refusal).") in text


def test_as_of_replays_that_night_once(practice, on):
    zone = practice_zone(practice)
    night = cutoff_at(dt.date(2026, 11, 30), 23, zone)
    at = night.astimezone(zone).replace(tzinfo=None) + dt.timedelta(minutes=5)
    first = _billing("run", "--practice", practice.slug, "--as-of", at.isoformat())
    assert "of 2026-11-30" in first
    run = BillingRun.objects.get(practice=practice)
    assert (run.trigger, run.local_date, run.as_of) == (RunTrigger.SCHEDULE,
                                                       dt.date(2026, 11, 30), night)
    again = _billing("run", "--practice", practice.slug, "--as-of", at.isoformat())
    assert "has run already" in again
    assert BillingRun.objects.filter(practice=practice).count() == 1


@pytest.mark.parametrize(("args", "message"), [
    (("run", "--practice", "nobody"), "No practice with slug"),
    (("run", "--practice", "{slug}", "--as-of", "tonight"), "is not a date and time"),
])
def test_refusals(practice, on, args, message):
    args = tuple(a.format(slug=practice.slug) for a in args)
    with pytest.raises(CommandError, match=message):
        _billing(*args)
    assert not BillingRun.objects.exists()


def test_run_is_refused_while_auto_billing_is_off(practice):
    with pytest.raises(CommandError, match="Auto-billing is off"):
        _billing("run", "--practice", practice.slug)
    assert not BillingRun.objects.exists()


def test_runs_lists_runs_of_one_practice_or_all(practice, other_practice, on, owner):
    assert "No runs yet." in _billing("runs")
    _billing("run", "--practice", practice.slug)
    listed = _billing("runs", "--practice", practice.slug)
    assert practice.slug in listed and "done" in listed
    assert other_practice.slug not in _billing("runs")
    assert "No runs yet." in _billing("runs", "--practice", other_practice.slug)
