"""A checkout the shopper left without paying is not shown to them as a cancelled order."""

import pytest
from django.urls import reverse

from orders.models import Order
from orders.shoppers import SHOPPER_SESSION_KEY
from orders.tests.factories import make_order

pytestmark = pytest.mark.django_db

SHOPPER = "session:regular"


@pytest.fixture
def shopper(client, seeded_shop):
    session = client.session
    session[SHOPPER_SESSION_KEY] = "regular"
    session.save()
    return client


def test_checkouts_left_unpaid_are_not_among_my_orders_or_recent_orders(shopper):
    paid = make_order(owner_key=SHOPPER, status=Order.Status.PAID, checkout_open=False)
    left = make_order(owner_key=SHOPPER, status=Order.Status.CANCELLED, checkout_open=False)

    for page in [reverse("order_list"), "/"]:
        html = shopper.get(page).content.decode()

        assert paid.reference in html, page
        assert left.reference not in html, page
        assert "Cancelled" not in html, page


def test_only_checkouts_left_unpaid_means_no_orders_yet(shopper):
    make_order(owner_key=SHOPPER, status=Order.Status.CANCELLED, checkout_open=False)

    html = shopper.get(reverse("order_list")).content.decode()

    assert "You have no orders yet" in html


def test_a_left_checkouts_page_says_the_checkout_was_not_completed(shopper):
    left = make_order(owner_key=SHOPPER, status=Order.Status.CANCELLED, checkout_open=False)

    response = shopper.get(left.get_absolute_url())

    assert response.status_code == 200
    assert "Checkout not completed" in response.content.decode()
    assert "Cancelled" not in response.content.decode()


def test_a_left_checkout_paid_at_the_last_moment_is_listed_again(shopper):
    left = make_order(owner_key=SHOPPER, status=Order.Status.CANCELLED, checkout_open=False)
    Order.objects.filter(pk=left.pk).update(status=Order.Status.PAID)

    assert left.reference in shopper.get(reverse("order_list")).content.decode()
