"""PHI at rest end to end: what the database and the disk hold, search through the keyed
hash, `oasys keys rotate`, and the encryption of rows written before the columns were."""

import datetime as dt
import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from oasys.clients.models import Client, InsurancePolicy
from oasys.clients.selectors import client_list
from oasys.core import crypto
from oasys.core.key_rotation import field_keys_rotate
from oasys.core.models import AuditEvent
from oasys.eligibility.models import InsuranceCard, InsuranceWizardDraft
from oasys.practice.models import ProviderProfile

CARD = b"\x89PNG\r\n\x1a\n" + b"card pixels " * 20


def _key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
def phi_keys(settings, tmp_path):
    settings.OASYS_FIELD_KEYS = [_key()]
    settings.OASYS_HASH_KEYS = [_key()]
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private")}}}
    return settings


@pytest.fixture
def phi_rows(practice, phi_keys):
    client = Client.objects.create(practice=practice, first_name="Maria", last_name="Lopez",
                                   date_of_birth=dt.date(1985, 4, 12))
    policy = InsurancePolicy.objects.create(practice=practice, client=client,
                                            member_id="W123456789",
                                            subscriber_date_of_birth=dt.date(1982, 1, 2))
    profile = ProviderProfile.objects.create(practice=practice, tax_id="123456789",
                                             tax_id_type="ssn")
    draft = InsuranceWizardDraft.objects.create(
        practice=practice, client=client, data={"insurance": {"member_id": "W123456789"}})
    card = InsuranceCard(practice=practice, client=client, side="front",
                         content_type="image/png", size=len(CARD))
    card.image.save("Maria Lopez card.png", SimpleUploadedFile("x.png", CARD), save=False)
    card.save()
    return {"client": client, "policy": policy, "profile": profile, "draft": draft,
            "card": card}


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def _raw_values(rows) -> dict[str, str]:
    return {
        "dob": _raw("clients_client", "date_of_birth", rows["client"].pk),
        "member_id": _raw("clients_insurancepolicy", "member_id", rows["policy"].pk),
        "subscriber_dob": _raw("clients_insurancepolicy", "subscriber_date_of_birth",
                               rows["policy"].pk),
        "tax_id": _raw("practice_providerprofile", "tax_id", rows["profile"].pk),
        "draft": _raw("eligibility_insurancewizarddraft", "data", rows["draft"].pk),
    }


def test_the_database_holds_no_plaintext_and_the_models_read_it_back(phi_rows):
    raw = _raw_values(phi_rows)
    for plain, stored in (("1985-04-12", raw["dob"]), ("W123456789", raw["member_id"]),
                          ("1982-01-02", raw["subscriber_dob"]), ("123456789", raw["tax_id"]),
                          ("W123456789", raw["draft"])):
        assert plain not in stored and stored.startswith(crypto.TOKEN_PREFIX)
    # the hash column is not the member ID either, in any case
    member_hash = _raw("clients_insurancepolicy", "member_id_hash", phi_rows["policy"].pk)
    assert member_hash == crypto.blind_index("W123456789") and "W123" not in member_hash.upper()
    client = Client.objects.get(pk=phi_rows["client"].pk)
    policy = InsurancePolicy.objects.get(pk=phi_rows["policy"].pk)
    assert client.date_of_birth == dt.date(1985, 4, 12)
    assert (policy.member_id, policy.subscriber_date_of_birth) == ("W123456789",
                                                                   dt.date(1982, 1, 2))
    assert ProviderProfile.objects.get(pk=phi_rows["profile"].pk).tax_id == "123456789"
    assert InsuranceWizardDraft.objects.get(pk=phi_rows["draft"].pk).data == {
        "insurance": {"member_id": "W123456789"}}
    assert list(InsurancePolicy.objects.values_list("member_id", flat=True)) == ["W123456789"]


def test_a_filter_on_an_encrypted_column_is_refused_not_silently_empty(phi_rows):
    with pytest.raises(FieldError):
        list(InsurancePolicy.objects.filter(member_id="W123456789"))
    assert InsurancePolicy.objects.filter(subscriber_date_of_birth__isnull=False).count() == 1


def test_client_search_finds_a_member_id_through_its_hash(phi_rows, other_practice):
    practice = phi_rows["client"].practice
    elsewhere = Client.objects.create(practice=other_practice, first_name="Zed",
                                      last_name="Other")
    InsurancePolicy.objects.create(practice=other_practice, client=elsewhere,
                                   member_id="W123456789")
    assert list(client_list(practice=practice, query="w123 456789")) == [phi_rows["client"]]
    assert list(client_list(practice=practice, query="W12345678")) == []  # exact only
    assert list(client_list(practice=practice, query="lopez")) == [phi_rows["client"]]
    # the hash follows a changed member ID
    policy = phi_rows["policy"]
    policy.member_id = "XYZ987"
    policy.save()
    assert list(client_list(practice=practice, query="W123456789")) == []
    assert list(client_list(practice=practice, query="xyz987")) == [phi_rows["client"]]


