from django.db.models import Prefetch

from .models import Order, OrderItem
from .shoppers import known_owner_key

HOME_PAGE_ORDER_COUNT = 5


def orders_for(request):
    """The orders the shopper placed, newest first; checkouts they left unpaid are not listed,
    though their pages stay reachable by address."""
    key = known_owner_key(request)
    if key is None:
        return Order.objects.none()
    # Only what order tables show: these lists are on every page a returning shopper opens.
    items = OrderItem.objects.only("order_id", "product_name", "options", "quantity")
    return (
        Order.objects.owned_by(key)
        .placed()
        .only("reference", "status", "checkout_open", "total", "currency", "created_at")
        .prefetch_related(Prefetch("items", queryset=items))
    )


def recent_orders_for(request):
    return orders_for(request)[:HOME_PAGE_ORDER_COUNT]
