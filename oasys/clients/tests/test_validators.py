"""Client validation through the service, with real failing inputs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from oasys.clients.errors import error_messages
from oasys.clients.models import Client
from oasys.clients.services import client_create, client_update

from .conftest import valid_client_data

pytestmark = pytest.mark.django_db


def refused(practice, ctx, **overrides) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        client_create(practice=practice, ctx=ctx, data=valid_client_data(**overrides))
    return error_messages(info.value)


def test_a_complete_client_is_created_normalised(cl_practice, cl_ctx):
    client = client_create(
        practice=cl_practice,
        ctx=cl_ctx,
        data=valid_client_data(
            first_name="  Anne  Marie ",
            phone="+1 212-555-0147",
            state="il",
            zip_code="627011234",
            email="Maria@Example.COM",
        ),
    )
    client.refresh_from_db()
    assert client.first_name == "Anne Marie"
    assert client.phone == "2125550147"
    assert client.state == "IL" and client.zip_code == "62701-1234"
    assert client.email == "maria@example.com"


@pytest.mark.parametrize(
    "name",
    ["J0hn", "Mary!", "Anne_Marie", "-Anne", "Anne-", "Dr. Smith", "李", "x" * 36, ""],
)
def test_bad_first_names_are_refused(cl_practice, cl_ctx, name):
    errors = refused(cl_practice, cl_ctx, first_name=name)
    assert set(errors) == {"first_name"}


@pytest.mark.parametrize("name", ["O'Brien", "Smith-Jones", "De La Cruz", "D\u2019Angelo"])
def test_real_names_with_spaces_hyphens_apostrophes_pass(cl_practice, cl_ctx, name):
    client = client_create(practice=cl_practice, ctx=cl_ctx, data=valid_client_data(last_name=name))
    assert "\u2019" not in client.last_name


def test_last_name_with_digits_is_refused_with_a_clear_message(cl_practice, cl_ctx):
    errors = refused(cl_practice, cl_ctx, last_name="Smith3")
    assert "letters, spaces, hyphens and apostrophes" in errors["last_name"]


def test_date_of_birth_in_the_future_is_refused(cl_practice, cl_ctx):
    errors = refused(cl_practice, cl_ctx, date_of_birth=dt.date.today() + dt.timedelta(days=1))
    assert errors == {"date_of_birth": "The date of birth cannot be in the future."}


def test_date_of_birth_in_1899_is_refused(cl_practice, cl_ctx):
    errors = refused(cl_practice, cl_ctx, date_of_birth=dt.date(1899, 12, 31))
    assert "before 1900" in errors["date_of_birth"]


def test_date_of_birth_on_1900_01_01_and_today_pass(cl_practice, cl_ctx):
    client_create(
        practice=cl_practice, ctx=cl_ctx, data=valid_client_data(date_of_birth=dt.date(1900, 1, 1))
    )
    client_create(
        practice=cl_practice, ctx=cl_ctx, data=valid_client_data(date_of_birth=dt.date.today())
    )


def test_unreadable_date_string_is_refused(cl_practice, cl_ctx):
    errors = refused(cl_practice, cl_ctx, date_of_birth="12/31/1980")
    assert errors == {"date_of_birth": "Enter the date as YYYY-MM-DD."}


@pytest.mark.parametrize(
    ("phone", "fragment"),
    [
        ("555-0147", "10 digits; this has 7"),
        ("212-555-01477", "10 digits; this has 11"),
        ("(012) 555-0147", "area code"),
        ("(212) 155-0147", "after the area code"),
        ("212-CALL-NOW", "digits only"),
    ],
)
def test_bad_phone_numbers_are_refused(cl_practice, cl_ctx, phone, fragment):
    errors = refused(cl_practice, cl_ctx, phone=phone)
    assert fragment in errors["phone"]


def test_bad_email_is_refused(cl_practice, cl_ctx):
    assert set(refused(cl_practice, cl_ctx, email="maria@")) == {"email"}


@pytest.mark.parametrize("gender", ["X", "female", "1"])
def test_gender_must_be_m_f_or_u(cl_practice, cl_ctx, gender):
    assert refused(cl_practice, cl_ctx, gender=gender) == {"gender": "Gender is M, F or U."}


@pytest.mark.parametrize(
    "line1", ["PO Box 123", "P.O. Box 9", "p o box 77", "Post Office Box 5", "POB 12", "Box 44"]
)
def test_po_boxes_are_refused(cl_practice, cl_ctx, line1):
    errors = refused(cl_practice, cl_ctx, address1=line1)
    assert "PO boxes" in errors["address1"]


@pytest.mark.parametrize("zip_code", ["6270", "ABCDE", "62701-12", "00000"])
def test_bad_zip_codes_are_refused(cl_practice, cl_ctx, zip_code):
    assert set(refused(cl_practice, cl_ctx, zip_code=zip_code)) == {"zip_code"}


@pytest.mark.parametrize("state", ["XX", "Illinois", "ZZ"])
def test_unknown_states_are_refused(cl_practice, cl_ctx, state):
    assert set(refused(cl_practice, cl_ctx, state=state)) == {"state"}


def test_billing_type_must_be_known(cl_practice, cl_ctx):
    assert set(refused(cl_practice, cl_ctx, billing_type="cash")) == {"billing_type"}


def test_referring_npi_is_checked_when_given(cl_practice, cl_ctx):
    assert set(refused(cl_practice, cl_ctx, referring_provider_npi="1234567890")) == {
        "referring_provider_npi"
    }


def test_non_draft_client_needs_dob_gender_and_address(cl_practice, cl_ctx):
    errors = refused(
        cl_practice,
        cl_ctx,
        date_of_birth=None,
        gender="",
        address1="",
        address2="",
        city="",
        state="",
        zip_code="",
    )
    assert set(errors) == {"date_of_birth", "gender", "address1", "city", "state", "zip_code"}


def test_draft_client_is_allowed_with_only_a_name(cl_practice, cl_ctx):
    client = client_create(
        practice=cl_practice,
        ctx=cl_ctx,
        data={"first_name": "Sam", "last_name": "Lee", "is_draft": True},
    )
    assert client.is_draft and client.date_of_birth is None and client.address1 == ""
    assert client.billing_type == "self_pay"


def test_draft_client_partial_address_is_kept_but_what_is_given_is_checked(cl_practice, cl_ctx):
    client = client_create(
        practice=cl_practice,
        ctx=cl_ctx,
        data={"first_name": "Sam", "last_name": "Lee", "is_draft": True, "state": "NY"},
    )
    assert client.state == "NY"
    with pytest.raises(ValidationError) as info:
        client_create(
            practice=cl_practice,
            ctx=cl_ctx,
            data={
                "first_name": "Sam",
                "last_name": "Lee",
                "is_draft": True,
                "address1": "PO Box 1",
                "date_of_birth": dt.date(1850, 1, 1),
            },
        )
    assert set(error_messages(info.value)) == {"address1", "date_of_birth"}


def test_leaving_draft_requires_the_missing_details(cl_practice, cl_ctx):
    client = client_create(
        practice=cl_practice,
        ctx=cl_ctx,
        data={"first_name": "Sam", "last_name": "Lee", "is_draft": True},
    )
    with pytest.raises(ValidationError) as info:
        client_update(client=client, ctx=cl_ctx, data={"is_draft": False})
    assert {"date_of_birth", "gender", "address1"} <= set(error_messages(info.value))
    client.refresh_from_db()
    assert client.is_draft  # a refused write changes nothing


def test_refused_create_writes_nothing(cl_practice, cl_ctx):
    refused(cl_practice, cl_ctx, first_name="B4d")
    assert not Client.objects.exists()


def test_update_keeps_fields_not_sent(cl_client, cl_ctx):
    client_update(client=cl_client, ctx=cl_ctx, data={"billing_type": "not_billed"})
    cl_client.refresh_from_db()
    assert cl_client.billing_type == "not_billed" and cl_client.first_name == "Maria"
