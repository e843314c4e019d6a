from django.db import models
from modelcluster.fields import ParentalKey
from wagtail import blocks
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images.blocks import ImageBlock
from wagtail.models import Orderable, Page
from wagtail.search import index

from home.page_cache import page_shows_query
from products.images import with_card_images
from products.listing import listing_context
from products.models import Product


class ContentBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(form_classname="title")
    paragraph = blocks.RichTextBlock()
    image = ImageBlock()
    quote = blocks.BlockQuoteBlock()


class HomePageForm(WagtailAdminPageForm):
    def clean(self):
        cleaned_data = super().clean()
        placements = self.formsets.get("placed_products")
        if placements is None:
            return cleaned_data
        seen = set()
        for form in placements.forms:
            product = form.cleaned_data.get("product") if form.is_valid() else None
            if product is None or placements.can_delete and form.cleaned_data.get("DELETE"):
                continue
            if product.pk in seen:
                form.add_error(
                    "product",
                    f"{product} is already in the product section; remove one of the two.",
                )
            seen.add(product.pk)
        return cleaned_data


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

    base_form_class = HomePageForm
    max_count = 1
    subpage_types = ["home.ContentPage", "home.ProductIndexPage", "home.CategoryPage"]

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
        return with_card_images(products)

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


class ProductIndexPage(Page):
    """Every live product, a page of 24 at a time, sorted and filtered as the shopper asks."""

    intro = RichTextField(blank=True)

    content_panels = Page.content_panels + [FieldPanel("intro")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    max_count = 1
    parent_page_types = ["home.HomePage"]
    subpage_types = ["home.CategoryPage"]

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        categories = CategoryPage.objects.live().public().order_by("title")
        context.update(listing_context(request.GET, page_id=self.pk, categories=categories))
        page_shows_query(request, context.pop("shown_query"))
        return context


class CategoryPage(Page):
    """A category editors place in the page tree; it lists the live products put in it."""

    intro = RichTextField(blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = Page.content_panels + [FieldPanel("intro"), FieldPanel("image")]
    search_fields = Page.search_fields + [index.SearchField("intro")]

    parent_page_types = ["home.HomePage", "home.ProductIndexPage"]
    subpage_types = []

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context.update(listing_context(request.GET, page_id=self.pk, category=self))
        page_shows_query(request, context.pop("shown_query"))
        return context
