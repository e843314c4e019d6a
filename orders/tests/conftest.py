import pytest


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
