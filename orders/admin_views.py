"""The staff's view of orders in the Wagtail admin: listing, order page, refunds, dashboard."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q, Sum
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import urlencode
from django.views.generic import FormView
from wagtail.admin import messages
from wagtail.admin.ui.components import Component
from wagtail.admin.ui.tables import BulkActionsCheckboxColumn
from wagtail.admin.views.generic import InspectView, WagtailAdminTemplateMixin
from wagtail.admin.views.generic.base import BaseObjectMixin
from wagtail.admin.views.generic.models import IndexView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.widgets.button import Button, HeaderButton
from wagtail.permission_policies import ModelPermissionPolicy

from shop import charts
from shop.exports import FormulaSafeExportMixin
from shop.money import format_money, format_shop_money

from . import refunds, reports, stripe_gateway
from .forms import RefundForm
from .fulfilment_forms import NoteForm
from .models import Order, OrderItem, OrderQuerySet, StripeEvent
from .money import from_cents
from .timeline import order_timeline

FAILED_EVENTS_SHOWN = 5
SPARKLINE_DAYS = 14
EXPORT_DATE_FORMAT = "%Y-%m-%d %H:%M"


class OrderPermissionPolicy(ModelPermissionPolicy):
    """Orders change only through Stripe: nobody adds, edits or deletes one, superusers included.

    Viewing, refunding and fulfilling (shipping, notes) follow the user's orders.view_order,
    orders.refund_order and orders.fulfil_order.
    """

    permitted_actions = {"view", "refund", "fulfil"}

    def user_has_permission(self, user, action):
        return action in self.permitted_actions and super().user_has_permission(user, action)

    def users_with_any_permission(self, actions):
        permitted = [action for action in actions if action in self.permitted_actions]
        if not permitted:
            # The parent would still count every superuser in.
            return get_user_model().objects.none()
        return super().users_with_any_permission(permitted)


class OrderIndexView(FormulaSafeExportMixin, IndexView):
    """The order list; its exports give one row per order or, with `with_items`, per line."""

    line_item_export = [
        "order.reference",
        "order.get_status_display",
        "product_name",
        "quantity",
        "unit_price",
    ]
    line_item_export_headings = {
        "order.reference": "Order",
        "order.get_status_display": "Order status",
        "product_name": "Product",
        "unit_price": "Unit price",
    }

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.exports_line_items = self.is_export and request.GET.get("with_items") == "true"
        if self.exports_line_items:
            self.list_export = self.line_item_export
            self.export_headings = self.line_item_export_headings
            self.export_filename = "order-items"

    def get_base_queryset(self):
        return super().get_base_queryset().annotate(unit_count=Sum("items__quantity", default=0))

    @cached_property
    def can_ship_in_bulk(self) -> bool:
        return self.permission_policy.user_has_permission(self.request.user, "fulfil")

    @cached_property
    def columns(self):
        """With a box to tick on each row for staff who may ship orders in bulk."""
        if not self.can_ship_in_bulk:
            return super().columns
        return [BulkActionsCheckboxColumn("bulk_actions", obj_type="order"), *super().columns]

    def get_context_data(self, **kwargs):
        return super().get_context_data(can_ship_in_bulk=self.can_ship_in_bulk, **kwargs)

    def get_ordering(self):
        """Orders awaiting shipment are listed the longest-waiting first, unless sorted."""
        if not self.is_explicitly_ordered and self.request.GET.get("awaiting_shipment") == "true":
            return ["paid_at", "pk"]
        return super().get_ordering()

    def as_spreadsheet(self, queryset, spreadsheet_format):
        if self.exports_line_items:
            queryset = (
                OrderItem.objects.filter(order__in=queryset.values("pk"))
                .select_related("order")
                .order_by("-order__created_at", "-order__pk", "pk")
            )
        return super().as_spreadsheet(queryset, spreadsheet_format)

    def line_items_export_url(self, spreadsheet_format: str) -> str:
        params = self.request.GET.copy()
        params["with_items"] = "true"
        params["export"] = spreadsheet_format
        return f"{self.request.path}?{params.urlencode()}"

    @cached_property
    def header_more_buttons(self):
        return [
            *super().header_more_buttons,
            *(
                Button(
                    f"Download line items {spreadsheet_format.upper()}",
                    url=self.line_items_export_url(spreadsheet_format),
                    icon_name="download",
                    priority=110 + number,
                )
                for number, spreadsheet_format in enumerate(self.FORMATS)
            ),
        ]

    def preprocess_field_value(self, field, value, export_format):
        """Dates read in the site's time zone, to the minute."""
        if isinstance(value, datetime):
            return timezone.localtime(value).strftime(EXPORT_DATE_FORMAT)
        return super().preprocess_field_value(field, value, export_format)


