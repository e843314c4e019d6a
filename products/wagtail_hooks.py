import django_filters
from django.contrib.admin.utils import quote
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import Column, LiveStatusTagColumn, UpdatedAtColumn
from wagtail.admin.userbar import BaseItem
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import BooleanRadioSelect, HeaderButton
from wagtail.permissions import policy_registry
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
)
from wagtail.snippets.views.snippets import EditView, IndexView, SnippetViewSet

from shop.exports import FormulaSafeExportMixin

from .admin_views import LowStockPanel, StockLevelEditView
from .models import LOW_STOCK_AT, Product, StockLevel


class ProductIndexView(FormulaSafeExportMixin, IndexView):
    """The product list; in its CSV export a name that looks like a formula stays text."""

    def get_base_queryset(self):
        # The stock column reads each product's and each variant's counts: fetched up front.
        return (
            super()
            .get_base_queryset()
            .select_related("stock_level")
            .prefetch_related("variants__stock_level")
        )


class ProductEditView(EditView):
    """The product editor, with a link to the product as shoppers see it while it is live."""

    def get_header_buttons(self):
        buttons = super().get_header_buttons()
        if self.object.live:
            buttons.insert(
                0,
                HeaderButton(
                    _("View live"),
                    url=self.object.get_absolute_url(),
                    icon_name="link-external",
                    attrs={"target": "_blank", "rel": "noreferrer"},
                ),
            )
        return buttons


class LiveProductsOnly:
    """Products can be placed on pages only while shoppers can buy them."""

    def get_object_list(self):
        return super().get_object_list().live()


class LiveProductChooseView(LiveProductsOnly, ChooseView):
    pass


class LiveProductChooseResultsView(LiveProductsOnly, ChooseResultsView):
    pass


class ProductChooserViewSet(SnippetChooserViewSet):
    choose_view_class = LiveProductChooseView
    choose_results_view_class = LiveProductChooseResultsView


class ProductFilterSet(WagtailFilterSet):
    class Meta:
        model = Product
        fields = ["live", "has_unpublished_changes"]


class ProductViewSet(SnippetViewSet):
    model = Product
    icon = "tag"
    menu_label = "Products"
    menu_order = 200
    add_to_admin_menu = True
    list_display = [
        "name",
        "price",
        Column("stock_summary", label="Stock"),
        LiveStatusTagColumn(),
        UpdatedAtColumn(),
    ]
    index_view_class = ProductIndexView
    edit_view_class = ProductEditView
    chooser_viewset_class = ProductChooserViewSet
    list_export = ["name", "slug", "price", "summary", "live", "updated_at"]
    export_filename = "products"
    filterset_class = ProductFilterSet
    search_fields = ["name", "summary", "description"]
    # Plain database lookups: the search index on SQLite (the local run) cannot limit a search
    # to named fields, and a catalogue this size needs no index to find part of a word.
    search_backend_name = None
    ordering = ["sort_order", "name"]


register_snippet(ProductViewSet)


class StockLevelFilterSet(WagtailFilterSet):
    tracked = django_filters.BooleanFilter(
        label="Tracked", method="filter_tracked", widget=BooleanRadioSelect
    )
    low = django_filters.BooleanFilter(
        label=f"Low ({LOW_STOCK_AT} or fewer available)",
        method="filter_low",
        widget=BooleanRadioSelect,
    )

    class Meta:
        model = StockLevel
        fields = []

    def filter_tracked(self, queryset, name, value):
        tracked = StockLevel.objects.tracked_q()
        return queryset.filter(tracked) if value else queryset.exclude(tracked)

    def filter_low(self, queryset, name, value):
        low = StockLevel.objects.low().values("pk")
        return queryset.filter(pk__in=low) if value else queryset.exclude(pk__in=low)


class StockLevelViewSet(ModelViewSet):
    """Every product sold as it is and every variant, with what is on hand, held and available.
    Rows come and go with their products; staff only change what is on hand."""

    model = StockLevel
    icon = "list-ul"
    menu_label = "Stock"
    menu_order = 201
    add_to_admin_menu = True
    add_to_reference_index = False
    list_display = [
        Column("__str__", label="Product"),
        Column("sku", label="SKU"),
        Column(
            "tracking", label="Tracked", accessor=lambda level: "Yes" if level.is_tracked else "No"
        ),
        Column("on_hand", label="On hand", sort_key="on_hand"),
        Column("held", label="Held", sort_key="held"),
        Column("available", label="Available"),
    ]
    filterset_class = StockLevelFilterSet
    search_fields = ["product__name", "variant__sku", "variant__options", "variant__product__name"]
    search_backend_name = None
    form_fields = ["on_hand"]
    edit_view_class = StockLevelEditView
    ordering = ["pk"]

    def get_queryset(self, request):
        return StockLevel.objects.select_related("product", "variant__product")

    def get_urlpatterns(self):
        # Stock levels are made and removed with their products and variants.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("edit/<str:pk>/", self.edit_view, name="edit"),
        ]

    def get_common_view_kwargs(self, **kwargs):
        # Views would link to these pages; without their routes a form shown again with an
        # error could not be drawn.
        missing = {"history_url_name", "usage_url_name", "add_url_name", "delete_url_name"}
        return super().get_common_view_kwargs(**dict.fromkeys(missing), **kwargs)

    def get_permissions_to_register(self):
        return super().get_permissions_to_register().filter(codename__in=["change_stocklevel"])


stock_level_viewset = StockLevelViewSet("stock_levels")


@hooks.register("register_admin_viewset")
def register_stock_level_viewset():
    return stock_level_viewset


@hooks.register("construct_homepage_panels")
def add_low_stock_panel(request, panels):
    if policy_registry.get_by_type(StockLevel).user_has_permission(request.user, "change"):
        panels.append(
            LowStockPanel(
                edit_url_name=stock_level_viewset.get_url_name("edit"),
                index_url_name=stock_level_viewset.get_url_name("index"),
            )
        )


class EditProductItem(BaseItem):
    """ "Edit this product" in the editing bar Wagtail shows staff on the storefront."""

    template_name = "products/userbar/item_edit_product.html"

    def __init__(self, product):
        self.product = product

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["edit_url"] = reverse(
            self.product.snippet_viewset.get_url_name("edit"), args=[quote(self.product.pk)]
        )
        return context


@hooks.register("construct_wagtail_userbar")
def offer_to_edit_the_product(request, items, page):
    if isinstance(page, Product) and request.user.has_perm("products.change_product"):
        items.insert(1, EditProductItem(page))
