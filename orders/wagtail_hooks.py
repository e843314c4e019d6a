import django_filters
from django.contrib.auth import get_permission_codename
from django.urls import include, path, reverse
from django.utils import timezone
from wagtail import hooks
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.admin.ui.tables import Column, DateColumn, StatusTagColumn
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import BooleanRadioSelect
from wagtail.permissions import policy_registry, register_permission_policy

from shop.money import format_money

from . import email_views
from .admin_views import (
    OrderIndexView,
    OrderInspectView,
    OrderPermissionPolicy,
    OrdersDashboardPanel,
    RefundView,
)
from .fulfilment_views import (
    AddNoteView,
    MarkDeliveredView,
    PackingSlipView,
    ShipOrdersBulkAction,
    ShipOrderView,
)
from .models import Order, OrderQuerySet
from .report_views import ShopReportMenuItem
from .report_views import urlpatterns as report_urls
from .review_views import MarkReviewedView

# Registered before any admin code asks for Order's policy, as Wagtail requires.
register_permission_policy(Order, OrderPermissionPolicy(Order))


class OrderFilterSet(WagtailFilterSet):
    created_at = django_filters.DateFromToRangeFilter(label="Created", widget=DateRangePickerWidget)
    paid_at = django_filters.DateFromToRangeFilter(label="Paid", widget=DateRangePickerWidget)
    stale = django_filters.BooleanFilter(
        label="Pending for over an hour", method="filter_stale", widget=BooleanRadioSelect
    )
    needs_review = django_filters.BooleanFilter(
        label="Needs review", method="filter_needs_review", widget=BooleanRadioSelect
    )
    refundable = django_filters.BooleanFilter(
        label="Can be refunded", method="filter_refundable", widget=BooleanRadioSelect
    )
    awaiting_shipment = django_filters.BooleanFilter(
        label="Paid, not shipped yet", method="filter_awaiting_shipment", widget=BooleanRadioSelect
    )

    shipping_country = django_filters.ChoiceFilter(label="Country", choices=[])
    shipping_rate_name = django_filters.ChoiceFilter(label="Shipping rate", choices=[])

    class Meta:
        model = Order
        fields = ["status", "fulfilment_status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Offer the values orders actually hold: Stripe decides the countries and rate names.
        for name in ("shipping_country", "shipping_rate_name"):
            values = Order.objects.exclude(**{name: ""}).values_list(name, flat=True)
            self.filters[name].extra["choices"] = [
                (value, value) for value in values.distinct().order_by(name)
            ]

    def filter_stale(self, queryset, name, value):
        stale = OrderQuerySet.pending_for_over_an_hour_q(timezone.now())
        return queryset.filter(stale) if value else queryset.exclude(stale)

    def filter_needs_review(self, queryset, name, value):
        needs_review = OrderQuerySet.needs_review_q()
        return queryset.filter(needs_review) if value else queryset.exclude(needs_review)

    def filter_refundable(self, queryset, name, value):
        refundable = Order.objects.refundable().values("pk")
        return queryset.filter(pk__in=refundable) if value else queryset.exclude(pk__in=refundable)

    def filter_awaiting_shipment(self, queryset, name, value):
        awaiting = OrderQuerySet.awaiting_shipment_q()
        return queryset.filter(awaiting) if value else queryset.exclude(awaiting)


class OrderViewSet(ModelViewSet):
    model = Order
    icon = "clipboard-list"
    menu_label = "Orders"
    menu_order = 190
    add_to_admin_menu = True
    add_to_reference_index = False
    inspect_view_enabled = True
    index_view_class = OrderIndexView
    inspect_view_class = OrderInspectView
    inspect_template_name = "orders/admin/order.html"
    index_template_name = "orders/admin/order_index.html"
    inspect_view_fields = [
        "reference",
        "status",
        "customer_email",
        "total",
        "charged_total",
        "amount_refunded",
        "created_at",
        "paid_at",
        "checkout_expires_at",
        "fulfilment_status",
    ]
    list_display = [
        "reference",
        StatusTagColumn(
            "get_status_display",
            label="Status",
            sort_key="status",
            primary=lambda order: order.status == Order.Status.PAID,
        ),
        Column(
            "total",
            label="Total",
            accessor=lambda order: format_money(order.total, order.currency),
            sort_key="total",
        ),
        "customer_email",
        Column("shipping_country", label="Country", sort_key="shipping_country"),
        Column("shipping_rate_name", label="Shipping rate", sort_key="shipping_rate_name"),
        Column("unit_count", label="Items", sort_key="unit_count"),
        Column(
            "needs_review",
            label="Review",
            accessor=lambda order: "Needs review" if order.needs_review else "",
        ),
        Column(
            "fulfilment_status",
            label="Shipping",
            accessor=lambda order: order.get_fulfilment_status_display() if order.paid_at else "",
            sort_key="fulfilment_status",
        ),
        DateColumn("created_at", label="Created", sort_key="created_at"),
    ]
    ordering = "-created_at"
    filterset_class = OrderFilterSet
    search_fields = [
        "reference",
        "customer_email",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
    ]
    # Order is not in Wagtail's search index: search these columns with the ORM instead.
    search_backend_name = None
    list_export = [
        "reference",
        "get_status_display",
        "total",
        "amount_refunded",
        "customer_email",
        "created_at",
        "paid_at",
        "stripe_checkout_session_id",
        "stripe_payment_intent_id",
        "charged_currency",
        "items_charged",
        "discount_charged",
        "promotion_code",
        "shipping_rate_name",
        "shipping_charged",
        "tax_charged",
        "tax_included_charged",
        "total_charged",
        "shipping_name",
        "shipping_line1",
        "shipping_line2",
        "shipping_city",
        "shipping_postal_code",
        "shipping_state",
        "shipping_country",
        "shipping_phone",
    ]
    export_headings = {
        "get_status_display": "Status",
        "created_at": "Created",
        "paid_at": "Paid",
        "stripe_checkout_session_id": "Stripe Checkout Session",
        "stripe_payment_intent_id": "Stripe PaymentIntent",
        "charged_currency": "Charged currency",
        "items_charged": "Items charged",
        "discount_charged": "Discount",
        "shipping_rate_name": "Shipping rate",
        "shipping_charged": "Shipping",
        "tax_charged": "Tax added",
        "tax_included_charged": "Tax included in prices",
        "total_charged": "Total charged",
        "shipping_name": "Ship to",
        "shipping_line1": "Address line 1",
        "shipping_line2": "Address line 2",
        "shipping_city": "City",
        "shipping_postal_code": "Postal code",
        "shipping_state": "State or region",
        "shipping_country": "Country",
        "shipping_phone": "Phone",
    }
    export_filename = "orders"

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(
            refund_url_name=self.get_url_name("refund"),
            mark_reviewed_url_name=self.get_url_name("mark_reviewed"),
            ship_url_name=self.get_url_name("ship"),
            deliver_url_name=self.get_url_name("deliver"),
            note_url_name=self.get_url_name("note"),
            packing_slip_url_name=self.get_url_name("packing_slip"),
            **kwargs,
        )

    @property
    def refund_view(self):
        return self.construct_view(RefundView)

    @property
    def mark_reviewed_view(self):
        return self.construct_view(MarkReviewedView)

    def get_urlpatterns(self):
        # Payments change only through Stripe: the add, edit, copy, delete and history views
        # of a ModelViewSet are not routed at all. Staff only ship orders and note on them.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<int:pk>/", self.inspect_view, name="inspect"),
            path("refund/<int:pk>/", self.refund_view, name="refund"),
            path("mark-reviewed/<int:pk>/", self.mark_reviewed_view, name="mark_reviewed"),
            path("ship/<int:pk>/", self.construct_view(ShipOrderView), name="ship"),
            path("deliver/<int:pk>/", self.construct_view(MarkDeliveredView), name="deliver"),
            path("note/<int:pk>/", self.construct_view(AddNoteView), name="note"),
            path(
                "packing-slip/<int:pk>/",
                self.construct_view(PackingSlipView),
                name="packing_slip",
            ),
        ]

    def register_admin_url_finder(self):
        """Register no edit-URL finder: orders have no edit view to link to."""

    def get_permissions_to_register(self):
        opts = self.model._meta
        return (
            super()
            .get_permissions_to_register()
            .filter(
                codename__in=[
                    get_permission_codename("view", opts),
                    get_permission_codename("refund", opts),
                    get_permission_codename("fulfil", opts),
                ]
            )
        )


