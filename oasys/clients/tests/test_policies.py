"""Insurance policies: payer, member ID, and the subscriber rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from oasys.clients.errors import error_messages
from oasys.clients.services import policy_create, policy_update

from .conftest import subscriber_data

pytestmark = pytest.mark.django_db


def base(the_payer, **overrides) -> dict:
    data = {
        "payer": the_payer.pk,
        "priority": "primary",
        "member_id": "W123456789",
        "group_number": "GRP-1",
        "relationship": "self",
    }
    data.update(overrides)
    return data


def refused(client, ctx, data) -> dict[str, str]:
    with pytest.raises(ValidationError) as info:
        policy_create(client=client, ctx=ctx, data=data)
    return error_messages(info.value)


def test_self_policy_needs_no_subscriber(cl_client, cl_ctx, cl_payer):
    policy = policy_create(client=cl_client, ctx=cl_ctx, data=base(cl_payer))
    assert policy.payer == cl_payer and policy.relationship == "self" and policy.is_active


def test_self_policy_drops_stray_subscriber_details(cl_client, cl_ctx, cl_payer):
    policy = policy_create(
        client=cl_client, ctx=cl_ctx, data=base(cl_payer, **subscriber_data(relationship="self"))
    )
    assert policy.subscriber_first_name == "" and policy.subscriber_date_of_birth is None


def test_other_relationship_requires_every_subscriber_detail(cl_client, cl_ctx, cl_payer):
    errors = refused(cl_client, cl_ctx, base(cl_payer, relationship="spouse"))
    assert set(errors) == {
        "subscriber_first_name",
        "subscriber_last_name",
        "subscriber_date_of_birth",
        "subscriber_gender",
        "subscriber_address1",
        "subscriber_city",
        "subscriber_state",
        "subscriber_zip_code",
    }


@pytest.mark.parametrize("relationship", ["spouse", "child", "other"])
def test_complete_subscriber_is_accepted(cl_client, cl_ctx, cl_payer, relationship):
    policy = policy_create(
        client=cl_client,
        ctx=cl_ctx,
        data=base(cl_payer, **subscriber_data(relationship=relationship)),
    )
    assert policy.subscriber_last_name == "O'Neil-Smith"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subscriber_first_name", "J0hn"),
        ("subscriber_date_of_birth", dt.date.today() + dt.timedelta(days=2)),
        ("subscriber_date_of_birth", dt.date(1899, 1, 1)),
        ("subscriber_gender", "Q"),
        ("subscriber_address1", "PO Box 12"),
        ("subscriber_zip_code", "1234"),
        ("subscriber_state", "QQ"),
    ],
)
def test_bad_subscriber_details_are_refused(cl_client, cl_ctx, cl_payer, field, value):
    errors = refused(cl_client, cl_ctx, base(cl_payer, **subscriber_data(**{field: value})))
    assert set(errors) == {field}


def test_payer_and_member_id_are_required(cl_client, cl_ctx, cl_payer):
    errors = refused(cl_client, cl_ctx, base(cl_payer, payer=None, member_id=""))
    assert set(errors) == {"payer", "member_id"}
    errors = refused(cl_client, cl_ctx, base(cl_payer, payer=999999, member_id="W 123"))
    assert set(errors) == {"payer", "member_id"}


def test_one_active_policy_per_priority_and_secondary_needs_primary(
    cl_client, cl_ctx, cl_payer, cl_payer_2
):
    errors = refused(cl_client, cl_ctx, base(cl_payer, priority="secondary"))
    assert "primary policy before" in errors["priority"]
    primary = policy_create(client=cl_client, ctx=cl_ctx, data=base(cl_payer))
    errors = refused(cl_client, cl_ctx, base(cl_payer_2))
    assert "already has an active primary" in errors["priority"]
    policy_create(client=cl_client, ctx=cl_ctx, data=base(cl_payer_2, priority="secondary"))
    # Retire the old primary, then a new primary can be added.
    policy_update(policy=primary, ctx=cl_ctx, data={"is_active": False})
    policy_create(client=cl_client, ctx=cl_ctx, data=base(cl_payer_2, member_id="NEW1"))


def test_update_changes_relationship_and_validates(cl_client, cl_ctx, cl_payer):
    policy = policy_create(client=cl_client, ctx=cl_ctx, data=base(cl_payer))
    with pytest.raises(ValidationError):
        policy_update(policy=policy, ctx=cl_ctx, data={"relationship": "child"})
    policy.refresh_from_db()
    assert policy.relationship == "self"
    policy_update(policy=policy, ctx=cl_ctx, data=subscriber_data(relationship="child"))
    policy.refresh_from_db()
    assert policy.relationship == "child" and policy.subscriber_first_name == "John"
