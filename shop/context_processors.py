from django.conf import settings
from django.utils.functional import SimpleLazyObject

from orders import stripe_gateway
from orders.cart import cart_count

from .models import ShopSettings
from .navigation import menu_pages


def shop(request):
    return {
        "shop_settings": SimpleLazyObject(lambda: ShopSettings.for_request(request)),
        "cart_count": cart_count(request),
        "max_quantity": settings.SHOP_MAX_QUANTITY_PER_LINE,
        "stripe_emulator_active": stripe_gateway.uses_emulator(),
        "menu_pages": menu_pages(request),
    }
