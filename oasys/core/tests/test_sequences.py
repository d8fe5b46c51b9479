"""sequence_next: numbers handed out once, in order, each committed with what uses it; one
statement a number on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from oasys.core.models import Sequence
from oasys.core.sequences import sequence_next
from oasys.core.tests.threads import run_together


class Boom(Exception):
    pass


@pytest.mark.django_db
def test_the_first_value_is_start_and_each_next_one_more():
    with transaction.atomic():
        assert [sequence_next(name="t:a", start=1000) for _ in range(3)] == [1000, 1001, 1002]
        assert sequence_next(name="t:b") == 1  # another name, its own count
    assert Sequence.objects.get(name="t:a").last_value == 1002


@pytest.mark.django_db
def test_a_number_after_the_first_is_one_statement_on_postgresql_and_no_savepoint():
    with transaction.atomic():
        sequence_next(name="t:c")
        with CaptureQueriesContext(connection) as queries:
            assert sequence_next(name="t:c") == 2
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) == (1 if connection.vendor == "postgresql" else 2), sql
    assert sql[0].startswith("UPDATE") and not any("SAVEPOINT" in s for s in sql)


@pytest.mark.django_db
def test_a_number_rolled_back_with_its_user_is_handed_out_again():
    with transaction.atomic():
        sequence_next(name="t:d")
    with pytest.raises(Boom), transaction.atomic():
        assert sequence_next(name="t:d") == 2
        raise Boom
    with transaction.atomic():
        assert sequence_next(name="t:d") == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("threads_share_the_database")
def test_threads_taking_numbers_at_once_never_share_one():
    def taker() -> list[int]:
        taken = []
        for _ in range(20):
            with transaction.atomic():
                taken.append(sequence_next(name="t:e"))
        return taken

    results, errors = run_together(taker, n=3)
    assert errors == []
    numbers = sorted(n for taken in results for n in taken)
    assert numbers == list(range(1, 61))
