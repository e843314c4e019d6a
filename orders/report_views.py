"""The shop's reports in Wagtail's Reports menu: a date range in, a chart and a table out."""

from datetime import date

from django import forms
from django.template.defaultfilters import pluralize
from django.urls import path
from django.utils.functional import cached_property
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView
from wagtail.permissions import policy_registry

from shop import charts
from shop.exports import FormulaSafeExportMixin
from shop.money import format_shop_money

from . import reports
from .models import Order

DEFAULT_DAYS = 30
# A chart with more bars than this stops being readable (and a table stops being a glance).
MOST_PERIODS = 366
EARLIEST = date(2000, 1, 1)
LATEST = date(2099, 12, 31)


def may_see_reports(user) -> bool:
    """The shop's figures are for those who may see its orders."""
    return policy_registry.get_by_type(Order).user_has_permission(user, "view")


class ShopReportMenuItem(MenuItem):
    def is_shown(self, request):
        return may_see_reports(request.user)


class DateInput(forms.DateInput):
    input_type = "date"


class DateRangeForm(forms.Form):
    start = forms.DateField(label="From", widget=DateInput)
    end = forms.DateField(label="To", widget=DateInput)

    def __init__(self, query, default: reports.DateRange):
        # A field left out or blank takes its default, so the form always shows the range used.
        defaults = {"start": default.start.isoformat(), "end": default.end.isoformat()}
        given = {name: value for name, value in query.items() if name in self.base_fields and value}
        super().__init__(defaults | self.initial_choices() | given)

    def initial_choices(self) -> dict[str, str]:
        return {}

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            return cleaned
        if not (EARLIEST <= start <= LATEST and EARLIEST <= end <= LATEST):
            raise forms.ValidationError(
                f"Choose dates between {EARLIEST:%-d %b %Y} and {LATEST:%-d %b %Y}."
            )
        if start > end:
            raise forms.ValidationError("The start date must be on or before the end date.")
        return cleaned

    @property
    def date_range(self) -> reports.DateRange:
        return reports.DateRange(self.cleaned_data["start"], self.cleaned_data["end"])


class SalesRangeForm(DateRangeForm):
    period = forms.ChoiceField(label="Per", choices=reports.Period.choices)

    def initial_choices(self) -> dict[str, str]:
        return {"period": reports.Period.DAY}

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        periods = len(self.date_range.period_starts(self.chosen_period))
        if periods > MOST_PERIODS:
            unit = self.chosen_period.label.lower()
            raise forms.ValidationError(
                f"That range holds {periods} {unit}s; a report shows at most {MOST_PERIODS}. "
                "Choose a shorter range or a longer period."
            )
        return cleaned

    @property
    def chosen_period(self) -> reports.Period:
        return reports.Period(self.cleaned_data["period"])


def money_column(name: str, label: str) -> Column:
    return Column(name, label=label, accessor=lambda row: format_shop_money(getattr(row, name)))


class ShopReportView(FormulaSafeExportMixin, ReportView):
    """A report over a date range; a range it cannot show gets a 400 page saying why."""

    form_class = DateRangeForm
    results_template_name = "orders/reports/results.html"
    paginate_by = None
    permission_required = "view"
    chart_template_name = ""

    @cached_property
    def permission_policy(self):
        return policy_registry.get_by_type(Order)

    @cached_property
    def form(self) -> DateRangeForm:
        return self.form_class(self.request.GET, reports.DateRange.last_days(DEFAULT_DAYS))

    def get_queryset(self):
        return self.rows(self.form) if self.form.is_valid() else []

    def rows(self, form) -> list:
        raise NotImplementedError

    def chart(self, rows: list) -> str:
        raise NotImplementedError

    def summary(self, rows: list) -> str:
        """The range's figures in one sentence, above the chart."""
        return ""

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["form"] = self.form
        if self.form.is_valid():
            context["date_range"] = self.form.date_range
            context["chart"] = self.chart(context["object_list"])
            context["summary"] = self.summary(context["object_list"])
        return context

    def render_to_response(self, context, **response_kwargs):
        if not self.form.is_valid():
            self.is_export = False
            response_kwargs["status"] = 400
        return super().render_to_response(context, **response_kwargs)


