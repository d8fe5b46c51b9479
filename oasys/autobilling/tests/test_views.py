"""The auto-billing screens: the setting (saved through the service, its refusals beside the
fields), Bill Sessions' line about the next run, the history and a run's page with what to
fix, Run now, and who may see and do what."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.urls import reverse

from oasys.autobilling import views
from oasys.autobilling.models import (
    AutoBillingSettings,
    BillingRun,
    BillingRunItem,
    ItemKind,
    ItemOutcome,
    RunPhase,
    RunTrigger,
)
from oasys.autobilling.runner import billing_run_execute
from oasys.autobilling.services import autobilling_settings_update, billing_run_start
from oasys.billing.tests.factories import ctx_for, ready_claim_session, self_pay_session
from oasys.core.models import Role
from oasys.core.services import user_create
from oasys.core.timezones import practice_today

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")  # the test practice's zone (the default)


@pytest.fixture
def ctx(practice, owner):
    return ctx_for(owner, practice)


@pytest.fixture
def turned_on(practice, ctx):
    return autobilling_settings_update(practice=practice, ctx=ctx,
                                       data={"enabled": True, "backfill": "all"})


@pytest.fixture
def clinician_client(client, practice):
    user = user_create(practice=practice, email="clin@test.example", password="pw-clin-123",
                       role=Role.CLINICIAN)
    client.force_login(user)
    return client


def _text(resp) -> str:
    return " ".join(resp.content.decode().split())


# --- the setting ---------------------------------------------------------------------------
def test_settings_page_shows_the_cutoff_in_the_practice_zone(owner_client):
    resp = owner_client.get(reverse("autobilling:settings"))
    assert resp.status_code == 200
    body = _text(resp)
    assert "In the practice's time zone, America/New_York." in body
    assert '<option value="23" selected>11 PM</option>' in body
    assert '<option value="0">12 AM</option>' in body
    assert "Bill all past unbilled Ready items" in body  # off: the backfill choice is offered


def test_turning_it_on_with_backfill_since_a_date(owner_client, practice):
    since = practice_today(practice) - dt.timedelta(days=10)
    resp = owner_client.post(reverse("autobilling:settings"), {
        "enabled": "on", "cutoff_hour": "21", "backfill": "since",
        "backfill_from": since.isoformat()})
    assert resp.status_code == 302
    row = AutoBillingSettings.objects.get(practice=practice)
    assert (row.enabled, row.cutoff_hour, row.bill_from) == (True, 21, since)
    page = _text(owner_client.get(reverse("autobilling:settings")))
    assert "Auto-billing is on: Ready items are billed every night at 9 PM." in page
    assert f"dated from {since:%b} {since.day}, {since.year} on" in page
    assert "Bill all past unbilled Ready items" not in page  # chosen once, when turned on


def test_turning_it_off(owner_client, practice, turned_on):
    resp = owner_client.post(reverse("autobilling:settings"), {"cutoff_hour": "23"})
    assert resp.status_code == 302
    assert not AutoBillingSettings.objects.get(practice=practice).enabled


@pytest.mark.parametrize("post, field, message", [
    ({"backfill": "since", "backfill_from": ""}, "backfill_from", "Give the date as YYYY-MM-DD."),
    ({"backfill": "since", "backfill_from": "2999-01-01"}, "backfill_from",
     "The backfill date cannot be in the future."),
    ({"cutoff_hour": "24"}, "cutoff_hour", "Select a valid choice."),
])
def test_bad_settings_show_beside_their_field_and_change_nothing(owner_client, post, field,
                                                                 message):
    resp = owner_client.post(reverse("autobilling:settings"),
                             {"enabled": "on", "cutoff_hour": "23", **post})
    assert resp.status_code == 200
    assert message in resp.content.decode()
    assert field in resp.context["form"].errors
    assert not AutoBillingSettings.objects.exists()


def test_setup_lists_auto_billing(owner_client, turned_on):
    assert reverse("autobilling:settings") in owner_client.get(
        reverse("practice:setup")).content.decode()
    card = _text(owner_client.get(reverse("autobilling:setup_card")))
    assert "Ready items are billed every night at 11 PM (America/New_York)." in card


# --- Bill Sessions' line -------------------------------------------------------------------
def test_bill_sessions_loads_the_line_without_computing_it(owner_client):
    body = owner_client.get(reverse("billing:queue")).content.decode()
    assert f'hx-get="{reverse("autobilling:next_run")}"' in body
    assert "Checking auto-billing" in body


def test_line_when_off(owner_client):
    body = _text(owner_client.get(reverse("autobilling:next_run")))
    assert "Auto-billing is off — <a" in body and "turn it on</a>" in body
    assert reverse("autobilling:settings") in body


def _at(monkeypatch, local: dt.datetime) -> None:
    monkeypatch.setattr(views, "_now", lambda: local.replace(tzinfo=NY))


def test_line_counts_what_tonight_would_bill(owner_client, practice, turned_on, monkeypatch):
    ready_claim_session(practice)
    self_pay_session(practice, email="a@example.com")
    self_pay_session(practice, email="b@example.com")
    _at(monkeypatch, dt.datetime.now(NY).replace(hour=15, tzinfo=None))
    body = _text(owner_client.get(reverse("autobilling:next_run")))
    assert "Auto-billing runs tonight at 11:00 PM: 1 claim, 2 invoices." in body


def test_line_says_nothing_is_ready_and_tomorrow_after_the_cutoff(owner_client, turned_on,
                                                                  monkeypatch):
    _at(monkeypatch, dt.datetime.now(NY).replace(hour=23, minute=30, tzinfo=None))
    body = _text(owner_client.get(reverse("autobilling:next_run")))
    assert "Auto-billing runs tomorrow at 11:00 PM: nothing is Ready yet." in body


# --- history, a run, Run now -----------------------------------------------------------------
@pytest.fixture
def finished_run(practice, owner, ctx, turned_on):
    """A run that billed a claim and whose cash-pay invoice was skipped (billed by hand)."""
    ready_claim_session(practice)
    cash = self_pay_session(practice, email="pat@example.com")
    run = billing_run_start(practice=practice, ctx=ctx, actor=owner)
    billing_run_execute(run_id=run.pk)
    BillingRunItem.objects.filter(run=run, kind=ItemKind.INVOICE).update(
        outcome=ItemOutcome.SKIPPED, reason="Billed outside this run", invoice=None)
    return BillingRun.objects.get(pk=run.pk), cash


def test_history_lists_runs_with_counts_and_totals(owner_client, finished_run):
    run, _ = finished_run
    resp = owner_client.get(reverse("autobilling:history"))
    assert resp.status_code == 200
    row = resp.context["rows"][0]
    assert row["run"] == run and row["done"]
    claims = row["totals"].kinds[ItemKind.CLAIM]
    assert (claims.items, claims.billed, str(claims.amount)) == (1, 1, "130.00")
    assert row["totals"].skipped == 1 and row["totals"].failed == 0
    body = _text(resp)
    assert reverse("autobilling:run", args=[run.pk]) in body
    assert "Manual" in body and "Done" in body and "$130.00" in body


def test_history_is_paginated(owner_client, practice, turned_on):
    for i in range(views.PAGE_SIZE + 1):
        BillingRun.objects.create(practice=practice, trigger=RunTrigger.SCHEDULE,
                                  local_date=dt.date(2026, 1, 1) + dt.timedelta(days=i),
                                  as_of=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
                                  + dt.timedelta(days=i))
    first = owner_client.get(reverse("autobilling:history"))
    assert len(first.context["rows"]) == views.PAGE_SIZE and "Scheduled" in _text(first)
    assert "Page 1 of 2" in _text(first)
    assert len(owner_client.get(reverse("autobilling:history") + "?page=2").context["rows"]) == 1


def test_run_page_groups_items_and_links_what_to_fix(owner_client, finished_run):
    run, cash = finished_run
    resp = owner_client.get(reverse("autobilling:run", args=[run.pk]))
    assert resp.status_code == 200
    groups = {g["outcome"]: g["rows"] for g in resp.context["groups"]}
    assert [g["outcome"] for g in resp.context["groups"]] == ["skipped", "billed"]
    skipped = groups["skipped"][0]
    assert skipped.fix_url == reverse("appointments:detail", args=[cash.pk])
    assert groups["billed"][0].fix_url == ""  # nothing to fix
    body = _text(resp)
    assert "Billed outside this run" in body and "Open the session →" in body
    assert "Creating claims and invoices" in body  # the phase events, in words
    assert 'hx-trigger="every 2s"' not in body  # done: no polling


def test_a_running_run_polls_itself(owner_client, practice, ctx, owner, turned_on):
    run = billing_run_start(practice=practice, ctx=ctx, actor=owner)  # not executed yet
    body = _text(owner_client.get(reverse("autobilling:run", args=[run.pk])))
    assert "Running…" in body
    assert f'hx-get="{reverse("autobilling:run_status", args=[run.pk])}"' in body
    status = owner_client.get(reverse("autobilling:run_status", args=[run.pk]))
    assert status.status_code == 200 and "<html" not in status.content.decode()


def test_run_now_starts_a_run_and_shows_it(owner_client, practice, turned_on,
                                           django_capture_on_commit_callbacks):
    ready_claim_session(practice)
    with django_capture_on_commit_callbacks(execute=True):
        resp = owner_client.post(reverse("autobilling:run_now"))
    run = BillingRun.objects.get(practice=practice)
    assert resp.status_code == 302
    assert resp.url == reverse("autobilling:run", args=[run.pk])
    assert run.trigger == RunTrigger.MANUAL and run.phase == RunPhase.DONE  # Celery is eager
    assert "Done" in _text(owner_client.get(resp.url))


def test_run_now_while_off_says_why_and_starts_nothing(owner_client):
    resp = owner_client.post(reverse("autobilling:run_now"), follow=True)
    assert "Auto-billing is off for this practice." in resp.content.decode()
    assert not BillingRun.objects.exists()


def test_run_now_is_post_only(owner_client, turned_on):
    assert owner_client.get(reverse("autobilling:run_now")).status_code == 405


# --- who may --------------------------------------------------------------------------------
def test_a_role_without_billing_rights_cannot_change_or_run(clinician_client, practice,
                                                            finished_run):
    run, _ = finished_run
    for url in (reverse("autobilling:settings"), reverse("autobilling:history"),
                reverse("autobilling:run", args=[run.pk]),
                reverse("autobilling:run_status", args=[run.pk])):
        assert clinician_client.get(url).status_code == 403, url
    assert clinician_client.post(reverse("autobilling:settings"),
                                 {"cutoff_hour": "20"}).status_code == 403
    assert clinician_client.post(reverse("autobilling:run_now")).status_code == 403
    assert BillingRun.objects.count() == 1
    assert AutoBillingSettings.objects.get(practice=practice).cutoff_hour == 23
    # the line on Bill Sessions is for everyone, without the link to the setting
    line = _text(clinician_client.get(reverse("autobilling:next_run")))
    assert "Auto-billing runs" in line and reverse("autobilling:settings") not in line


def test_another_practices_run_is_404(client, other_owner, finished_run):
    run, _ = finished_run
    client.force_login(other_owner)
    for name in ("autobilling:run", "autobilling:run_status"):
        assert client.get(reverse(name, args=[run.pk])).status_code == 404
    history = client.get(reverse("autobilling:history"))
    assert history.status_code == 200 and history.context["rows"] == []


def test_a_long_billed_list_starts_folded(owner_client, finished_run, monkeypatch):
    run, _ = finished_run
    url = reverse("autobilling:run", args=[run.pk])
    assert all(g["open"] for g in owner_client.get(url).context["groups"])
    monkeypatch.setattr(views, "FOLD_AFTER", 0)
    groups = {g["outcome"]: g["open"] for g in owner_client.get(url).context["groups"]}
    assert groups == {"skipped": True, "billed": False}  # what needs a person stays open
