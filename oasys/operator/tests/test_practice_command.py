"""`oasys practice list|suspend|reactivate|export`: the console's actions from the shell,
audited the same way. (`create` and `link` are tested in accounts/tests.)"""

from __future__ import annotations

import csv
import io
import zipfile
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from oasys.billing.tests.factories import make_client
from oasys.core.models import AuditEvent, Practice

pytestmark = pytest.mark.django_db


def _practice(*args: str) -> str:
    out = StringIO()
    call_command("practice", *args, stdout=out)
    return out.getvalue()


def test_list_suspend_reactivate(practice, owner, other_practice):
    text = _practice("list")
    assert practice.slug in text and other_practice.slug in text and "active" in text
    assert "suspended" in _practice("suspend", practice.slug).lower()
    assert Practice.objects.get(pk=practice.pk).is_suspended
    line = next(x for x in _practice("list").splitlines() if x.startswith(practice.slug))
    assert "suspended" in line
    with pytest.raises(CommandError, match="suspended already"):
        _practice("suspend", practice.slug)
    _practice("reactivate", practice.slug)
    assert not Practice.objects.get(pk=practice.pk).is_suspended
    events = AuditEvent.objects.filter(category="operator", practice_id_ref=practice.pk)
    assert [e.detail for e in events] == [{"suspended": True}, {"suspended": False}]
    assert {e.user_email for e in events} == {"cli"}
    with pytest.raises(CommandError, match="No practice"):
        _practice("suspend", "no-such-practice")


def test_export_writes_the_zip(practice, tmp_path):
    client = make_client(practice, last_name="Exported")
    target = tmp_path / "out.zip"
    text = _practice("export", practice.slug, "--out", str(target))
    assert text.startswith(f"Wrote {target}") and "keep it safe" in text
    with zipfile.ZipFile(target) as zf:
        rows = list(csv.DictReader(io.StringIO(zf.read("tables/clients.Client.csv").decode())))
    assert [(r["id"], r["last_name"]) for r in rows] == [(str(client.pk), "Exported")]
    assert AuditEvent.objects.filter(action="export", practice_id_ref=practice.pk).count() == 1
