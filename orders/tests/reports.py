"""Reading the shop's reports as a manager sees them: their addresses and their SVG charts."""

import re
import xml.etree.ElementTree as ElementTree

SVG = "{http://www.w3.org/2000/svg}"
SALES_URL = "/admin/shop-reports/sales/"
TOP_PRODUCTS_URL = "/admin/shop-reports/top-products/"
FUNNEL_URL = "/admin/shop-reports/checkout-funnel/"
REPORT_URLS = [SALES_URL, TOP_PRODUCTS_URL, FUNNEL_URL]


def chart_in(page: str, title: str) -> ElementTree.Element:
    for svg in re.findall(r'<svg class="shop-(?:chart|sparkline)".*?</svg>', page, re.DOTALL):
        chart = ElementTree.fromstring(svg)
        if chart.find(f"{SVG}title").text == title:
            return chart
    raise AssertionError(f"No chart titled {title!r} on the page")


def bars_of(chart: ElementTree.Element) -> list[tuple[str, float, float]]:
    """(tooltip, width, height) of each bar."""
    return [
        (rect.find(f"{SVG}title").text, float(rect.get("width")), float(rect.get("height")))
        for rect in chart.iter(f"{SVG}rect")
    ]
