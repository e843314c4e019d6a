"""The process-level behaviour: the CLI, internal errors and waiting on webhooks."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import stripe

from stripe_emulator import StripeEmulator
from stripe_emulator.testing import emulator_fixture, running_emulator, stripe_client
from stripe_emulator.tests.helpers import API_KEY, create_session, session_params
from stripe_emulator.tests.receiver import WebhookReceiver

REPOSITORY = Path(__file__).resolve().parents[2]

shop_emulator = emulator_fixture(merchant_name="Fixture Shop")


def test_cli_prints_its_base_url_and_serves_the_api():
    process = subprocess.Popen(
        [sys.executable, "-m", "stripe_emulator", "--port", "0", "--merchant-name", "CLI Shop"],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        base_url = process.stdout.readline().strip()
        client = stripe_client(base_url, API_KEY)

        session = create_session(client)

        assert base_url.startswith("http://127.0.0.1:")
        assert session.url.startswith(f"{base_url}/c/pay/")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_an_internal_failure_is_a_500_api_error(client, emulator, monkeypatch):
    def explode(params):
        raise RuntimeError("boom")

    monkeypatch.setattr(emulator.account, "list_events", explode)

    with pytest.raises(stripe.APIError) as raised:
        client.v1.events.list()

    assert raised.value.http_status == 500
    assert "unexpected error" in raised.value.user_message
    assert client.v1.checkout.sessions.list().object == "list"


def test_wait_for_deliveries_times_out_while_a_retry_is_pending():
    with (
        WebhookReceiver() as receiver,
        running_emulator(webhook_url=receiver.url, retry_delays=(30,)) as emulator,
    ):
        receiver.answer_next(500)
        client = stripe_client(emulator.base_url, API_KEY)
        client.v1.checkout.sessions.expire(create_session(client).id)

        with pytest.raises(TimeoutError):
            emulator.wait_for_deliveries(timeout=0.3)

        assert [attempt.status for attempt in emulator.deliveries()] == [500]


def test_start_and_stop_as_a_context_manager():
    with StripeEmulator() as emulator:
        client = stripe_client(emulator.base_url, API_KEY)
        assert client.v1.events.list().data == []

    with pytest.raises(RuntimeError, match="has not been started"):
        _ = emulator.base_url


def test_emulator_fixture_yields_a_running_emulator(shop_emulator):
    client = stripe_client(shop_emulator.base_url, API_KEY)

    session = create_session(client)

    assert session.url.startswith(shop_emulator.base_url)
    assert shop_emulator.merchant_name == "Fixture Shop"


def test_a_lost_answer_leaves_the_session_made_and_a_replay_returns_it(emulator):
    client = stripe.StripeClient(
        API_KEY, base_addresses={"api": emulator.base_url}, max_network_retries=0
    )
    emulator.set_network_faults(lost_answers=1)
    create = client.v1.checkout.sessions.create
    options = {"idempotency_key": "lost-once"}

    with pytest.raises(stripe.APIConnectionError):
        create(params=session_params(), options=options)
    session = create(params=session_params(), options=options)

    assert [made.id for made in client.v1.checkout.sessions.list().data] == [session.id]


def test_a_slow_api_holds_each_answer_back(emulator):
    client = stripe_client(emulator.base_url, API_KEY)
    emulator.set_network_faults(delay_seconds=0.3)

    started = time.monotonic()
    client.v1.events.list()

    assert time.monotonic() - started >= 0.3
