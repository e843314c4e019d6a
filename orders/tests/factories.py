from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from orders.models import Order, OrderItem, new_reference
from stripe_emulator import objects


def make_order(
    owner_key="session:test-shopper",
    status=Order.Status.PENDING,
    total="99.99",
    session_id=None,
    payment_intent_id="",
    product=None,
    **fields,
) -> Order:
    """A pending order with an open Checkout Session, as create_checkout leaves it."""
    reference = new_reference()
    order = Order.objects.create(
        reference=reference,
        owner_key=owner_key,
        status=status,
        total=Decimal(total),
        cart_fingerprint="f" * 64,
        checkout_expires_at=timezone.now() + timedelta(minutes=31),
        stripe_checkout_session_id=session_id or f"cs_test_{reference}",
        stripe_checkout_url=f"https://checkout.example/{reference}",
        stripe_payment_intent_id=payment_intent_id,
        customer_email=fields.pop("customer_email", "shopper@example.com"),
        **fields,
    )
    OrderItem.objects.create(
        order=order,
        product=product,
        product_name=product.name if product else "Portable Power Bank",
        unit_price=Decimal(total),
        quantity=1,
    )
    return order


def session_object(order: Order, status="complete", payment_status="paid", **fields) -> dict:
    """The order's Checkout Session as Stripe puts it in an event's data.object."""
    of_the_order = {
        "amount_subtotal": order.total_in_cents,
        "amount_total": order.total_in_cents,
        "client_reference_id": order.reference,
        "metadata": {"order_reference": order.reference},
        "customer_email": order.customer_email,
        "payment_intent": f"pi_{order.reference}",
    }
    return objects.checkout_session(
        order.stripe_checkout_session_id,
        status=status,
        payment_status=payment_status,
        **(of_the_order | fields),
    )


def charge_object(order: Order, amount_refunded: int, payment_intent=None, **fields) -> dict:
    """A charge as Stripe puts it in a charge.refunded event: by default, the order's payment."""
    return objects.charge(
        f"ch_{order.reference}",
        amount_refunded=amount_refunded,
        payment_intent=payment_intent or f"pi_{order.reference}",
        **({"amount": order.total_in_cents} | fields),
    )
