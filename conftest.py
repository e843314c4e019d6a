import os

import pytest
from django.core.management import call_command
from django.test import override_settings

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session", autouse=True)
def media_of_this_process(tmp_path_factory):
    """Pictures a test stores go to a folder of this test process (tests run in several at
    once), never to the project's media/."""
    with override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("media")):
        yield


@pytest.fixture
def settings_kept_in_cache(monkeypatch):
    """Site settings stay cached for the whole test, as a running shop's stay warm: on a loaded
    machine a slow set-up must not let them expire between the queries a test counts."""
    from django.core.cache import cache

    from shop import models

    monkeypatch.setattr(models, "SETTINGS_CACHE_SECONDS", None)
    yield
    cache.clear()


@pytest.fixture
def page_cache_on(settings):
    """The page cache as in production (the suite runs with it off), emptied around the test."""
    from django.core.cache import cache

    settings.SHOP_PAGE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def seeded_shop(db):
    # Without the demo pictures: drawing and storing them for every test would only slow it.
    call_command("seed_shop", "--without-pictures", verbosity=0)


@pytest.fixture
def make_product(db):
    from products.tests.factories import make_product

    return make_product


@pytest.fixture(scope="session")
def emulator_server():
    from orders.tests.helpers import WEBHOOK_SECRET
    from stripe_emulator.testing import running_emulator

    with running_emulator(
        webhook_secret=WEBHOOK_SECRET,
        retry_delays=(0.05, 0.1, 0.2),
        async_settle_seconds=None,
    ) as emulator:
        yield emulator


@pytest.fixture
def stripe_emulator(emulator_server, settings):
    """The offline Stripe emulator, reset, with the shop's Stripe settings pointed at it.

    Webhooks are not delivered anywhere unless a test configures a webhook_url (browser and
    live-server tests point it at the live server's /webhook/).
    """
    from orders.tests.helpers import WEBHOOK_SECRET

    emulator_server.reset()
    emulator_server.configure(webhook_url=None, webhook_secret=WEBHOOK_SECRET)
    settings.STRIPE_API_BASE = emulator_server.base_url
    settings.STRIPE_SECRET_KEY = "sk_test_suite"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    yield emulator_server
    emulator_server.configure(webhook_url=None)


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, driven by Playwright; one for the whole run."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running; the ORM calls in tests are still sync.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()