class OrderInspectView(InspectView):
    page_title = "Order"
    refund_url_name = None
    mark_reviewed_url_name = None
    ship_url_name = None
    deliver_url_name = None
    note_url_name = None
    packing_slip_url_name = None

    def get_page_subtitle(self):
        return self.object.reference

    @cached_property
    def header_buttons(self):
        order = self.object
        buttons = []
        if order.is_shippable and self.can_fulfil:
            url = reverse(self.ship_url_name, args=[order.pk])
            buttons.append(HeaderButton("Mark shipped", url=url, icon_name="success"))
        if self.can_refund:
            url = reverse(self.refund_url_name, args=[order.pk])
            buttons.append(HeaderButton("Refund", url=url, icon_name="rotate"))
        if order.paid_at:
            url = reverse(self.packing_slip_url_name, args=[order.pk])
            buttons.append(HeaderButton("Packing slip", url=url, icon_name="doc-full"))
        return buttons

    @cached_property
    def can_fulfil(self) -> bool:
        return self.user_has_permission("fulfil")

    @property
    def mark_reviewed_url(self) -> str:
        """Where the "Mark as reviewed" button posts; empty when this person may not."""
        if not (self.object.needs_review and self.user_has_permission("refund")):
            return ""
        return reverse(self.mark_reviewed_url_name, args=[self.object.pk])

    @cached_property
    def can_refund(self) -> bool:
        return self.object.is_refundable and self.user_has_permission("refund")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if not self.object.has_open_checkout:
            # When the checkout expires matters only while the shopper may still pay on it.
            self.fields = [field for field in self.fields if field != "checkout_expires_at"]

    def get_status_display_value(self):
        if self.object.is_payment_processing:
            return "Pending (payment processing)"
        return self.object.get_status_display()

    def get_total_display_value(self):
        return format_money(self.object.total, self.object.currency)

    def get_amount_refunded_display_value(self):
        return format_money(self.object.amount_refunded, self.object.currency)

    def get_charged_total_display_value(self):
        order = self.object
        if order.charged_total is None:
            return "Not reported by Stripe"
        if order.charged_currency != order.currency:
            currency = order.charged_currency.upper() or "an unreadable currency"
            return f"{order.charged_total} in {currency} (smallest units)"
        total = format_money(from_cents(order.charged_total), order.currency)
        subtotal = order.charged_subtotal
        if subtotal is None:
            return f"{total} (subtotal unreadable)"
        return f"{total} (subtotal {format_money(from_cents(subtotal), order.currency)})"

    def get_context_data(self, **kwargs):
        order = self.object
        stripe_objects = [
            ("Checkout Session", "checkout_session", order.stripe_checkout_session_id),
            ("Payment", "payment_intent", order.stripe_payment_intent_id),
        ]
        session_id = order.stripe_checkout_session_id
        stripe_links = [
            (label, stripe_id, stripe_gateway.dashboard_url(kind, stripe_id, session_id))
            for label, kind, stripe_id in stripe_objects
            if stripe_id
        ]
        return super().get_context_data(
            items=order.items.all(),
            events=order.stripe_events.all(),
            emails=order.emails.all(),
            stripe_links=stripe_links,
            stripe_links_on_emulator=stripe_gateway.uses_emulator(),
            review_reasons=order.review_reasons.splitlines(),
            reasons_since_review=order.reasons_since_review,
            mark_reviewed_url=self.mark_reviewed_url,
            **self.fulfilment_context(),
            **kwargs,
        )

    def fulfilment_context(self) -> dict:
        """The order's shipment, timeline and, for staff who may fulfil it, its forms."""
        order = self.object
        can_fulfil = self.can_fulfil
        return {
            "timeline": order_timeline(order),
            "can_fulfil": can_fulfil,
            "note_form": NoteForm() if can_fulfil else None,
            "note_url": reverse(self.note_url_name, args=[order.pk]) if can_fulfil else "",
            "deliver_url": (
                reverse(self.deliver_url_name, args=[order.pk])
                if can_fulfil and order.is_deliverable
                else ""
            ),
        }


