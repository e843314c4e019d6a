from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import LiveStatusTagColumn, UpdatedAtColumn
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import IndexView, SnippetViewSet

from shop.exports import FormulaSafeExportMixin

from .models import Product


class ProductIndexView(FormulaSafeExportMixin, IndexView):
    """The product list; in its CSV export a name that looks like a formula stays text."""


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
    list_export = ["name", "slug", "price", "summary", "live", "updated_at"]
    export_filename = "products"
    filterset_class = ProductFilterSet
    search_fields = ["name", "summary", "description"]
    # Plain database lookups: the search index on SQLite (the local run) cannot limit a search
    # to named fields, and a catalogue this size needs no index to find part of a word.
    search_backend_name = None
    ordering = ["sort_order", "name"]


register_snippet(ProductViewSet)
