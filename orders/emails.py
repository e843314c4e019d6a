import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.utils import timezone

from .models import Order

logger = logging.getLogger(__name__)
# A just-paid order's email is normally on its way from the request that paid it.
CONFIRMATION_GRACE = timedelta(minutes=5)


def send_order_confirmation(order_id: int) -> bool:
    """Email the shopper that their order is paid; at most once per order, across processes.

    Only an order that is still paid is confirmed: one refunded in the same breath (a refund
    event arriving before the payment's own) gets no "your order is confirmed".
    """
    claimed = Order.objects.filter(
        pk=order_id, status=Order.Status.PAID, confirmation_sent_at__isnull=True
    ).update(confirmation_sent_at=timezone.now())
    if not claimed:
        return False
    order = Order.objects.prefetch_related("items").get(pk=order_id)
    if not order.customer_email:
        logger.info(
            "Order %s is paid but has no email address to confirm to",
            order.reference,
            extra={"order_reference": order.reference},
        )
        return False
    context = {"order": order, "site_url": settings.WAGTAILADMIN_BASE_URL}
    body = render_to_string("orders/email/confirmation.txt", context)
    try:
        send_mail(
            subject=f"Your order {order.reference} is confirmed",
            message=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.customer_email],
        )
    except ValueError:
        # An address no email header can carry: trying again will not help, so the claim stays.
        logger.warning(
            "Order %s is paid but its email address cannot be written to",
            order.reference,
            extra={"order_reference": order.reference},
        )
        return False
    except OSError:
        # Give the claim back so reconcile_orders sends it once the mail server answers.
        Order.objects.filter(pk=order_id).update(confirmation_sent_at=None)
        logger.exception(
            "Confirmation email for order %s could not be sent",
            order.reference,
            extra={"order_reference": order.reference},
        )
        return False
    logger.info(
        "Confirmation email sent for order %s",
        order.reference,
        extra={"order_reference": order.reference},
    )
    return True


def send_missing_confirmations(now) -> int:
    """Send the confirmations of paid orders whose email did not go out; returns how many."""
    waiting = Order.objects.filter(
        status=Order.Status.PAID,
        confirmation_sent_at__isnull=True,
        paid_at__lte=now - CONFIRMATION_GRACE,
    ).exclude(customer_email="")
    return sum(
        send_order_confirmation(order_id) for order_id in waiting.values_list("pk", flat=True)
    )
