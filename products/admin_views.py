"""Staff views of stock: the stock list, counting what is on hand, and the low-stock panel."""

from django.urls import reverse
from django.utils import timezone
from wagtail.admin.ui.components import Component
from wagtail.admin.views.generic.models import EditView
from wagtail.log_actions import log

from .models import LOW_STOCK_AT, StockLevel

LOW_STOCK_SHOWN = 10


class StockLevelEditView(EditView):
    """Staff set what is on the shelf; only that column is written, so units that checkouts
    hold or sell meanwhile are never overwritten."""

    def save_instance(self):
        level = self.form.instance
        StockLevel.objects.filter(pk=level.pk).update(
            on_hand=level.on_hand, updated_at=timezone.now()
        )
        log(instance=level, action="wagtail.edit", user=self.request.user, content_changed=True)
        level.refresh_from_db()
        return level

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class LowStockPanel(Component):
    name = "shop_low_stock"
    order = 60
    template_name = "products/admin/low_stock_panel.html"

    def __init__(self, edit_url_name: str, index_url_name: str):
        self.edit_url_name = edit_url_name
        self.index_url_name = index_url_name

    def get_context_data(self, parent_context):
        low = StockLevel.objects.low().select_related("product", "variant__product")
        return {
            "low_stock_at": LOW_STOCK_AT,
            "rows": [
                (level, reverse(self.edit_url_name, args=[level.pk]))
                for level in low[:LOW_STOCK_SHOWN]
            ],
            "low_count": low.count(),
            "index_url": reverse(self.index_url_name) + "?low=true",
        }
