from django.db import connection
from django.db.models import Prefetch

from shop.prepared_statements import execute_prepared

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


def recent_order_states(request) -> list[tuple[int, str, bool]]:
    """(id, status, checkout open) of the orders recent_orders_for lists: all that can change in
    them once placed. Nothing is asked on a browser's very first request."""
    key = known_owner_key(request)
    if key is None:
        return []
    # Asked on every page a returning shopper opens, so written out once: building it through
    # the ORM each time took longer than PostgreSQL takes to answer it, and planning it took
    # longer than running it (prepared). The same rows, in the same order, as
    # orders_for(request).values_list("pk", "status", "checkout_open").
    params = [key, Order.Status.CANCELLED, HOME_PAGE_ORDER_COUNT]
    with connection.cursor() as cursor:
        execute_prepared(cursor, _RECENT_ORDER_STATES_SQL, params)
        return [tuple(row) for row in cursor.fetchall()]


_RECENT_ORDER_STATES_SQL = (
    f"SELECT id, status, checkout_open FROM {Order._meta.db_table} "
    "WHERE owner_key = %s AND status <> %s ORDER BY created_at DESC, id DESC LIMIT %s"
)