class RefundView(BaseObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    model = Order
    permission_required = "refund"
    form_class = RefundForm
    template_name = "orders/admin/refund.html"
    page_title = "Refund order"
    index_url_name = None
    inspect_url_name = None

    def get_page_subtitle(self):
        return self.object.reference

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Orders"},
            {"url": self.order_url, "label": self.object.reference},
            {"url": "", "label": self.get_page_title()},
        ]

    @cached_property
    def order_url(self) -> str:
        return reverse(self.inspect_url_name, args=[self.object.pk])

    @cached_property
    def refundable(self) -> Decimal:
        return self.object.amount_refundable

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "refundable": self.refundable,
            "currency": self.object.currency,
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            order=self.object,
            order_url=self.order_url,
            refundable=self.refundable,
            is_refundable=self.object.is_refundable,
            **kwargs,
        )

    def form_valid(self, form):
        amount = form.cleaned_data["amount"]
        try:
            refund = refunds.amount_to_refund(self.object, amount)
        except refunds.RefundError as error:
            return self.refused(error.user_message, amount)
        if "back" in self.request.POST:
            return self.render_to_response(self.get_context_data(form=form))
        if not form.cleaned_data["confirmed"]:
            return self.confirmation(form, refund)
        return self.ask_stripe(form, refund)

    def confirmation(self, form, refund: Decimal):
        """The step that shows what a refund will do; its Confirm button asks Stripe."""
        return self.render_to_response(
            self.get_context_data(form=form, confirming=True, **self.outcome_of(refund))
        )

    def outcome_of(self, refund: Decimal) -> dict:
        """What confirming a refund of this amount does, in the words the pages use."""
        return {
            "refund": refund,
            "refund_shown": format_money(refund, self.object.currency),
            "refunds_everything": refund == self.refundable,
        }

    def ask_stripe(self, form, refund: Decimal):
        try:
            refunds.refund_order(self.object, refund, form.cleaned_data["refund_token"])
        except refunds.RefundError as error:
            return self.refused(error.user_message, refund)
        except stripe_gateway.StripeRejected as error:
            return self.refused(f"Stripe refused the refund: {error.user_message}", refund)
        except stripe_gateway.StripeError as error:
            # Stripe may have made the refund and only its answer was lost: the page keeps its
            # token, so submitting it again gets that refund back instead of a second one.
            messages.error(
                self.request,
                f"{error.user_message} Submitting again is safe: Stripe never refunds twice "
                "for the same request.",
            )
            return self.confirmation(form, refund)
        outcome = self.outcome_of(refund)
        if outcome["refunds_everything"]:
            then = "the order will show Refunded when Stripe confirms."
        else:
            then = "the refunded amount on the order updates when Stripe confirms."
        messages.success(self.request, f"Refund of {outcome['refund_shown']} requested; {then}")
        return redirect(self.order_url)

    def refused(self, message: str, amount: Decimal | None):
        """Show why no refund was made, with a fresh form: the next submission is a new request."""
        messages.error(self.request, message)
        form = self.get_form_class()(
            initial={"amount": amount}, refundable=self.refundable, currency=self.object.currency
        )
        return self.form_invalid(form)


