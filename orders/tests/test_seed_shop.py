"""seed_shop --demo-orders fills a fresh shop with orders to look at."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import CommandError
from django.utils import timezone

from orders.models import Order, OrderItem
from orders.tests.helpers import run_command
from products.seed import STARTER_PRODUCTS


@pytest.mark.django_db
class TestSeedShopDemoOrders:
    def test_creates_mixed_orders_from_the_starter_products_once(self):
        output = run_command("seed_shop", "--demo-orders", "15")
        again = run_command("seed_shop", "--demo-orders", "15")

        demo = Order.objects.filter(stripe_checkout_session_id__startswith="cs_test_demo_")
        assert demo.count() == 15
        assert "15 demo orders added." in output and "0 demo orders added." in again
        assert len(set(demo.values_list("status", flat=True))) >= 3
        two_weeks_ago = timezone.now() - timedelta(days=14, minutes=1)
        assert not demo.filter(created_at__lt=two_weeks_ago).exists()
        prices = {fields["name"]: fields["price"] for fields in STARTER_PRODUCTS}
        for item in OrderItem.objects.filter(order__in=demo):
            assert item.unit_price == prices[item.product_name]
            assert item.product.name == item.product_name
        for order in demo.prefetch_related("items"):
            assert order.total == sum(item.line_total for item in order.items.all())
        assert mail.outbox == []

    def test_tops_up_to_the_number_asked_for(self):
        run_command("seed_shop", "--demo-orders", "3")
        run_command("seed_shop", "--demo-orders", "5")

        assert Order.objects.count() == 5

    def test_a_negative_number_is_a_clear_error(self):
        with pytest.raises(CommandError, match="0 or more"):
            run_command("seed_shop", "--demo-orders", "-1")