order_viewset = OrderViewSet("orders")


@hooks.register("register_admin_viewset")
def register_order_viewset():
    return order_viewset


# Wagtail's bulk actions are registered as classes, not as functions returning them.
hooks.register("register_bulk_action", ShipOrdersBulkAction)


@hooks.register("construct_homepage_panels")
def add_orders_panel(request, panels):
    if policy_registry.get_by_type(Order).user_has_permission(request.user, "view"):
        panels.append(
            OrdersDashboardPanel(
                index_url_name=order_viewset.get_url_name("index"),
                inspect_url_name=order_viewset.get_url_name("inspect"),
            )
        )


@hooks.register("register_admin_urls")
def register_report_urls():
    return [path("shop-reports/", include((report_urls, "shop_reports")))]


@hooks.register("register_reports_menu_item")
def register_sales_report_menu_item():
    return ShopReportMenuItem(
        "Sales", reverse("shop_reports:sales"), name="shop-sales", icon_name="table", order=100
    )


@hooks.register("register_reports_menu_item")
def register_top_products_report_menu_item():
    return ShopReportMenuItem(
        "Top products",
        reverse("shop_reports:top_products"),
        name="shop-top-products",
        icon_name="pick",
        order=110,
    )


@hooks.register("register_reports_menu_item")
def register_funnel_report_menu_item():
    return ShopReportMenuItem(
        "Checkout funnel",
        reverse("shop_reports:funnel"),
        name="shop-checkout-funnel",
        icon_name="arrow-down",
        order=120,
    )


@hooks.register("register_admin_urls")
def register_email_preview_urls():
    return [
        path("shop-emails/<str:reason>/", email_views.preview, name="shop_email_preview"),
        path(
            "shop-emails/<str:reason>/send-test/",
            email_views.send_test,
            name="shop_email_send_test",
        ),
    ]
