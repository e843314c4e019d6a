"""What the shop sold, as figures for staff: sales per period, top products, the checkout funnel.

Every figure is summed in the database. Days are the shop's own (settings.TIME_ZONE): an order
paid at 23:30 local time counts on that day whatever the server's clock says. Money figures count
only orders in the shop's currency (SHOP_CURRENCY), since amounts in two currencies cannot be added.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from .models import Order, OrderItem, OrderQuerySet

# Orders that were paid, whatever happened after: a refunded order was a sale, then a refund.
SOLD_STATUSES = (Order.Status.PAID, Order.Status.REFUNDED)
ZERO = Decimal("0")


class Period(models.TextChoices):
    DAY = "day", "Day"
    WEEK = "week", "Week"
    MONTH = "month", "Month"

    def start_of(self, day: date) -> date:
        """The first day of the period holding `day`: itself, its Monday, or the 1st."""
        if self == Period.WEEK:
            return day - timedelta(days=day.weekday())
        if self == Period.MONTH:
            return day.replace(day=1)
        return day

    def after(self, start: date) -> date:
        """The first day of the next period."""
        if self == Period.WEEK:
            return start + timedelta(weeks=1)
        if self == Period.MONTH:
            return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        return start + timedelta(days=1)

    def long_label(self, start: date) -> str:
        if self == Period.WEEK:
            return f"Week of {start:%-d %b %Y}"
        if self == Period.MONTH:
            return f"{start:%B %Y}"
        return f"{start:%a %-d %b %Y}"

    def short_label(self, start: date) -> str:
        """A label short enough to sit under a bar."""
        if self == Period.MONTH:
            return f"{start:%b %Y}"
        return f"{start:%-d %b}"


TRUNCATIONS = {Period.DAY: TruncDay, Period.WEEK: TruncWeek, Period.MONTH: TruncMonth}


@dataclass(frozen=True)
class DateRange:
    """Whole days in the shop's time zone, both ends included."""

    start: date
    end: date

    @classmethod
    def last_days(cls, days: int, today: date | None = None) -> "DateRange":
        """The `days` days up to and including today, e.g. the last 30 days."""
        end = today or timezone.localdate()
        return cls(end - timedelta(days=days - 1), end)

    @property
    def starts_at(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def ends_before(self) -> datetime:
        """The first moment after the range: the start of the day after its last day."""
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))

    def period_starts(self, period: Period) -> list[date]:
        """The first day of every period the range touches, oldest first."""
        starts = []
        start = period.start_of(self.start)
        while start <= self.end:
            starts.append(start)
            start = period.after(start)
        return starts

    def __str__(self):
        return f"{self.start:%-d %b %Y} – {self.end:%-d %b %Y}"


@dataclass(frozen=True)
class PeriodSales:
    start: date
    label: str
    short_label: str
    orders: int
    gross: Decimal
    refunds: Decimal

    @property
    def net(self) -> Decimal:
        return self.gross - self.refunds

    @property
    def average_order_value(self) -> Decimal:
        """Gross takings per order paid (before refunds); nothing sold, nothing averaged."""
        if not self.orders:
            return ZERO
        return (self.gross / self.orders).quantize(Decimal("0.01"))


@dataclass(frozen=True)
class ProductSales:
    product_name: str
    units: int
    revenue: Decimal


@dataclass(frozen=True)
class FunnelStep:
    label: str
    count: int
    started: int

    @property
    def share(self) -> str:
        """This step as a percentage of the checkouts started, e.g. '62.5%'."""
        if not self.started:
            return "–"
        return f"{Decimal(100 * self.count) / self.started:.1f}%"


def sold_orders(dates: DateRange) -> OrderQuerySet:
    """Orders in the shop's currency paid within the range, refunded since or not."""
    return Order.objects.filter(
        status__in=SOLD_STATUSES,
        currency=settings.SHOP_CURRENCY,
        paid_at__gte=dates.starts_at,
        paid_at__lt=dates.ends_before,
    )


def sales_by_period(dates: DateRange, period: Period) -> list[PeriodSales]:
    """Orders paid, gross, refunds and net for every period of the range, empty ones included."""
    truncate = TRUNCATIONS[period]
    totals = {
        row["period_start"]: row
        for row in sold_orders(dates)
        .annotate(period_start=truncate("paid_at", output_field=DateField()))
        .values("period_start")
        .annotate(orders=Count("pk"), gross=Sum("total"), refunds=Sum("amount_refunded"))
        .order_by()
    }
    empty = {"orders": 0, "gross": ZERO, "refunds": ZERO}
    return [
        PeriodSales(
            start=start,
            label=period.long_label(start),
            short_label=period.short_label(start),
            orders=totals.get(start, empty)["orders"],
            gross=totals.get(start, empty)["gross"],
            refunds=totals.get(start, empty)["refunds"],
        )
        for start in dates.period_starts(period)
    ]


def top_products(dates: DateRange) -> list[ProductSales]:
    """Units sold and revenue per product name as recorded on the order, best sellers first."""
    rows = (
        OrderItem.objects.filter(order__in=sold_orders(dates))
        .values("product_name")
        .annotate(units=Sum("quantity"), revenue=Sum(F("unit_price") * F("quantity")))
        .order_by("-revenue", "-units", "product_name")
    )
    return [ProductSales(**row) for row in rows]


def checkout_funnel(dates: DateRange) -> list[FunnelStep]:
    """What became of the checkouts started (orders created) within the range."""
    counts = Order.objects.filter(
        created_at__gte=dates.starts_at, created_at__lt=dates.ends_before
    ).aggregate(
        started=Count("pk"),
        paid=Count("pk", filter=Q(status__in=SOLD_STATUSES)),
        pending=Count("pk", filter=Q(status=Order.Status.PENDING)),
        abandoned=Count("pk", filter=Q(status=Order.Status.CANCELLED)),
        failed=Count("pk", filter=Q(status=Order.Status.FAILED)),
    )
    started = counts["started"]
    return [
        FunnelStep("Checkouts started", started, started),
        FunnelStep("Paid", counts["paid"], started),
        FunnelStep("Still pending", counts["pending"], started),
        FunnelStep("Abandoned or expired", counts["abandoned"], started),
        FunnelStep("Payment failed", counts["failed"], started),
    ]