@dataclass(frozen=True)
class DashboardFigure:
    label: str
    count: int
    url: str
    revenue: Decimal | None = None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def dashboard_figures(index_url: str, now: datetime) -> list[DashboardFigure]:
    """Today's and this week's sales and the checkouts left pending, in one query."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    paid_today = Q(paid_at__gte=_start_of(today))
    paid_this_week = Q(paid_at__gte=_start_of(monday))
    net = F("total") - F("amount_refunded")
    figures = Order.objects.aggregate(
        today_count=Count("pk", filter=paid_today),
        today_revenue=Sum(net, filter=paid_today, default=Decimal("0")),
        week_count=Count("pk", filter=paid_this_week),
        week_revenue=Sum(net, filter=paid_this_week, default=Decimal("0")),
        stale_count=Count("pk", filter=OrderQuerySet.pending_for_over_an_hour_q(now)),
        review_count=Count("pk", filter=OrderQuerySet.needs_review_q()),
        awaiting_shipment_count=Count("pk", filter=OrderQuerySet.awaiting_shipment_q()),
    )

    def listing(**filters) -> str:
        return f"{index_url}?{urlencode(filters)}"

    return [
        DashboardFigure(
            "Paid today",
            figures["today_count"],
            listing(paid_at_from=today, paid_at_to=today),
            figures["today_revenue"],
        ),
        DashboardFigure(
            "Paid this week",
            figures["week_count"],
            listing(paid_at_from=monday, paid_at_to=today),
            figures["week_revenue"],
        ),
        DashboardFigure(
            "Pending for over an hour",
            figures["stale_count"],
            listing(stale="true"),
        ),
        DashboardFigure(
            "Needs review",
            figures["review_count"],
            listing(needs_review="true"),
        ),
        DashboardFigure(
            "Paid, not shipped yet",
            figures["awaiting_shipment_count"],
            listing(awaiting_shipment="true"),
        ),
    ]


def sales_sparkline(today: date) -> tuple[str, Decimal]:
    """Net sales of each of the last 14 days as a small chart, and their sum, in one query."""
    days = reports.sales_by_period(
        reports.DateRange.last_days(SPARKLINE_DAYS, today), reports.Period.DAY
    )
    chart = charts.sparkline(
        [(day.label, day.net) for day in days],
        title=f"Net sales per day, last {SPARKLINE_DAYS} days",
        format_value=format_shop_money,
    )
    return chart, sum((day.net for day in days), Decimal("0"))


class OrdersDashboardPanel(Component):
    name = "shop_orders"
    order = 50
    template_name = "orders/admin/dashboard_panel.html"

    def __init__(self, index_url_name: str, inspect_url_name: str):
        self.index_url_name = index_url_name
        self.inspect_url_name = inspect_url_name

    def get_context_data(self, parent_context):
        failed_events = StripeEvent.objects.filter(outcome=StripeEvent.Outcome.FAILED)
        recent_failures = [
            (
                event,
                reverse(self.inspect_url_name, args=[event.order_id]) if event.order_id else "",
            )
            for event in failed_events.select_related("order").order_by("-received_at")[
                :FAILED_EVENTS_SHOWN
            ]
        ]
        now = timezone.now()
        sparkline, sparkline_total = sales_sparkline(timezone.localdate(now))
        return {
            "figures": dashboard_figures(reverse(self.index_url_name), now),
            "sparkline": sparkline,
            "sparkline_days": SPARKLINE_DAYS,
            "sparkline_total": sparkline_total,
            "sales_report_url": reverse("shop_reports:sales"),
            "failed_event_count": failed_events.count(),
            "recent_failures": recent_failures,
        }
