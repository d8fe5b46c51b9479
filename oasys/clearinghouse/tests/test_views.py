"""EDI history pages and API: the practice sees its files; another practice gets 404."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse

from oasys.clearinghouse.services import edi_file_receive

pytestmark = pytest.mark.django_db
CA = open("x12/tests/fixtures/277CA_own_payer_response.x12", encoding="utf-8").read()


@pytest.fixture
def files(practice, provider_profile):
    mine, _ = edi_file_receive(raw=CA)
    broken, _ = edi_file_receive(raw=CA.replace("SE*37*0003", "SE*36*0003"))
    unmatched, _ = edi_file_receive(raw="garbage that is not X12")
    return mine, broken, unmatched


def test_list_and_detail(owner_client, files):
    mine, broken, unmatched = files
    page = owner_client.get(reverse("clearinghouse:files"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "277CA" in body and "Failed to parse" in body
    assert reverse("clearinghouse:file", args=[unmatched.pk]) not in body
    detail = owner_client.get(reverse("clearinghouse:file", args=[broken.pk]))
    text = detail.content.decode()
    assert detail.status_code == 200 and "SE01" in text and "NM1*QC*1*DOE*JANE" in text


def test_other_practice_gets_404(client, other_owner, files):
    client.force_login(other_owner)
    for f in files:
        assert client.get(reverse("clearinghouse:file", args=[f.pk])).status_code == 404
    assert "No EDI files yet" in client.get(reverse("clearinghouse:files")).content.decode()


def test_unmatched_file_is_shown_to_nobody(owner_client, files):
    unmatched = files[2]
    assert owner_client.get(reverse("clearinghouse:file", args=[unmatched.pk])).status_code \
        == 404


def test_api_scoped_to_practice(api_client, files, other_practice):
    mine = files[0]
    listed = api_client.get("/api/v1/clearinghouse/files").json()["items"]
    assert {f["id"] for f in listed} == {files[0].pk, files[1].pk}
    assert api_client.get(f"/api/v1/clearinghouse/files/{mine.pk}").json()["raw"] == mine.raw
    assert api_client.get(f"/api/v1/clearinghouse/files/{files[2].pk}").status_code == 404


def test_operator_commands(files, clearinghouse_sim, settings, capsys):
    call_command("clearinghouse", "unmatched")
    assert "1 unmatched file(s)" in capsys.readouterr().out
    settings.CLEARINGHOUSE_BASE_URL = clearinghouse_sim.base_url
    call_command("clearinghouse", "poll")
    assert "stored 0 file(s)" in capsys.readouterr().out


def test_navigation_has_the_edi_tab(owner_client):
    body = owner_client.get(reverse("clearinghouse:files")).content.decode()
    assert "EDI Files" in body
