from .models import Order
from .shoppers import known_owner_key

HOME_PAGE_ORDER_COUNT = 5


def orders_for(request):
    key = known_owner_key(request)
    if key is None:
        return Order.objects.none()
    return Order.objects.filter(owner_key=key).prefetch_related("items")


def recent_orders_for(request):
    return orders_for(request)[:HOME_PAGE_ORDER_COUNT]
