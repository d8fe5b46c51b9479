"""Headless Chromium: on a client's Diagnoses page the biller types "anxiety", the list under
the field offers the F41 codes with their descriptions, one click fills the code, and Add
code puts F41.1 Generalized anxiety disorder on the client's list; typing a code ("F43.1")
still works, by keyboard. Set OASYS_SHOTS_DIR to keep claimcodes-diagnosis-search.png."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oasys.billing.tests.factories import ctx_for
from oasys.clients.models import Diagnosis
from oasys.clients.services import client_create
from oasys.core.tests.browser import log_in

from .conftest import valid_client_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_typing_anxiety_lists_f41_codes_and_adds_one(live_server, page, owner, tmp_path):
    client = client_create(practice=owner.practice, ctx=ctx_for(practice=owner.practice),
                           data=valid_client_data())
    page.set_default_timeout(60_000)  # the first search may build the code index
    base = live_server.url
    log_in(page, base, owner.email, "correct horse battery")
    page.goto(f"{base}/billing/clients/{client.pk}/diagnoses/")

    page.locator("#id_code").press_sequentially("anxiety", delay=40)
    options = page.locator("#diagnosis-options [data-diagnosis-pick]")
    gad = page.locator("#diagnosis-options [data-diagnosis-pick='F41.1']")
    expect(gad).to_contain_text("Generalized anxiety disorder")
    expect(page.locator("#diagnosis-options [data-diagnosis-pick='F41.9']")).to_contain_text(
        "Anxiety disorder, unspecified")
    assert options.count() >= 5
    folder = Path(os.environ.get("OASYS_SHOTS_DIR") or tmp_path)
    page.screenshot(path=str(folder / "claimcodes-diagnosis-search.png"), full_page=True)

    gad.click()
    expect(page.locator("#id_code")).to_have_value("F41.1")
    expect(options).to_have_count(0)
    page.click("button:has-text('Add code')")
    expect(page.locator("table")).to_contain_text("Generalized anxiety disorder")

    # A code typed works too, chosen with the keyboard.
    page.locator("#id_code").press_sequentially("F43.1", delay=40)
    expect(page.locator("#diagnosis-options [data-diagnosis-pick='F43.10']")).to_be_visible()
    page.locator("#id_code").press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#id_code")).to_have_value("F43.10")
    page.click("button:has-text('Add code')")
    expect(page.locator("table")).to_contain_text("F43.10")
    assert list(Diagnosis.objects.filter(client=client).order_by("position")
                .values_list("code", flat=True)) == ["F41.1", "F43.10"]
