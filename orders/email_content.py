"""What each email to a shopper says: its subject, plain text and HTML, from the order, the
shop's settings and the opening words staff edit under Settings → Email settings."""

from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone
from wagtail.models import Site

from shop.models import EmailSettings, ShopSettings

from .models import Order, OrderEmail, OrderItem
from .money import from_cents

Reason = OrderEmail.Reason


@dataclass(frozen=True)
class EmailContent:
    subject: str
    text: str
    html: str


def for_email(email: OrderEmail) -> EmailContent:
    """The email as the shopper gets it, for an email of the outbox."""
    order = email.order
    facts = _refund_facts(email) if email.reason == Reason.REFUND else {}
    return render(email.reason, order, items=list(order.items.all()), **facts)


def sample(reason: str) -> EmailContent:
    """The email as it would read for a made-up order, for staff to preview and test."""
    order = Order(
        reference="SAMPLE01",
        customer_email="shopper@example.com",
        currency="usd",
        total=Decimal("129.00"),
        status=Order.Status.PAID,
        paid_at=timezone.now(),
        carrier="UPS",
        tracking_number="1Z999AA10123456784",
        tracking_url="https://www.ups.com/track?tracknum=1Z999AA10123456784",
    )
    items = [
        OrderItem(product_name="Wireless Headphones", unit_price=Decimal("99.00"), quantity=1),
        OrderItem(product_name="Charging Cable", unit_price=Decimal("15.00"), quantity=2),
    ]
    facts = _refund_amounts(refunded_cents=2500, notified_before_cents=0, charged_cents=12900)
    return render(reason, order, items=items, **facts)


def render(reason: str, order: Order, *, items: list[OrderItem], **facts) -> EmailContent:
    subject = _subject(reason, order, facts)
    context = {
        "subject": subject,
        "order": order,
        "items": items,
        "intro": EmailSettings.for_default_site().intro_for(reason),
        "shop_settings": ShopSettings.cached_for_site(
            Site.objects.filter(is_default_site=True).first()
        ),
        "site_url": settings.WAGTAILADMIN_BASE_URL,
        **facts,
    }
    return EmailContent(
        subject=subject,
        text=render_to_string(f"orders/email/{reason}.txt", context),
        html=render_to_string(f"orders/email/{reason}.html", context),
    )


def _subject(reason: str, order: Order, facts: dict) -> str:
    if reason == Reason.CONFIRMATION:
        return f"Your order {order.reference} is confirmed"
    if reason == Reason.SHIPPED:
        return f"Your order {order.reference} is on its way"
    if reason == Reason.PAYMENT_FAILED:
        return f"The payment for your order {order.reference} did not go through"
    if facts["fully_refunded"]:
        return f"Your order {order.reference} has been refunded"
    return f"A refund on your order {order.reference}"


def _refund_facts(email: OrderEmail) -> dict:
    refunded_cents = int(email.key)
    # The amount of the refund email before this one: refunds only ever grow.
    earlier = [
        int(key)
        for key in email.order.emails.filter(reason=Reason.REFUND).values_list("key", flat=True)
        if int(key) < refunded_cents
    ]
    # Refunds are recorded only on charges in the order's currency, so the charge is known.
    return _refund_amounts(refunded_cents, max(earlier, default=0), email.order.charged_cents)


def _refund_amounts(refunded_cents: int, notified_before_cents: int, charged_cents: int) -> dict:
    return {
        "this_refund": from_cents(refunded_cents - notified_before_cents),
        "refunded_so_far": from_cents(refunded_cents),
        "charged": from_cents(charged_cents),
        "remaining": from_cents(max(charged_cents - refunded_cents, 0)),
        "fully_refunded": refunded_cents >= charged_cents,
    }
