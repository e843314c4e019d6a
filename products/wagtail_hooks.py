from django.contrib.admin.utils import quote
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import LiveStatusTagColumn, UpdatedAtColumn
from wagtail.admin.userbar import BaseItem
from wagtail.admin.widgets import HeaderButton
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.chooser import (
    ChooseResultsView,
    ChooseView,
    SnippetChooserViewSet,
)
from wagtail.snippets.views.snippets import EditView, IndexView, SnippetViewSet

from shop.exports import FormulaSafeExportMixin

from .models import Product


class ProductIndexView(FormulaSafeExportMixin, IndexView):
    """The product list; in its CSV export a name that looks like a formula stays text."""


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
