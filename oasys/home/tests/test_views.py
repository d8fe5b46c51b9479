"""The home page per role, its query count at two sizes of data, and that it names no
client (so it need not audit a read)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from oasys.accounts.models import PracticeStart, StartedVia
from oasys.autobilling.services import autobilling_settings_update
from oasys.billing.tests import factories as f
from oasys.clients.models import Client
from oasys.core import views as core_views
from oasys.core.audit import AuditContext
from oasys.core.models import AuditEvent, Role, User
from oasys.core.services import user_create
from oasys.eligibility.models import CheckOutcome
from oasys.home import views as home_views
from oasys.home.chart import _nice_top, month_chart
from oasys.home.selectors import MonthMoney

from .world import _check, home_world_build

pytestmark = pytest.mark.django_db
HOME = "/"


def _web(practice, role: str) -> HttpClient:
    user = user_create(practice=practice, email=f"{role}@home.example", password="x" * 16,
                       role=role)
    web = HttpClient()
    web.force_login(user)
    return web


def _page(web: HttpClient) -> str:
    resp = web.get(HOME)
    assert resp.status_code == 200, resp.status_code
    return resp.content.decode()


def test_owner_and_biller_see_attention_money_and_auto_billing(practice):
    home_world_build(practice, size=1)
    for role in (Role.OWNER, Role.BILLER):
        body = _page(_web(practice, role))
        for testid in ("home-sessions", "home-attention", "home-money", "money-chart",
                       "home-autobilling", "claims-denied", "eligibility-failing"):
            assert f'data-testid="{testid}"' in body, (role, testid)
        assert f'hx-get="{reverse("autobilling:next_run")}"' in body
        assert f'href="{reverse("claims:list")}?status=denied"' in body
        assert f'href="{reverse("eligibility:failing")}"' in body
        assert "$" in body


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.SUPERVISOR])
def test_clinicians_see_only_their_sessions_and_no_money(practice, role):
    world = home_world_build(practice, size=1)
    web = _web(practice, role)
    body = _page(web)
    assert "not linked to a clinician" in body  # no clinician of theirs yet: nothing counted
    clinician = world.clinicians[2]  # the unsigned, undiagnosed session's
    clinician.user = User.objects.get(email=f"{role}@home.example")
    clinician.save()
    body = _page(web)
    assert 'data-testid="reason-unsigned_note"' in body
    assert f"clinician={clinician.pk}" in body
    for hidden in ("home-attention", "home-money", "money-chart", "home-autobilling",
                   reverse("claims:list"), reverse("invoices:list"),
                   reverse("remittance:list"), reverse("eligibility:failing"), "Collected"):
        assert hidden not in body, (role, hidden)
    assert "$" not in body  # no amount at all


def test_the_page_names_no_client_and_writes_no_read_row(practice, owner_client):
    home_world_build(practice, size=1)
    before = AuditEvent.objects.filter(action="read").count()
    body = _page(owner_client)
    for last in Client.objects.filter(practice=practice).values_list("last_name", flat=True):
        assert last not in body
    assert AuditEvent.objects.filter(action="read").count() == before


def _queries(web: HttpClient) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _page(web)
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_data(practice, owner):
    web = HttpClient()
    web.force_login(owner)
    home_world_build(practice, size=1)
    small = _queries(web)
    home_world_build(practice, size=3, era_number=1)
    large = _queries(web)
    assert large == small, (small, large)
    assert small < 60


def test_a_new_practices_owner_starts_on_the_setup_checklist(practice, owner, owner_client):
    PracticeStart.objects.create(practice=practice, owner=owner, via=StartedVia.SIGNUP)
    resp = owner_client.get(HOME)
    assert resp.status_code == 302 and resp.url == reverse("accounts:start")
    owner_client.post(reverse("accounts:checklist_dismiss"))
    assert owner_client.get(HOME).status_code == 200  # put away: the home page


def test_auto_billing_off_says_so_with_a_link_to_turn_it_on(practice, owner_client):
    resp = owner_client.get(reverse("autobilling:next_run"))
    assert "Auto-billing is off" in resp.content.decode()
    assert reverse("autobilling:settings") in resp.content.decode()
    autobilling_settings_update(practice=practice, data={"enabled": True},
                                ctx=AuditContext.system(practice_id=practice.pk))
    assert "Auto-billing runs" in owner_client.get(reverse("autobilling:next_run")).content.decode()


def test_the_failing_eligibility_list_names_the_clients_and_audits_it(practice, owner_client):
    bad, good = f.make_client(practice), f.make_client(practice)
    _check(bad, CheckOutcome.INACTIVE, minutes_ago=5)
    _check(good, CheckOutcome.ACTIVE, minutes_ago=5)
    body = owner_client.get(reverse("eligibility:failing")).content.decode()
    assert bad.last_name in body and good.last_name not in body
    read = AuditEvent.objects.filter(category="eligibility", action="read").latest("pk")
    assert read.detail["client_ids"] == [bad.pk] and read.client_id_ref == bad.pk
    clinician = _web(practice, Role.CLINICIAN)
    assert clinician.get(reverse("eligibility:failing")).status_code == 403


def test_the_chart_scales_to_a_round_top_and_draws_no_negative_bar():
    months = [MonthMoney(dt.date(2026, m, 1), Decimal(b), Decimal(c))
              for m, b, c in ((1, "1200", "800"), (2, "0", "-50"), (3, "1500.50", "1900"))]
    chart = month_chart(months)
    assert _nice_top(Decimal("1900")) == 2000 and _nice_top(Decimal(0)) == 100
    heights = {b.title: b.height for b in chart.bars}
    plot = chart.height - 24 - 8
    assert heights["Billed in Jan: $1,200.00"] == int(Decimal(1200) / 2000 * plot)
    assert heights["Collected in Feb: −$50.00"] == 0
    assert [label for _x, label in chart.labels] == ["Jan", "Feb", "Mar"]
    assert [t for _y, t in chart.ticks] == ["$0", "$1k", "$2k"]
    assert all(b.y + b.height == chart.baseline for b in chart.bars)


def test_core_hands_its_landing_page_to_home(owner_client, monkeypatch):
    assert core_views._practice_home_view == [home_views.home]
    monkeypatch.setattr(core_views, "_practice_home_view", [])  # home not installed
    resp = owner_client.get(HOME)
    assert resp.status_code == 302 and resp.url == reverse("billing:queue")
