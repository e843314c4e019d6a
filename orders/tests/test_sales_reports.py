"""Shop managers read sales, best sellers and the checkout funnel in the admin's Reports menu."""

import csv
import io
import itertools
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group, User
from openpyxl import load_workbook

from orders.models import Order, OrderItem
from orders.tests.factories import make_order
from orders.tests.reports import (
    FUNNEL_URL,
    SALES_URL,
    TOP_PRODUCTS_URL,
    bars_of,
    chart_in,
)
from shop.money import format_shop_money

pytestmark = pytest.mark.django_db

Status = Order.Status
SHOP_ZONE = "America/New_York"
RANGE = {"start": "2025-01-27", "end": "2025-03-09"}
owner_numbers = itertools.count()


def staff_client(client, username: str, group: str):
    user = User.objects.create_user(username, f"{username}@example.com", "pw")
    user.groups.add(Group.objects.get(name=group))
    client.force_login(user)
    return client


@pytest.fixture
def manager_client(client, seeded_shop):
    return staff_client(client, "margaret", "Shop managers")


@pytest.fixture
def editor_client(client, seeded_shop):
    return staff_client(client, "edith", "Editors")


@pytest.fixture
def shop_zone(settings):
    """A shop whose days are not UTC's, so a late-evening sale shows which day counts."""
    settings.TIME_ZONE = SHOP_ZONE


def local(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=ZoneInfo(SHOP_ZONE))


def order_of(status, lines, *, created=None, paid=None, refunded="0", currency="usd") -> Order:
    """An order with these (product name, unit price, quantity) lines, created and paid then."""
    total = sum(Decimal(price) * quantity for _, price, quantity in lines)
    order = make_order(
        owner_key=f"session:report-{next(owner_numbers)}",
        status=status,
        total=str(total),
        paid_at=paid,
        amount_refunded=Decimal(refunded),
        currency=currency,
    )
    order.items.all().delete()
    for name, price, quantity in lines:
        OrderItem.objects.create(
            order=order, product_name=name, unit_price=Decimal(price), quantity=quantity
        )
    Order.objects.filter(pk=order.pk).update(created_at=created or paid)
    order.refresh_from_db()
    return order


@pytest.fixture
def orders(shop_zone):
    """Sales over six weeks and two months, with refunds, and checkouts that never paid."""
    mug, tee, cap = ("Mug", "12.50", 2), ("Tee", "20.00", 1), ("Cap", "15.00", 3)
    return [
        order_of(Status.PAID, [mug, tee], paid=local("2025-02-03", "10:00")),
        # 04:30 UTC on the 4th, still the 3rd in the shop's own day.
        order_of(Status.PAID, [tee], paid=local("2025-02-03", "23:30")),
        order_of(Status.PAID, [cap], paid=local("2025-02-05"), refunded="5.00"),
        order_of(Status.REFUNDED, [mug, cap], paid=local("2025-02-12"), refunded="70.00"),
        order_of(Status.PAID, [("Mug", "12.50", 1)], paid=local("2025-03-02", "00:15")),
        order_of(Status.PAID, [tee, tee], paid=local("2025-03-09", "23:59")),
        # Paid before the range and after it: in no figure.
        order_of(Status.PAID, [cap], paid=local("2025-01-26", "23:59")),
        order_of(Status.PAID, [cap], paid=local("2025-03-10", "00:00")),
        # Charged in another currency: it cannot be added to dollars.
        order_of(Status.PAID, [tee], paid=local("2025-02-04"), currency="eur"),
        order_of(Status.PENDING, [tee], created=local("2025-02-04")),
        order_of(Status.CANCELLED, [mug], created=local("2025-02-06")),
        order_of(Status.CANCELLED, [cap], created=local("2025-03-01")),
        order_of(Status.FAILED, [tee], created=local("2025-02-07")),
    ]


def sold_in_range() -> list[Order]:
    zone = ZoneInfo(SHOP_ZONE)
    first, last = date.fromisoformat(RANGE["start"]), date.fromisoformat(RANGE["end"])
    return [
        order
        for order in Order.objects.all()
        if order.status in (Status.PAID, Status.REFUNDED)
        and order.currency == "usd"
        and first <= order.paid_at.astimezone(zone).date() <= last
    ]


