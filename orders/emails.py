"""Emails to shoppers: the order confirmation and refund notices, each claimed before sending."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.models import Site

from shop.models import ShopSettings

from .models import Order
from .money import from_cents, to_cents

logger = logging.getLogger(__name__)
# A just-paid order's email is normally on its way from the request that paid it.
CONFIRMATION_GRACE = timedelta(minutes=5)
# A claim lost to another process is tried again this often before leaving it to that process
# (or to reconcile_orders).
REFUND_CLAIM_ATTEMPTS = 3


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


def send_refund_notice(order_id: int) -> bool:
    """Email the shopper what Stripe has refunded since the last refund email; once per newly
    refunded amount, across processes."""
    claim = _claim_refund_notice(order_id)
    if claim is None:
        return False
    order, notified_before = claim
    log_extra = {"order_reference": order.reference}
    if not order.customer_email:
        logger.info(
            "Order %s was refunded but has no email address", order.reference, extra=log_extra
        )
        return False
    context = _refund_context(order, notified_before)
    subject = (
        f"Your order {order.reference} has been refunded"
        if context["fully_refunded"]
        else f"A refund on your order {order.reference}"
    )
    try:
        send_mail(
            subject=subject,
            message=render_to_string("orders/email/refund.txt", context),
            html_message=render_to_string("orders/email/refund.html", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[order.customer_email],
        )
    except ValueError:
        # An address no email header can carry: trying again will not help, so the claim stays.
        logger.warning(
            "Order %s was refunded but its email address cannot be written to",
            order.reference,
            extra=log_extra,
        )
        return False
    except OSError:
        # Give the claim back so reconcile_orders sends it once the mail server answers.
        Order.objects.filter(pk=order_id, refund_notified_cents=context["refunded_cents"]).update(
            refund_notified_cents=notified_before
        )
        logger.exception(
            "Refund email for order %s could not be sent", order.reference, extra=log_extra
        )
        return False
    logger.info("Refund email sent for order %s", order.reference, extra=log_extra)
    return True


def _claim_refund_notice(order_id: int) -> tuple[Order, int] | None:
    """Mark the order's refunded amount as emailed about; return the order and the amount
    (cents) emailed about before, or None when there is nothing new or another process has it."""
    for _ in range(REFUND_CLAIM_ATTEMPTS):
        order = Order.objects.get(pk=order_id)
        notified_before = order.refund_notified_cents
        refunded_cents = to_cents(order.amount_refunded)
        if refunded_cents <= notified_before:
            return None
        claimed = Order.objects.filter(pk=order_id, refund_notified_cents=notified_before).update(
            refund_notified_cents=refunded_cents
        )
        if claimed:
            order.refund_notified_cents = refunded_cents
            return order, notified_before
    return None


def _refund_context(order: Order, notified_before: int) -> dict:
    refunded_cents = order.refund_notified_cents
    # Refunds are recorded only on charges in the order's currency, so the charge is known.
    charged_cents = order.charged_cents
    return {
        "order": order,
        "refunded_cents": refunded_cents,
        "this_refund": from_cents(refunded_cents - notified_before),
        "refunded_so_far": from_cents(refunded_cents),
        "charged": from_cents(charged_cents),
        "fully_refunded": refunded_cents >= charged_cents,
        "shop_settings": ShopSettings.cached_for_site(
            Site.objects.filter(is_default_site=True).first()
        ),
        "site_url": settings.WAGTAILADMIN_BASE_URL,
    }


def send_missing_refund_notices() -> int:
    """Send the refund emails that did not go out (a mail server failure); returns how many."""
    waiting = (
        Order.objects.alias(refunded_cents=F("amount_refunded") * 100)
        .filter(refunded_cents__gt=F("refund_notified_cents"))
        .exclude(customer_email="")
    )
    return sum(send_refund_notice(order_id) for order_id in waiting.values_list("pk", flat=True))
