"""What a shopper does in Chromium, written once for the browser tests."""

from django.conf import settings
from playwright.sync_api import Page, expect

AXE_SCRIPT = settings.BASE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS_IMPACTS = ("serious", "critical")


def add_to_cart(page: Page, product_name: str) -> None:
    """Add one of the product from the home page's card, then open the cart."""
    page.goto("/")
    card = page.locator("article.card", has_text=product_name)
    card.get_by_role("button", name="Add to cart").click()
    expect(page.get_by_text(f"{product_name} was added to your cart.")).to_be_visible()
    page.goto("/cart/")


def pay(page: Page, card_number: str, email: str = "shopper@example.com") -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Card number").fill(card_number)
    page.get_by_role("button", name="Pay").click()


def serious_accessibility_violations(page: Page) -> list[str]:
    """What axe-core finds on the page that blocks or seriously hinders people (page's context
    opened with bypass_csp=True, since the shop's policy refuses the injected script)."""
    assert AXE_SCRIPT.exists(), "axe-core is missing: `make test` or `npm ci` installs it"
    page.add_script_tag(path=AXE_SCRIPT)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} "
        f"at {[node['target'] for node in violation['nodes']]}"
        for violation in results["violations"]
        if violation["impact"] in SERIOUS_IMPACTS
    ]