def period_start(day: date, period: str) -> date:
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def expected_sales(period: str) -> dict[date, tuple[int, Decimal, Decimal]]:
    """Orders paid, gross and refunds per period start, added up order by order."""
    sums = defaultdict(lambda: (0, Decimal("0"), Decimal("0")))
    for order in sold_in_range():
        start = period_start(order.paid_at.astimezone(ZoneInfo(SHOP_ZONE)).date(), period)
        count, gross, refunds = sums[start]
        sums[start] = (count + 1, gross + order.total, refunds + order.amount_refunded)
    return dict(sums)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


@pytest.mark.parametrize(
    ("period", "periods"), [("day", 42), ("week", 6), ("month", 3)], ids=["day", "week", "month"]
)
def test_sales_per_period_match_the_orders_paid_in_each(manager_client, orders, period, periods):
    response = manager_client.get(SALES_URL, RANGE | {"period": period})

    rows = response.context["object_list"]
    expected = expected_sales(period)
    assert len(rows) == periods
    assert {row.start for row in rows if row.orders} == set(expected)
    for row in rows:
        count, gross, refunds = expected.get(row.start, (0, Decimal("0"), Decimal("0")))
        assert (row.orders, row.gross, row.refunds, row.net) == (
            count,
            gross,
            refunds,
            gross - refunds,
        )
        average = (gross / count).quantize(Decimal("0.01")) if count else Decimal("0")
        assert row.average_order_value == average
    page = response.content.decode()
    for _, gross, refunds in expected.values():
        assert format_shop_money(gross) in page and format_shop_money(gross - refunds) in page


def test_sales_page_sums_up_the_range_in_one_sentence(manager_client, orders):
    page = manager_client.get(SALES_URL, RANGE).content.decode()

    sold = sold_in_range()
    gross = sum(order.total for order in sold)
    refunds = sum(order.amount_refunded for order in sold)
    assert (
        f"{len(sold)} orders paid: {format_shop_money(gross)} gross, "
        f"{format_shop_money(refunds)} refunded, {format_shop_money(gross - refunds)} net."
    ) in page


def test_an_evening_sale_counts_on_the_shops_own_day(manager_client, orders):
    rows = manager_client.get(SALES_URL, RANGE | {"period": "day"}).context["object_list"]

    third_of_february = next(row for row in rows if row.start == date(2025, 2, 3))
    assert third_of_february.orders == 2
    assert third_of_february.gross == Decimal("65.00")
    assert next(row for row in rows if row.start == date(2025, 2, 4)).orders == 0


def test_sales_chart_has_one_bar_per_period_as_tall_as_its_net_sales(manager_client, orders):
    page = manager_client.get(SALES_URL, RANGE | {"period": "week"}).content.decode()

    bars = bars_of(chart_in(page, "Net sales per week"))
    expected = expected_sales("week")
    weeks = [date(2025, 1, 27) + timedelta(weeks=number) for number in range(6)]
    assert len(bars) == 6
    nets = [expected.get(week, (0, 0, 0))[1] - expected.get(week, (0, 0, 0))[2] for week in weeks]
    tallest = max(height for _, _, height in bars)
    for (tooltip, _, height), week, net in zip(bars, weeks, nets, strict=True):
        assert tooltip == f"{week:%-d %b}: {format_shop_money(net)}"
        assert height == pytest.approx(float(net / max(nets)) * tallest, abs=0.01)


def test_sales_csv_export_holds_the_figures_of_every_period(manager_client, orders):
    response = manager_client.get(SALES_URL, RANGE | {"period": "month", "export": "csv"})

    rows = csv_rows(response)
    assert rows[0] == [
        "Period starting",
        "Orders paid",
        "Gross",
        "Refunds",
        "Net",
        "Average order value",
    ]
    expected = expected_sales("month")
    assert [row[0] for row in rows[1:]] == ["2025-01-01", "2025-02-01", "2025-03-01"]
    for row in rows[1:]:
        count, gross, refunds = expected.get(date.fromisoformat(row[0]), (0, 0, 0))
        assert [int(row[1]), Decimal(row[2]), Decimal(row[3]), Decimal(row[4])] == [
            count,
            gross,
            refunds,
            gross - refunds,
        ]


