"""Charts are inline SVG a person reads at a glance and a screen reader can name."""

import xml.etree.ElementTree as ElementTree
from decimal import Decimal

import pytest

from shop import charts
from shop.money import format_shop_money

SVG = "{http://www.w3.org/2000/svg}"


def bars_of(svg: str) -> list[ElementTree.Element]:
    return list(ElementTree.fromstring(svg).iter(f"{SVG}rect"))


def test_bar_chart_draws_one_bar_per_period_as_tall_as_its_share_of_the_largest():
    points = [("1 Mar", Decimal("40.00")), ("2 Mar", Decimal("0")), ("3 Mar", Decimal("100.00"))]

    bars = bars_of(charts.bar_chart(points, title="Net sales per day", description="March"))

    heights = [float(bar.get("height")) for bar in bars]
    assert len(bars) == 3
    assert heights[1] == 0
    assert heights[0] / heights[2] == pytest.approx(0.4, abs=0.001)
    # Every bar stands on the same baseline.
    assert len({float(bar.get("y")) + float(bar.get("height")) for bar in bars}) == 1


def test_chart_is_named_for_screen_readers_and_each_bar_says_its_figure():
    svg = charts.bar_chart(
        [("1 Mar", Decimal("12.5"))],
        title="Net sales per day",
        description="Net sales, 1 Mar 2025.",
        format_value=format_shop_money,
    )

    chart = ElementTree.fromstring(svg)
    title_id, desc_id = chart.get("aria-labelledby").split()
    assert chart.get("role") == "img"
    assert chart.find(f"{SVG}title").get("id") == title_id
    assert chart.find(f"{SVG}title").text == "Net sales per day"
    assert chart.find(f"{SVG}desc").get("id") == desc_id
    assert chart.find(f"{SVG}desc").text == "Net sales, 1 Mar 2025."
    assert bars_of(svg)[0].find(f"{SVG}title").text == "1 Mar: $12.50"
    assert "$12.50" in svg and "$0.00" in svg


def test_a_chart_of_nothing_but_zeros_draws_flat_bars():
    bars = bars_of(charts.bar_chart([("Mon", 0), ("Tue", 0)], title="Sales", description=""))

    assert [float(bar.get("height")) for bar in bars] == [0, 0]


def test_many_bars_keep_their_labels_from_overlapping():
    points = [(f"{day} Jan", day) for day in range(1, 32)]

    chart = ElementTree.fromstring(charts.bar_chart(points, title="Sales", description=""))

    labels = [text.text for text in chart.iter(f"{SVG}text") if "Jan" in text.text]
    assert len(bars_of(charts.bar_chart(points, title="Sales", description=""))) == 31
    assert labels[:3] == ["1 Jan", "4 Jan", "7 Jan"] and len(labels) <= charts.MOST_AXIS_LABELS


def test_ranked_chart_draws_bars_as_long_as_their_share_with_label_and_figure():
    points = [("Mug", 90), ("Tee", 45), ("Cap <b>", 0)]

    svg = charts.ranked_bar_chart(points, title="Top products", description="By revenue")

    widths = [float(bar.get("width")) for bar in bars_of(svg)]
    assert widths[1] == pytest.approx(widths[0] / 2, abs=0.01) and widths[2] == 0
    texts = [text.text for text in ElementTree.fromstring(svg).iter(f"{SVG}text")]
    assert texts == ["Mug", "90", "Tee", "45", "Cap <b>", "0"]
    assert "<b>" not in svg


def test_sparkline_draws_a_bar_for_every_day_without_axes():
    points = [(f"Day {number}", number) for number in range(14)]

    svg = charts.sparkline(points, title="Sales, last 14 days")

    chart = ElementTree.fromstring(svg)
    assert len(bars_of(svg)) == 14
    assert not list(chart.iter(f"{SVG}text"))
    assert chart.find(f"{SVG}desc").text.startswith("Day 0: 0; Day 1: 1;")
