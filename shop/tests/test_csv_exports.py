"""Text in the admin's CSV exports opens in a spreadsheet as text, never as a formula."""

import csv
import io

import pytest
from django.contrib.auth.models import Group, User

from orders.models import Order, OrderItem
from orders.tests.factories import make_order
from orders.tests.reports import TOP_PRODUCTS_URL

pytestmark = pytest.mark.django_db

PRODUCTS_URL = "/admin/snippets/products/product/"
FORMULA_NAME = '=HYPERLINK("https://evil.example","Click")'


def signed_in(client, username: str, group: str):
    user = User.objects.create_user(username, f"{username}@example.com", "pw")
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize("name", [FORMULA_NAME, "+1+1", "-2+3", "@SUM(A1)", "\tTab", "\rReturn"])
def test_product_csv_export_shows_a_formula_like_name_as_text(
    client, seeded_shop, make_product, name
):
    make_product(name=name, slug="risky")
    make_product(name="Plain Mug", slug="plain-mug")
    editor = signed_in(client, "edith", "Editors")

    rows = csv_rows(editor.get(PRODUCTS_URL, {"export": "csv"}))

    names = [row[0] for row in rows[1:]]
    assert f"'{name}" in names
    assert "Plain Mug" in names


def test_top_products_csv_export_shows_a_formula_like_product_name_as_text(client, seeded_shop):
    order = make_order(status=Order.Status.PAID, total="30.00", paid_at="2025-02-03T12:00Z")
    order.items.all().delete()
    OrderItem.objects.create(order=order, product_name=FORMULA_NAME, unit_price="30.00", quantity=1)
    manager = signed_in(client, "margaret", "Shop managers")

    rows = csv_rows(
        manager.get(TOP_PRODUCTS_URL, {"start": "2025-02-01", "end": "2025-02-28", "export": "csv"})
    )

    assert rows[1][:2] == [f"'{FORMULA_NAME}", "1"]