class SalesReportView(ShopReportView):
    form_class = SalesRangeForm
    page_title = "Sales"
    header_icon = "table"
    index_url_name = "shop_reports:sales"
    export_filename = "sales"
    columns = [
        Column("label", label="Period"),
        Column("orders", label="Orders paid"),
        money_column("gross", "Gross"),
        money_column("refunds", "Refunds"),
        money_column("net", "Net"),
        money_column("average_order_value", "Average order"),
    ]
    list_export = ["start", "orders", "gross", "refunds", "net", "average_order_value"]
    export_headings = {
        "start": "Period starting",
        "orders": "Orders paid",
        "gross": "Gross",
        "refunds": "Refunds",
        "net": "Net",
        "average_order_value": "Average order value",
    }

    def rows(self, form) -> list[reports.PeriodSales]:
        return reports.sales_by_period(form.date_range, form.chosen_period)

    def chart(self, rows: list[reports.PeriodSales]) -> str:
        period = self.form.chosen_period.label.lower()
        return charts.bar_chart(
            [(row.short_label, row.net) for row in rows],
            title=f"Net sales per {period}",
            description=f"Net sales (after refunds) per {period}, {self.form.date_range}.",
            format_value=format_shop_money,
        )

    def summary(self, rows: list[reports.PeriodSales]) -> str:
        orders = sum(row.orders for row in rows)
        gross = sum((row.gross for row in rows), reports.ZERO)
        refunds = sum((row.refunds for row in rows), reports.ZERO)
        return (
            f"{orders} order{pluralize(orders)} paid: {format_shop_money(gross)} gross, "
            f"{format_shop_money(refunds)} refunded, {format_shop_money(gross - refunds)} net."
        )


class TopProductsReportView(ShopReportView):
    page_title = "Top products"
    header_icon = "pick"
    index_url_name = "shop_reports:top_products"
    export_filename = "top-products"
    charted_products = 10
    columns = [
        Column("product_name", label="Product"),
        Column("units", label="Units sold"),
        money_column("revenue", "Revenue"),
    ]
    list_export = ["product_name", "units", "revenue"]
    export_headings = {"product_name": "Product", "units": "Units sold", "revenue": "Revenue"}

    def rows(self, form) -> list[reports.ProductSales]:
        return reports.top_products(form.date_range)

    def chart(self, rows: list[reports.ProductSales]) -> str:
        if not rows:
            return ""
        charted = rows[: self.charted_products]
        return charts.ranked_bar_chart(
            [(row.product_name, row.revenue) for row in charted],
            title=f"Top {len(charted)} products by revenue",
            description=f"Revenue per product from orders paid {self.form.date_range}.",
            format_value=format_shop_money,
        )

    def summary(self, rows: list[reports.ProductSales]) -> str:
        units = sum(row.units for row in rows)
        revenue = sum((row.revenue for row in rows), reports.ZERO)
        return (
            f"{units} unit{pluralize(units)} of {len(rows)} product{pluralize(len(rows))} sold "
            f"for {format_shop_money(revenue)}."
        )


class CheckoutFunnelReportView(ShopReportView):
    page_title = "Checkout funnel"
    header_icon = "arrow-down"
    index_url_name = "shop_reports:funnel"
    export_filename = "checkout-funnel"
    columns = [
        Column("label", label="Checkouts"),
        Column("count", label="Orders"),
        Column("share", label="Of those started"),
    ]
    list_export = ["label", "count", "share"]
    export_headings = {"label": "Checkouts", "count": "Orders", "share": "Of those started"}

    def rows(self, form) -> list[reports.FunnelStep]:
        return reports.checkout_funnel(form.date_range)

    def chart(self, rows: list[reports.FunnelStep]) -> str:
        return charts.ranked_bar_chart(
            [(step.label, step.count) for step in rows],
            title="Checkout funnel",
            description=f"What became of the checkouts started {self.form.date_range}.",
        )

    def summary(self, rows: list[reports.FunnelStep]) -> str:
        started, paid = rows[0], rows[1]
        if not started.count:
            return "No checkouts were started."
        return f"{paid.share} of {started.count} checkouts started were paid."


urlpatterns = [
    path("sales/", SalesReportView.as_view(), name="sales"),
    path("top-products/", TopProductsReportView.as_view(), name="top_products"),
    path("checkout-funnel/", CheckoutFunnelReportView.as_view(), name="funnel"),
]
