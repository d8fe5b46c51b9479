"""The monthly statement run: off by default; on, it emails last month's statement to each
client with a balance due at the month's end, once whatever the number of runs."""

from __future__ import annotations

import datetime as dt

import pytest

from oasys.billing.tests import factories as f
from oasys.core.errors import InvalidInput
from oasys.core.models import SentEmail
from oasys.core.timezones import practice_zone
from oasys.statements.models import StatementSend
from oasys.statements.selectors import statement_settings_get
from oasys.statements.services import statement_run_monthly, statement_settings_update
from oasys.statements.tasks import statement_run_monthly_task

from .world import client_month

pytestmark = pytest.mark.django_db


def _march(practice, day: int = 1) -> dt.datetime:
    return dt.datetime.combine(dt.date(2026, 3, day), dt.time(6),
                               tzinfo=practice_zone(practice))


def _on(practice) -> None:
    statement_settings_update(practice=practice, data={"monthly_run": True},
                              ctx=f.ctx_for(practice=practice))


def test_the_run_is_off_by_default(practice):
    client_month(practice)
    assert statement_settings_get(practice=practice).monthly_run is False
    assert statement_run_monthly(now=_march(practice))["sent"] == 0
    assert not SentEmail.objects.exists()


def test_the_run_sends_februarys_statement_once(practice):
    m = client_month(practice)
    f.make_client(practice)  # owes nothing: no statement
    _on(practice)
    first = statement_run_monthly(now=_march(practice))
    again = statement_run_monthly(now=_march(practice, 2))
    assert first == {"sent": 1, "already": 0, "no_email": 0}
    assert again == {"sent": 0, "already": 1, "no_email": 0}
    email = SentEmail.objects.get()
    assert (email.to, email.kind, email.client_id) == (m.client.email, "statement",
                                                       m.client.pk)
    assert "Balance due: $45.00" in email.text_body  # February's end, not today's $35
    send = StatementSend.objects.get()
    assert (send.period_start, send.period_end, send.sent_email_id) == (
        dt.date(2026, 2, 1), dt.date(2026, 2, 28), email.pk)


def test_late_in_the_month_nothing_is_sent(practice):
    client_month(practice)
    _on(practice)
    assert statement_run_monthly(now=_march(practice, 15))["sent"] == 0


def test_a_client_without_email_is_skipped_and_counted(practice):
    m = client_month(practice)
    m.client.email = ""
    m.client.save()
    _on(practice)
    assert statement_run_monthly(now=_march(practice)) == {"sent": 0, "already": 0,
                                                           "no_email": 1}


def test_the_task_runs_the_service_for_last_month_by_the_clock(practice, monkeypatch):
    m = client_month(practice)
    _on(practice)
    # the clock on April 2nd: last month (March) ends after March's payment, so $35 is due
    april = dt.datetime.combine(dt.date(2026, 4, 2), dt.time(6),
                                tzinfo=practice_zone(practice))
    monkeypatch.setattr("oasys.statements.services.timezone.now", lambda: april)
    assert statement_run_monthly_task() == {"sent": 1, "already": 0, "no_email": 0}
    email = SentEmail.objects.get(client_id=m.client.pk)
    assert "Balance due: $35.00" in email.text_body
    assert StatementSend.objects.get().period_start == dt.date(2026, 3, 1)


def test_settings_refuse_unknown_keys_and_non_bools(practice):
    ctx = f.ctx_for(practice=practice)
    with pytest.raises(InvalidInput):
        statement_settings_update(practice=practice, data={"day": 3}, ctx=ctx)
    with pytest.raises(InvalidInput):
        statement_settings_update(practice=practice, data={"monthly_run": "yes"}, ctx=ctx)
    assert statement_settings_get(practice=practice).pk is None