def test_the_card_file_on_disk_is_not_the_image_and_the_view_serves_the_image(
        phi_rows, owner_client):
    card = phi_rows["card"]
    with open(card.image.path, "rb") as handle:
        on_disk = handle.read()
    assert CARD not in on_disk and b"PNG" not in on_disk and "Maria" not in card.image.name
    assert crypto.decrypt_bytes(on_disk) == CARD
    resp = owner_client.get(reverse("wizard:card", args=[card.client_id, card.pk]))
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    assert b"".join(resp.streaming_content) == CARD


def test_rotate_moves_rows_files_and_hashes_to_the_new_keys(phi_rows, phi_keys):
    old_field, old_hash = phi_keys.OASYS_FIELD_KEYS[0], phi_keys.OASYS_HASH_KEYS[0]
    new_field, new_hash = _key(), _key()
    phi_keys.OASYS_FIELD_KEYS = [new_field, old_field]
    phi_keys.OASYS_HASH_KEYS = [new_hash, old_hash]
    practice = phi_rows["client"].practice
    # before the rotation: old rows still read, and search still finds the old hash
    assert Client.objects.get(pk=phi_rows["client"].pk).date_of_birth == dt.date(1985, 4, 12)
    assert list(client_list(practice=practice, query="W123456789")) == [phi_rows["client"]]
    old_card_path = phi_rows["card"].image.path

    out = io.StringIO()
    call_command("keys", "rotate", stdout=out)
    assert "clients.Client: 1 of 1 rows rewritten" in out.getvalue()
    assert "eligibility.InsuranceCard: 1 files rewritten" in out.getvalue()
    event = AuditEvent.objects.filter(category="keys").get()
    assert event.detail["rows_rewritten"]["clients.InsurancePolicy"] == 1

    new_only = Fernet(new_field.encode())
    for stored in _raw_values(phi_rows).values():
        new_only.decrypt(stored.encode())  # raises unless under the new key
    card = InsuranceCard.objects.get(pk=phi_rows["card"].pk)
    with open(card.image.path, "rb") as handle:
        assert new_only.decrypt(handle.read()) == CARD
    assert card.image.path != old_card_path
    assert _raw("clients_insurancepolicy", "member_id_hash", phi_rows["policy"].pk) == \
        crypto.blind_index("W123456789", key=new_hash)

    # the old keys can go now
    phi_keys.OASYS_FIELD_KEYS = [new_field]
    phi_keys.OASYS_HASH_KEYS = [new_hash]
    assert Client.objects.get(pk=phi_rows["client"].pk).date_of_birth == dt.date(1985, 4, 12)
    assert list(client_list(practice=practice, query="W123456789")) == [phi_rows["client"]]
    with card.image.open("rb") as handle:
        assert handle.read() == CARD
    # a second run finds nothing to do
    again = field_keys_rotate()
    assert sum(again.rows_rewritten.values()) == 0 and not again.files_rewritten


def test_rows_and_files_from_before_encryption_are_encrypted_by_the_same_pass(phi_rows):
    """What the migrations do: plaintext left in the columns and on disk is encrypted."""
    pk = phi_rows["policy"].pk
    with connection.cursor() as cursor:
        cursor.execute("UPDATE clients_client SET date_of_birth = %s WHERE id = %s",
                       ["1970-06-30", phi_rows["client"].pk])
        cursor.execute("UPDATE clients_insurancepolicy SET member_id = %s, member_id_hash = ''"
                       " WHERE id = %s", ["PLAIN42", pk])
    card = phi_rows["card"]
    with open(card.image.path, "wb") as handle:
        handle.write(CARD)
    report = field_keys_rotate()
    assert report.rows_rewritten["clients.Client"] == 1
    assert report.rows_rewritten["clients.InsurancePolicy"] == 1
    assert "PLAIN42" not in _raw("clients_insurancepolicy", "member_id", pk)
    assert Client.objects.get(pk=phi_rows["client"].pk).date_of_birth == dt.date(1970, 6, 30)
    assert InsurancePolicy.objects.get(pk=pk).member_id == "PLAIN42"
    practice = phi_rows["client"].practice
    assert list(client_list(practice=practice, query="plain42")) == [phi_rows["client"]]
    card = InsuranceCard.objects.get(pk=card.pk)
    with open(card.image.path, "rb") as handle:
        assert crypto.decrypt_bytes(handle.read()) == CARD


def test_keys_generate_prints_a_usable_key():
    out = io.StringIO()
    call_command("keys", "generate", stdout=out)
    Fernet(out.getvalue().strip().encode())
