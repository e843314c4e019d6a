"""Staff sending orders out from the admin: shipping one order or many, marking one delivered,
notes on an order and its printable packing slip."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_list_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.functional import cached_property, classproperty
from django.views.generic import FormView, View
from wagtail.admin import messages
from wagtail.admin.utils import get_valid_next_url_from_request
from wagtail.admin.views.bulk_action import BulkAction
from wagtail.admin.views.generic import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.base import BaseObjectMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.permissions import policy_registry

from shop.models import ShopSettings

from . import fulfilment
from .fulfilment_forms import CarrierForm, NoteForm, ShipmentForm
from .models import Order

FULFIL = "fulfil"


class OrderFormView(BaseObjectMixin, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """A form about one order, for staff who may fulfil orders; bad input answers 400."""

    model = Order
    permission_required = FULFIL
    index_url_name = None
    inspect_url_name = None

    def get_page_subtitle(self):
        return self.object.reference

    @cached_property
    def order_url(self) -> str:
        return reverse(self.inspect_url_name, args=[self.object.pk])

    def get_breadcrumbs_items(self):
        return self.breadcrumbs_items + [
            {"url": reverse(self.index_url_name), "label": "Orders"},
            {"url": self.order_url, "label": self.object.reference},
            {"url": "", "label": self.get_page_title()},
        ]

    def get_context_data(self, **kwargs):
        return super().get_context_data(order=self.object, order_url=self.order_url, **kwargs)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class ShipOrderView(OrderFormView):
    form_class = ShipmentForm
    template_name = "orders/admin/ship.html"
    page_title = "Mark order shipped"

    def get(self, request, *args, **kwargs):
        if not self.object.is_shippable:
            messages.error(request, self.object.why_not_shippable())
            return redirect(self.order_url)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        try:
            order = fulfilment.mark_shipped(self.object, **form.cleaned_data, by=self.request.user)
        except fulfilment.FulfilmentError as error:
            messages.error(self.request, f"{error.user_message} Nothing was changed.")
        else:
            messages.success(self.request, f"Order {order.reference} marked shipped.")
        return redirect(self.order_url)


class AddNoteView(OrderFormView):
    form_class = NoteForm
    template_name = "orders/admin/note.html"
    page_title = "Add a note"

    def form_valid(self, form):
        fulfilment.add_note(self.object, form.cleaned_data["text"], by=self.request.user)
        messages.success(self.request, "Note added. Only staff see it.")
        return redirect(self.order_url)


class MarkDeliveredView(BaseObjectMixin, PermissionCheckedMixin, View):
    model = Order
    permission_required = FULFIL
    inspect_url_name = None
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            order = fulfilment.mark_delivered(self.object, by=request.user)
        except fulfilment.FulfilmentError as error:
            messages.error(request, f"{error.user_message} Nothing was changed.")
        else:
            messages.success(request, f"Order {order.reference} marked delivered.")
        return redirect(reverse(self.inspect_url_name, args=[self.object.pk]))


class PackingSlipView(BaseObjectMixin, PermissionCheckedMixin, View):
    """A page to print and put in the parcel: what is in it, and where it goes if known."""

    model = Order
    permission_required = "view"

    def get(self, request, *args, **kwargs):
        order = self.object
        items = list(order.items.all())
        return TemplateResponse(
            request,
            "orders/admin/packing_slip.html",
            {
                "order": order,
                "items": items,
                # Lines carry a SKU once products have variants; until then the column is left out.
                "has_skus": any(getattr(item, "sku", "") for item in items),
                "shop_settings": ShopSettings.for_request(request),
                "address_lines": shipping_address_lines(order),
            },
        )


# The order's shipping address fields, in the order a label reads them; those the order does
# not have are left out.
ADDRESS_FIELDS = [
    "shipping_name",
    "shipping_line1",
    "shipping_line2",
    "shipping_city",
    "shipping_state",
    "shipping_postal_code",
    "shipping_country",
]


def shipping_address_lines(order: Order) -> list[str]:
    """The address to print on the slip, one line each; empty while orders carry none."""
    return [
        str(value) for value in (getattr(order, field, "") for field in ADDRESS_FIELDS) if value
    ]


class ShipOrdersBulkAction(BulkAction):
    """Mark the selected paid orders shipped with one carrier, from the order list."""

    display_name = "Mark shipped"
    action_type = "ship"
    aria_label = "Mark the selected orders shipped"
    template_name = "orders/admin/bulk_ship.html"
    action_priority = 10
    form_class = CarrierForm

    @classproperty
    def models(cls):
        return [Order]

    def __init__(self, request, model):
        super().__init__(request, model)
        if not get_valid_next_url_from_request(request):
            # Wagtail would go back to this page, which without a selection has nothing to show.
            self.next_url = reverse("orders:index")

    @cached_property
    def permission_policy(self):
        return policy_registry.get_by_type(Order)

    def dispatch(self, request, *args, **kwargs):
        if not self.permission_policy.user_has_permission(request.user, FULFIL):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    @classmethod
    def get_queryset(cls, model, object_ids):
        order_ids = [object_id for object_id in object_ids if str(object_id).isdigit()]
        if not order_ids:
            raise Http404("Select the orders to mark shipped in the order list.")
        return get_list_or_404(model.objects.order_by("paid_at", "pk"), pk__in=order_ids)

    def get_all_objects_in_listing_query(self, parent_id):
        return Order.objects.awaiting_shipment().values_list("pk", flat=True)

    def check_perm(self, order):
        """Orders that cannot go out are listed apart and left alone."""
        return order.is_shippable

    def prepare_action(self, orders, orders_not_shippable):
        self.refused = [
            order.why_not_shippable() for order in orders_not_shippable["items_with_no_access"]
        ]

    def get_execution_context(self):
        return {"carrier": self.cleaned_form.cleaned_data["carrier"], "action": self}

    @classmethod
    def execute_action(cls, orders, carrier="", action=None, **kwargs):
        action.shipped = []
        for order in orders:
            try:
                action.shipped.append(
                    fulfilment.mark_shipped(order, carrier=carrier, by=action.request.user)
                )
            except fulfilment.FulfilmentError as error:
                action.refused.append(error.user_message)
        return len(action.shipped), 0

    def form_valid(self, form):
        response = super().form_valid(form)
        for reason in self.refused:
            messages.warning(self.request, f"{reason} It was not marked shipped.")
        return response

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)

    def get_success_message(self, num_parent_objects, num_child_objects):
        if not num_parent_objects:
            return None
        plural = "s" if num_parent_objects != 1 else ""
        return f"{num_parent_objects} order{plural} marked shipped."
