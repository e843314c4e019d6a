"""Production log lines are JSON carrying order and Stripe ids; gunicorn sizes itself to the box."""

import json
import logging
import runpy
import sys
from pathlib import Path

import pytest

from config.logging import JsonFormatter

GUNICORN_CONF = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"


def record(message="Order %s paid", *args, exc_info=None, **extra) -> logging.LogRecord:
    entry = logging.getLogger("orders.payments").makeRecord(
        "orders.payments", logging.INFO, __file__, 1, message, args or ("R7KQ2",), exc_info
    )
    entry.__dict__.update(extra)
    return entry


def test_a_log_line_is_one_json_object_with_the_message():
    line = JsonFormatter().format(record())

    assert "\n" not in line
    entry = json.loads(line)
    assert entry["message"] == "Order R7KQ2 paid"
    assert entry["level"] == "INFO"
    assert entry["logger"] == "orders.payments"
    assert entry["time"].endswith("+00:00")


def test_order_checkout_session_and_event_ids_get_fields_of_their_own():
    entry = json.loads(
        JsonFormatter().format(
            record(
                order_reference="R7KQ2",
                checkout_session_id="cs_test_123",
                stripe_event_id="evt_456",
            )
        )
    )

    assert entry["order_reference"] == "R7KQ2"
    assert entry["checkout_session_id"] == "cs_test_123"
    assert entry["stripe_event_id"] == "evt_456"


def test_ids_that_a_log_call_does_not_pass_are_left_out():
    entry = json.loads(JsonFormatter().format(record(order_reference="R7KQ2")))

    assert "checkout_session_id" not in entry
    assert "stripe_event_id" not in entry


def test_an_exception_travels_inside_its_log_line():
    try:
        raise RuntimeError("Stripe is down")
    except RuntimeError:
        entry = json.loads(JsonFormatter().format(record(exc_info=sys.exc_info())))

    assert "RuntimeError: Stripe is down" in entry["exception"]


@pytest.fixture
def gunicorn_conf(monkeypatch):
    def load(**variables):
        for name in ("WEB_CONCURRENCY", "PORT", "GUNICORN_TIMEOUT"):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(GUNICORN_CONF))

    return load


@pytest.mark.parametrize(
    ("cores", "cap", "workers"), [(1, None, 3), (4, None, 9), (4, "3", 3), (2, "", 5)]
)
def test_gunicorn_runs_two_workers_per_core_plus_one_up_to_web_concurrency(
    gunicorn_conf, cores, cap, workers
):
    assert gunicorn_conf()["worker_count"](cores, cap) == workers


def test_gunicorn_serves_the_shop_and_logs_every_request_as_json(gunicorn_conf):
    conf = gunicorn_conf(WEB_CONCURRENCY="2", PORT="9000")

    assert conf["wsgi_app"] == "config.wsgi:application"
    assert conf["bind"] == "0.0.0.0:9000"
    assert conf["workers"] <= 2
    assert conf["timeout"] == 45
    assert conf["accesslog"] == "-"
    formatter = conf["logconfig_dict"]["formatters"]["json"]
    assert formatter == {"()": "config.logging.JsonFormatter"}
    assert conf["logconfig_dict"]["loggers"]["gunicorn.access"]["handlers"] == ["console"]
