"""Test helpers: the suite's webhook secret, a shopper's checkout and payment, watching when the
shop calls Stripe, running management commands and queued tasks, and reading the orders admin."""

import csv
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.contrib.auth.models import Group, User
from django.contrib.sessions.backends.db import SessionStore
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks.base import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from background import engine
from orders import checkout, stripe_gateway
from orders.cart import Cart
from orders.models import Order, OrderEmail
from stripe_emulator.testing import EmulatorControl, stripe_client
from stripe_emulator.webhooks import signature_header

WEBHOOK_SECRET = "whsec_test_suite"
CHECKOUT_URLS = checkout.CheckoutUrls(
    success_url="http://testserver/success/?session_id={CHECKOUT_SESSION_ID}",
    cancel_url="http://testserver/cancel/",
)
CLOSED_PORT = "http://127.0.0.1:9"
ADMIN_ORDERS_URL = "/admin/orders/"
ORDERS_PANEL = 'id="shop-orders-section"'


def post_webhook(client, event: dict, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    body = json.dumps(event).encode()
    return client.post(
        reverse("stripe_webhook"),
        data=body,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(body, secret, timestamp),
    )


def add_to_cart(client, product, quantity=1):
    client.post(reverse("cart_add"), {"product_id": product.pk, "quantity": quantity})


def check_out(client):
    return client.post(reverse("create_checkout_session"))


def check_out_with_json(client, items):
    return client.post(
        reverse("create_checkout_session"),
        json.dumps({"items": items}),
        content_type="application/json",
    )


def start_checkout(*lines) -> Order:
    """An order whose Checkout Session is open at Stripe, as a shopper's checkout leaves it."""
    cart = Cart(SessionStore())
    for product, quantity in lines:
        cart.add(product.pk, quantity)
    return checkout.create_checkout(cart, f"session:{uuid.uuid4().hex}", None, CHECKOUT_URLS)


def pay_at_stripe(emulator, order: Order, outcome: str = "paid") -> None:
    """The shopper pays on Stripe's page; no webhook reaches the shop."""
    EmulatorControl(emulator.base_url).complete_session(order.stripe_checkout_session_id, outcome)


def session_at_stripe(emulator, order: Order) -> dict:
    client = stripe_client(emulator.base_url, "sk_test_suite")
    return client.v1.checkout.sessions.retrieve(order.stripe_checkout_session_id).to_dict()


def status_of(order: Order) -> str:
    order.refresh_from_db()
    return order.status


@contextmanager
def transactions_open_at_each_stripe_call(monkeypatch) -> Iterator[list[int]]:
    """Yield a list that gets, for every call the shop makes to Stripe (the real call still
    happens), how many transactions the shop had open beyond the test's own."""
    already_open = len(connection.atomic_blocks)
    counts = []
    call = stripe_gateway._call

    def counting_call(*args, **kwargs):
        counts.append(len(connection.atomic_blocks) - already_open)
        return call(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(stripe_gateway, "_call", counting_call)
        yield counts


def run_command(*args, **options) -> str:
    """Run a management command and return what it printed."""
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def run_queued_tasks() -> int:
    """Run the background tasks that are due, through the database queue, as the worker does;
    return how many ran."""
    return engine.run_ready_tasks()


def bring_deferred_tasks_forward() -> None:
    """Make the tasks queued for later (retries) due now."""
    DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())


def refuse_changes_to(order: Order) -> None:
    """The database refuses every change to this order, as a failing disk or constraint would."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE OR REPLACE FUNCTION refuse_order_change() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'order % cannot be written', OLD.reference; END $$ "
            "LANGUAGE plpgsql"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse_order_change BEFORE UPDATE ON {Order._meta.db_table} "
            f"FOR EACH ROW WHEN (OLD.reference = '{order.reference}') "
            "EXECUTE FUNCTION refuse_order_change()"
        )


@contextmanager
def outbox_refusing_writes() -> Iterator[None]:
    """The outbox refuses every new email from inside the statement writing it, as a failing
    disk would: whatever that statement or its transaction wrote is undone with it."""
    table = connection.ops.quote_name(OrderEmail._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_email() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION 'The outbox cannot be written.'; END $$"
        )
        cursor.execute(
            f"CREATE TRIGGER refuse_email BEFORE INSERT ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_email()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER refuse_email ON {table}")
            cursor.execute("DROP FUNCTION refuse_email()")


def login(client, user):
    client.force_login(user)
    return client


def staff_member(username: str, group: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", "pw")
    user.groups.add(Group.objects.get(name=group))
    return user


def admin_order_url(order: Order) -> str:
    return reverse("orders:inspect", args=[order.pk])


def created_days_ago(order: Order, days: int) -> Order:
    Order.objects.filter(pk=order.pk).update(created_at=timezone.now() - timedelta(days=days))
    order.refresh_from_db()
    return order


def references_in(content: bytes, *orders: Order) -> list[str]:
    """The given orders' references in the order they appear on the page."""
    text = content.decode()
    found = [order.reference for order in orders if order.reference in text]
    return sorted(found, key=text.index)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def cart_quantities(client) -> dict[int, int]:
    """What the cart page shows: product id to quantity."""
    return {line.product.pk: line.quantity for line in client.get(reverse("cart")).context["lines"]}
