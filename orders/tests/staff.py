"""What tests of the orders admin share: the refund page, a paid order at Stripe, the events
Stripe emitted for it, and the order list and its exports as a manager reads them."""

import csv
import html
import io
import re

from django.urls import reverse
from openpyxl import load_workbook

from orders import payments
from orders.models import Order
from orders.tests.helpers import pay_at_stripe, start_checkout
from stripe_emulator.testing import stripe_client


def refund_url(order: Order) -> str:
    return reverse("orders:refund", args=[order.pk])


def paid_order(emulator, product, quantity: int = 2) -> Order:
    """An order the shopper paid on Stripe's page, as the success page leaves it."""
    order = start_checkout((product, quantity))
    pay_at_stripe(emulator, order)
    return payments.fulfill_checkout(order)


def stripe_events(emulator, event_type: str) -> list[dict]:
    """Events the emulator emitted, oldest first, as Stripe would post them."""
    listed = stripe_client(emulator.base_url, "sk_test_suite").v1.events.list(
        params={"type": event_type}
    )
    return [event.to_dict() for event in reversed(listed.data)]


ORDER_LIST_URL = "/admin/orders/"


def text_of(markup: str) -> str:
    """Markup as a manager reads it: tags dropped, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def listing_rows(response) -> dict[str, dict[str, str]]:
    """Each listed order's cells by column heading, keyed by the order's reference."""
    page = response.content.decode()
    table = page[page.index('<table class="listing"') :]
    head, body = table[: table.index("</table>")].split("<tbody>")
    headings = [text_of("<th" + cell) for cell in re.split(r"<th(?=[\s>])", head)[1:]]
    rows = {}
    for row in re.split(r"<tr(?=[\s>])", body)[1:]:
        cells = [text_of("<td" + cell) for cell in re.split(r"<td(?=[\s>])", row)[1:]]
        by_heading = dict(zip(headings, cells, strict=True))
        rows[by_heading["Reference"].split()[0]] = by_heading
    return rows


def export(client, export_format: str, **query) -> list[list]:
    response = client.get(ORDER_LIST_URL, {**query, "export": export_format})
    content = b"".join(response.streaming_content)
    if export_format == "csv":
        return list(csv.reader(io.StringIO(content.decode())))
    return [
        list(row) for row in load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True)
    ]
