from __future__ import annotations

from collections.abc import Iterator

import pytest
import stripe

from stripe_emulator.server import StripeEmulator
from stripe_emulator.testing import EmulatorControl, running_emulator, stripe_client
from stripe_emulator.tests.helpers import API_KEY, WEBHOOK_SECRET
from stripe_emulator.tests.receiver import WebhookReceiver

FAST_RETRIES = (0.05, 0.1)


@pytest.fixture
def emulator() -> Iterator[StripeEmulator]:
    with running_emulator(
        webhook_secret=WEBHOOK_SECRET,
        retry_delays=FAST_RETRIES,
        delivery_timeout=2.0,
        async_settle_seconds=None,
    ) as running:
        yield running


@pytest.fixture
def client(emulator: StripeEmulator) -> stripe.StripeClient:
    return stripe_client(emulator.base_url, API_KEY)


@pytest.fixture
def control(emulator: StripeEmulator) -> EmulatorControl:
    return EmulatorControl(emulator.base_url)


@pytest.fixture
def receiver(emulator: StripeEmulator) -> Iterator[WebhookReceiver]:
    """A webhook endpoint the emulator delivers to."""
    with WebhookReceiver() as running:
        emulator.configure(webhook_url=running.url)
        yield running
