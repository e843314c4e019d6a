from wagtail.admin.panels import Panel


class StockPanel(Panel):
    """On hand, held and available for the product or variant being edited, read-only: counts
    change in the stock list, never through a draft."""

    class BoundPanel(Panel.BoundPanel):
        template_name = "products/admin/stock_panel.html"

        def get_context_data(self, parent_context=None):
            # The models module defines the panels, so it is read when the panel is shown.
            from .models import StockLevel

            context = super().get_context_data(parent_context)
            instance = self.instance
            owner = "variant" if instance._meta.model_name == "productvariant" else "product"
            context["stock_level"] = (
                StockLevel.objects.filter(**{owner: instance}).first()
                if instance is not None and instance.pk is not None
                else None
            )
            return context
