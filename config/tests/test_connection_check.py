"""A database connection reused between requests is checked without a round trip, and one the
server ended is replaced before the request uses it."""

import io
import json

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import connections
from django.test import RequestFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reused_connection():
    """A connection of its own, as a worker holds one between requests."""
    connection = connections.create_connection("default")
    connection.ensure_connection()
    yield connection
    connection.close()


def last_statement_of(connection) -> str:
    """What PostgreSQL last ran on the connection, as another session sees it."""
    with connections["default"].cursor() as cursor:
        cursor.execute(
            "SELECT query FROM pg_stat_activity WHERE pid = %s",
            [connection.connection.info.backend_pid],
        )
        return cursor.fetchone()[0]


def end_on_the_server(connection) -> None:
    """As a database restart or failover would, from a session of its own."""
    pid = connection.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            # Waits until the server process has gone, its goodbye sent.
            cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
            assert cursor.fetchone()[0]
    finally:
        other.close()


def test_a_healthy_idle_connection_is_found_usable_without_a_statement(reused_connection):
    with reused_connection.cursor() as cursor:
        cursor.execute("SELECT 'the last request'")

    assert reused_connection.is_usable()

    assert last_statement_of(reused_connection) == "SELECT 'the last request'"


def test_a_connection_the_server_ended_is_found_unusable(reused_connection):
    end_on_the_server(reused_connection)

    assert not reused_connection.is_usable()


def get_through_wsgi(path: str) -> tuple[str, bytes]:
    """As a worker serves a request: unlike the test client, the WSGI handler starts each request
    by retiring or checking the connections it reuses."""
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    environ = RequestFactory().get(path).environ
    environ["wsgi.input"] = io.BytesIO()
    body = b"".join(WSGIHandler()(environ, start_response))
    return answer["status"], body


def test_the_next_request_after_the_server_ended_the_connection_is_answered():
    connection = connections["default"]
    connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=True)
    try:
        assert get_through_wsgi("/healthz")[0] == "200 OK"
        end_on_the_server(connection)

        status, body = get_through_wsgi("/healthz")

        assert status == "200 OK"
        assert json.loads(body)["database"] == "ok"
    finally:
        connection.settings_dict.update(CONN_MAX_AGE=0, CONN_HEALTH_CHECKS=False)
        connection.close()
