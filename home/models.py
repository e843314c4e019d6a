from django.db import models
from django.db.models import Prefetch
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.images import get_image_model
from wagtail.images.blocks import ImageBlock
from wagtail.models import Orderable, Page
from wagtail.search import index

from products.models import Product

RENDITION_SPEC = "fill-480x360"


class ContentBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title")
    paragraph = blocks.RichTextBlock()
    image = ImageBlock()
    quote = blocks.BlockQuoteBlock()


class HomePage(Page):
    hero_heading = models.CharField(max_length=120, default="Good things, shipped fast")
    intro = StreamField(ContentBlock(), blank=True)
    show_all_products = models.BooleanField(
        default=True,
        help_text="Show every live product. Untick to pick and order products below.",
    )
    products_heading = models.CharField(max_length=80, default="Products")

    content_panels = Page.content_panels + [
        FieldPanel("hero_heading"),
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                FieldPanel("products_heading"),
                FieldPanel("show_all_products"),
                InlinePanel("placed_products", label="Product"),
            ],
            heading="Product section",
        ),
    ]

    search_fields = Page.search_fields + [index.SearchField("intro")]

    max_count = 1
    subpage_types = ["home.ContentPage"]

    def get_products(self):
        """The live products this page shows, in the editor's order, images ready."""
        if self.show_all_products:
            products = Product.objects.for_storefront()
        else:
            products = (
                Product.objects.for_storefront()
                .filter(home_placements__page=self)
                .order_by("home_placements__sort_order")
            )
        renditions = (
            get_image_model().get_rendition_model().objects.filter(filter_spec=RENDITION_SPEC)
        )
        return products.prefetch_related(Prefetch("image__renditions", queryset=renditions))

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["products"] = self.get_products()
        return context


class HomePageProduct(Orderable):
    page = ParentalKey(HomePage, on_delete=models.CASCADE, related_name="placed_products")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="home_placements")

    panels = [FieldPanel("product")]

    def __str__(self):
        return str(self.product)


class ContentPage(Page):
    """A general page editors can add without a developer: About, Shipping, Returns."""

    intro = models.CharField(max_length=255, blank=True)
    body = StreamField(ContentBlock(), blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("body")]
    search_fields = Page.search_fields + [
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    parent_page_types = ["home.HomePage", "home.ContentPage"]
    subpage_types = ["home.ContentPage"]
