"""Fixtures of the payments tests. (Connect's block: the practice's other roles, an audit
context, and an account taken to a state through the services, the fake playing Stripe.)"""

from __future__ import annotations

import pytest

from oasys.core.audit import AuditContext
from oasys.core.models import Role
from oasys.core.services import user_create

from .accounts import account_in

# --- connect: the practice's Stripe account ---------------------------------------------------


@pytest.fixture
def biller(practice):
    return user_create(practice=practice, email="biller@test.example", password="pw biller 1",
                       role=Role.BILLER)


@pytest.fixture
def clinician(practice):
    return user_create(practice=practice, email="clin@test.example", password="pw clin 1",
                       role=Role.CLINICIAN)


@pytest.fixture
def ctx(owner):
    return AuditContext(user_id=owner.pk, user_email=owner.email, practice_id=owner.practice_id)


@pytest.fixture
def active_account(practice, owner, ctx, payments):
    return account_in("active", practice, owner, ctx, payments)
