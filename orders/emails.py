import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Order

logger = logging.getLogger(__name__)


def send_order_confirmation(order_id: int) -> bool:
    """Email the shopper that their order is paid; at most once per order, across processes."""
    claimed = Order.objects.filter(pk=order_id, confirmation_sent_at__isnull=True).update(
        confirmation_sent_at=timezone.now()
    )
    if not claimed:
        return False
    order = Order.objects.prefetch_related("items").get(pk=order_id)
    if not order.customer_email:
        logger.info("Order %s is paid but has no email address to confirm to", order.reference)
        return False
    context = {"order": order, "site_url": settings.WAGTAILADMIN_BASE_URL}
    send_mail(
        subject=f"Your order {order.reference} is confirmed",
        message=render_to_string("orders/email/confirmation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[order.customer_email],
    )
    logger.info("Confirmation email sent for order %s", order.reference)
    return True
