"""Fixtures shared by the orders tests: the seeded shop on the emulator, signed webhook
deliveries, a sample product and order, staff signed in to the admin, and browser pages on the
live shop."""

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from orders.tests.factories import make_order
from orders.tests.helpers import login, post_webhook, staff_member
from products.models import Product
from stripe_emulator import objects
from stripe_emulator.testing import EmulatorControl, stripe_client


@pytest.fixture
def shop(seeded_shop, stripe_emulator):
    return {product.slug: product for product in Product.objects.all()}


@pytest.fixture
def control(stripe_emulator):
    return EmulatorControl(stripe_emulator.base_url)


@pytest.fixture
def sdk(stripe_emulator):
    return stripe_client(stripe_emulator.base_url, "sk_test_suite")


@pytest.fixture
def paying(django_capture_on_commit_callbacks):
    """Visit the success page the way the browser does after paying, running on_commit work."""

    def visit(client, session_id):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(reverse("checkout_success"), {"session_id": session_id})

    return visit


@pytest.fixture
def order(db):
    return make_order()


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """Post a signed event, running what the shop does after its transaction commits."""

    def post(client, event_type, data_object, event_id=None):
        with django_capture_on_commit_callbacks(execute=True):
            return post_webhook(client, objects.event(event_type, data_object, event_id))

    return post


@pytest.fixture
def lamp(make_product):
    return make_product("Desk Lamp", "25.00")


@pytest.fixture
def manager(seeded_shop):
    return staff_member("margaret", "Shop managers")


@pytest.fixture
def manager_client(client, manager):
    return login(client, manager)


@pytest.fixture
def editor_client(client, seeded_shop):
    return login(client, staff_member("edith", "Editors"))


@pytest.fixture
def superuser_client(client):
    return login(client, User.objects.create_superuser("root", "root@example.com", "pw"))


@pytest.fixture
def open_context(browser, live_server, seeded_shop, stripe_emulator):
    """Open browser contexts on the live shop (options as Playwright's new_context takes them),
    with Stripe's webhooks delivered to it; every context is closed after the test."""
    stripe_emulator.configure(webhook_url=f"{live_server.url}/webhook/")
    contexts = []

    def open_one(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context

    yield open_one
    stripe_emulator.wait_for_deliveries(timeout=10)
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_context):
    return open_context().new_page()
