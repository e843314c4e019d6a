"""A long statement is prepared once per connection; one the session lost is prepared again, at
once outside a transaction and on the next run inside one."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from orders.models import Order
from shop.prepared_statements import execute_prepared, text_literals

pytestmark = pytest.mark.django_db(transaction=True)

ADD_ONE = "SELECT %s::integer + 1"


def run(value: int) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured, connection.cursor() as cursor:
        execute_prepared(cursor, ADD_ONE, [value])
        (result,) = cursor.fetchone()
    return result, captured.captured_queries[-1]["sql"]


def test_a_statement_is_prepared_with_its_first_run_and_only_executed_after():
    first, first_sql = run(1)
    second, second_sql = run(2)

    assert (first, second) == (2, 3)
    assert first_sql.startswith("PREPARE")
    assert second_sql.startswith("EXECUTE")


def test_a_statement_the_session_lost_is_prepared_again_and_run():
    run(1)
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")

    result, sql = run(2)

    assert result == 3
    assert sql.startswith("DEALLOCATE ALL; PREPARE")
    result, sql = run(3)
    assert result == 4
    assert sql.startswith("EXECUTE")


def test_inside_a_transaction_a_lost_statement_fails_once_then_is_prepared_again():
    run(1)
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")

    with pytest.raises(DatabaseError), transaction.atomic():
        run(2)
    result, sql = run(3)

    assert result == 4
    assert sql.startswith("DEALLOCATE ALL; PREPARE")


def test_constants_written_into_a_statement_read_back_as_themselves():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ARRAY[{text_literals(Order.Status.PAID, '', 'held')}]")
        assert cursor.fetchone()[0] == ["paid", "", "held"]


@pytest.mark.parametrize("value", ["it's", "back\\slash"])
def test_a_value_that_is_not_a_plain_constant_is_never_written_into_a_statement(value):
    with pytest.raises(ValueError, match="not a plain constant"):
        text_literals("paid", value)