def test_sales_xlsx_export_holds_numbers_a_spreadsheet_can_add_up(manager_client, orders):
    response = manager_client.get(SALES_URL, RANGE | {"period": "month", "export": "xlsx"})

    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    gross = sum(order.total for order in sold_in_range())
    assert sum(Decimal(str(row[2])) for row in rows) == gross


def expected_products() -> dict[str, tuple[int, Decimal]]:
    sums = defaultdict(lambda: (0, Decimal("0")))
    for order in sold_in_range():
        for item in order.items.all():
            units, revenue = sums[item.product_name]
            sums[item.product_name] = (units + item.quantity, revenue + item.line_total)
    return dict(sums)


def test_top_products_show_units_and_revenue_of_paid_and_refunded_orders(manager_client, orders):
    response = manager_client.get(TOP_PRODUCTS_URL, RANGE)

    rows = response.context["object_list"]
    expected = expected_products()
    assert {row.product_name: (row.units, row.revenue) for row in rows} == expected
    assert [row.revenue for row in rows] == sorted(
        (rev for _, rev in expected.values()), reverse=True
    )
    bars = bars_of(chart_in(response.content.decode(), "Top 3 products by revenue"))
    assert [tooltip for tooltip, _, _ in bars] == [
        f"{row.product_name}: {format_shop_money(row.revenue)}" for row in rows
    ]
    widest = bars[0][1]
    for (_, width, _), row in zip(bars, rows, strict=True):
        assert width == pytest.approx(float(row.revenue / rows[0].revenue) * widest, abs=0.01)


def test_a_range_without_sales_says_so_instead_of_drawing_an_empty_chart(manager_client):
    response = manager_client.get(TOP_PRODUCTS_URL, RANGE)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was sold between 27 Jan 2025 and 9 Mar 2025." in page
    assert 'class="shop-chart"' not in page
    funnel = manager_client.get(FUNNEL_URL, RANGE).content.decode()
    assert "No checkouts were started." in funnel


def test_top_products_csv_export_holds_units_and_revenue(manager_client, orders):
    rows = csv_rows(manager_client.get(TOP_PRODUCTS_URL, RANGE | {"export": "csv"}))

    assert rows[0] == ["Product", "Units sold", "Revenue"]
    assert {name: (int(units), Decimal(revenue)) for name, units, revenue in rows[1:]} == (
        expected_products()
    )


def expected_funnel() -> list[tuple[str, int]]:
    zone = ZoneInfo(SHOP_ZONE)
    first, last = date.fromisoformat(RANGE["start"]), date.fromisoformat(RANGE["end"])
    started = [
        order
        for order in Order.objects.all()
        if first <= order.created_at.astimezone(zone).date() <= last
    ]

    def count(*statuses):
        return sum(1 for order in started if order.status in statuses)

    return [
        ("Checkouts started", len(started)),
        ("Paid", count(Status.PAID, Status.REFUNDED)),
        ("Still pending", count(Status.PENDING)),
        ("Abandoned or expired", count(Status.CANCELLED)),
        ("Payment failed", count(Status.FAILED)),
    ]


def test_checkout_funnel_counts_what_became_of_the_checkouts_started(manager_client, orders):
    response = manager_client.get(FUNNEL_URL, RANGE)

    steps = [(step.label, step.count) for step in response.context["object_list"]]
    assert (
        steps
        == expected_funnel()
        == [
            ("Checkouts started", 11),
            ("Paid", 7),
            ("Still pending", 1),
            ("Abandoned or expired", 2),
            ("Payment failed", 1),
        ]
    )
    bars = bars_of(chart_in(response.content.decode(), "Checkout funnel"))
    assert [tooltip for tooltip, _, _ in bars] == [f"{label}: {count}" for label, count in steps]
    assert bars[1][1] == pytest.approx(bars[0][1] * 7 / 11, abs=0.01)
    assert "63.6% of 11 checkouts started were paid." in response.content.decode()


def test_checkout_funnel_csv_export_holds_the_counts_and_shares(manager_client, orders):
    rows = csv_rows(manager_client.get(FUNNEL_URL, RANGE | {"export": "csv"}))

    assert rows[0] == ["Checkouts", "Orders", "Of those started"]
    assert [(label, int(count)) for label, count, _ in rows[1:]] == expected_funnel()
    assert rows[2][2] == "63.6%"
