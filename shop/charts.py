"""Bar charts drawn on the server as inline SVG: no script, no outside file, readable at a glance.

Each chart carries a <title> and <desc> for screen readers; every bar has a tooltip with its
figure, and the page shows the same figures in a table.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from django.utils.text import slugify

Number = Decimal | int | float
# Past this many bars, the labels under them would overlap: only every few bars gets one.
MOST_AXIS_LABELS = 12


@dataclass(frozen=True)
class Bar:
    label: str
    value_text: str
    x: float
    y: float
    width: float
    height: float
    show_label: bool = True

    @property
    def centre_x(self) -> float:
        return _round(self.x + self.width / 2)

    @property
    def middle_y(self) -> float:
        return _round(self.y + self.height / 2)

    @property
    def end_x(self) -> float:
        return _round(self.x + self.width)


@dataclass(frozen=True)
class Layout:
    """The drawing area inside the SVG's margins, in SVG units."""

    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> float:
        return self.height - self.top - self.bottom

    @property
    def baseline(self) -> float:
        return self.height - self.bottom

    @property
    def plot_right(self) -> float:
        return self.width - self.right


def _scale(values: Sequence[Number]) -> Callable[[Number], float]:
    """Map each value to its share of the largest (0 to 1); all-zero charts stay flat."""
    largest = max((float(value) for value in values), default=0.0)
    if largest <= 0:
        return lambda value: 0.0
    return lambda value: max(float(value), 0.0) / largest


def _round(number: float) -> float:
    return round(number, 2)


def column_bars(
    points: Sequence[tuple[str, Number]], layout: Layout, format_value: Callable[[Number], str]
) -> list[Bar]:
    """Upright bars side by side, each as tall as its share of the largest value."""
    if not points:
        return []
    share = _scale([value for _, value in points])
    slot = layout.plot_width / len(points)
    label_every = math.ceil(len(points) / MOST_AXIS_LABELS)
    bars = []
    for position, (label, value) in enumerate(points):
        height = share(value) * layout.plot_height
        bars.append(
            Bar(
                label=label,
                value_text=format_value(value),
                x=_round(layout.left + position * slot + slot * 0.15),
                y=_round(layout.baseline - height),
                width=_round(slot * 0.7),
                height=_round(height),
                show_label=position % label_every == 0,
            )
        )
    return bars


def bar_chart(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    description: str,
    format_value: Callable[[Number], str] = str,
) -> SafeString:
    """Upright bars, one per (label, value) pair in the order given, e.g. sales per day."""
    layout = Layout(width=960, height=280, left=96, top=24, right=16, bottom=40)
    largest = max((value for _, value in points), default=0)
    return render_to_string(
        "shop/charts/bar_chart.svg",
        {
            "chart_id": f"chart-{slugify(title)}",
            "title": title,
            "description": description,
            "layout": layout,
            "bars": column_bars(points, layout, format_value),
            "largest_text": format_value(largest),
            "zero_text": format_value(0),
        },
    )


def ranked_bar_chart(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    description: str,
    format_value: Callable[[Number], str] = str,
) -> SafeString:
    """Bars lying down, one a row with its label and figure, e.g. products by revenue."""
    row_height = 32
    height = max(len(points), 1) * row_height + 16
    layout = Layout(width=960, height=height, left=240, top=8, right=160, bottom=8)
    share = _scale([value for _, value in points])
    bars = [
        Bar(
            label=label,
            value_text=format_value(value),
            x=layout.left,
            y=layout.top + position * row_height + 4,
            width=_round(share(value) * layout.plot_width),
            height=row_height - 8,
        )
        for position, (label, value) in enumerate(points)
    ]
    return render_to_string(
        "shop/charts/ranked_bar_chart.svg",
        {
            "chart_id": f"chart-{slugify(title)}",
            "title": title,
            "description": description,
            "layout": layout,
            "bars": bars,
        },
    )


def sparkline(
    points: Sequence[tuple[str, Number]],
    *,
    title: str,
    format_value: Callable[[Number], str] = str,
) -> SafeString:
    """A small strip of bars without axes, for a trend beside other figures."""
    layout = Layout(width=280, height=48, left=0, top=2, right=0, bottom=2)
    return render_to_string(
        "shop/charts/sparkline.svg",
        {
            "chart_id": f"sparkline-{slugify(title)}",
            "title": title,
            "description": "; ".join(f"{label}: {format_value(value)}" for label, value in points),
            "layout": layout,
            "bars": column_bars(points, layout, format_value),
        },
    )
