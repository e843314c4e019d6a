"""The reports' default window, refusals, who may open them, and the dashboard's sparkline."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from orders.models import Order
from orders.tests.factories import make_order
from orders.tests.reports import REPORT_URLS, SALES_URL, bars_of, chart_in

pytestmark = pytest.mark.django_db

Status = Order.Status
DENIED = "Sorry, you do not have permission to access this area."


@pytest.fixture
def shop_zone(settings):
    """A shop whose days are not UTC's."""
    settings.TIME_ZONE = "America/New_York"


def test_reports_cover_the_last_30_days_unless_told_otherwise(manager_client, shop_zone):
    today = timezone.localdate()
    make_order(status=Status.PAID, total="10.00", paid_at=timezone.now())
    make_order(
        owner_key="session:old",
        status=Status.PAID,
        total="99.00",
        paid_at=timezone.now() - timedelta(days=31),
    )

    response = manager_client.get(SALES_URL)

    rows = response.context["object_list"]
    assert [rows[0].start, rows[-1].start, len(rows)] == [today - timedelta(days=29), today, 30]
    assert sum(row.gross for row in rows) == Decimal("10.00")
    page = response.content.decode()
    assert f'value="{today - timedelta(days=29)}"' in page and f'value="{today}"' in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"start": "2025-03-01", "end": "2025-02-01"}, "The start date must be on or before"),
        ({"start": "yesterday"}, "Enter a valid date."),
        ({"start": "0001-01-01", "end": "9999-12-31"}, "Choose dates between"),
        ({"start": "2020-01-01", "end": "2025-01-01", "period": "day"}, "Choose a shorter range"),
        ({"period": "fortnight"}, "Select a valid choice."),
    ],
)
def test_dates_a_report_cannot_show_get_a_400_saying_what_to_change(manager_client, query, message):
    for export in ({}, {"export": "csv"}):
        response = manager_client.get(SALES_URL, query | export)

        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
        assert message in response.content.decode()


def test_shop_managers_find_the_reports_in_the_reports_menu(manager_client):
    home = manager_client.get("/admin/").content.decode()

    for url in REPORT_URLS:
        assert url in home
        assert manager_client.get(url).status_code == 200


def test_editors_see_no_shop_reports_and_are_turned_away_from_them(editor_client):
    home = editor_client.get("/admin/").content.decode()

    for url in REPORT_URLS:
        assert url not in home
        response = editor_client.get(url, {"export": "csv"}, follow=True)
        assert response.redirect_chain == [("/admin/", 302)]
        assert DENIED in response.content.decode()
        assert editor_client.get(url, HTTP_X_REQUESTED_WITH="XMLHttpRequest").status_code == 403


def sparkline_bars(manager_client) -> list[tuple[str, float, float]]:
    page = manager_client.get("/admin/").content.decode()
    return bars_of(chart_in(page, "Net sales per day, last 14 days"))


def test_dashboard_sparkline_shows_net_sales_of_each_of_the_last_14_days(manager_client):
    today = timezone.localdate()
    make_order(status=Status.PAID, total="30.00", paid_at=timezone.now())
    make_order(
        owner_key="session:refunded",
        status=Status.PAID,
        total="20.00",
        amount_refunded=Decimal("5.00"),
        paid_at=timezone.now() - timedelta(days=13),
    )
    make_order(owner_key="session:unpaid", total="500.00")

    bars = sparkline_bars(manager_client)

    days = [today - timedelta(days=13 - number) for number in range(14)]
    assert [tooltip.split(":")[0] for tooltip, _, _ in bars] == [
        f"{day:%a %-d %b %Y}" for day in days
    ]
    assert bars[-1][0].endswith(": $30.00") and bars[0][0].endswith(": $15.00")
    assert bars[0][2] == pytest.approx(bars[-1][2] / 2, abs=0.01)
    assert all(height == 0 for _, _, height in bars[1:-1])


def test_dashboard_sparkline_costs_one_query_however_many_days_had_sales(manager_client):
    make_order(status=Status.PAID, paid_at=timezone.now())
    manager_client.get("/admin/")
    with CaptureQueriesContext(connection) as one_day:
        manager_client.get("/admin/")
    for days_ago in range(1, 14):
        make_order(
            owner_key=f"session:{days_ago}",
            status=Status.PAID,
            paid_at=timezone.now() - timedelta(days=days_ago),
        )
    with CaptureQueriesContext(connection) as every_day:
        manager_client.get("/admin/")

    assert len(every_day) == len(one_day)
    sales_queries = [query for query in every_day if "DATE_TRUNC" in query["sql"]]
    assert len(sales_queries) == 1
