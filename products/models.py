from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.forms import CheckboxSelectMultiple
from django.urls import reverse
from django.utils import timezone
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import (
    FieldPanel,
    InlinePanel,
    MultiFieldPanel,
    PublishingPanel,
    TitleFieldPanel,
)
from wagtail.admin.widgets.slug import SlugInput
from wagtail.fields import RichTextField
from wagtail.models import DraftStateMixin, Orderable, PreviewableMixin, RevisionMixin
from wagtail.search import index

# Stripe Checkout refuses totals under $0.50 and over $999,999.99 for USD.
MINIMUM_PRICE = Decimal("0.50")
MAXIMUM_PRICE = Decimal("999999.99")


class ProductQuerySet(models.QuerySet):
    def live(self):
        """Published and not past its expiry, even before the scheduler has unpublished it."""
        return self.filter(live=True).exclude(expire_at__lte=timezone.now())

    def for_storefront(self):
        return self.live().select_related("image").order_by("sort_order", "name")

    # --- Stock (placeholder until stock is tracked: every live product can be bought) ---
    def in_stock(self):
        return self.live()

    # --- end of stock placeholder ---


# Clusterable, so child rows edited inline in the snippet go through its drafts and revisions.
class Product(PreviewableMixin, DraftStateMixin, RevisionMixin, index.Indexed, ClusterableModel):
    name = models.CharField(max_length=120)
    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text="Used in the product's web address, for example power-bank.",
    )
    summary = models.CharField(
        max_length=255, help_text="One or two sentences shown on product cards."
    )
    description = RichTextField(blank=True)
    price = models.DecimalField(
        "price (USD)",
        max_digits=10,
        decimal_places=2,
        validators=[
            MinValueValidator(
                MINIMUM_PRICE,
                message="The price must be at least $0.50, the smallest amount Stripe can charge.",
            ),
            MaxValueValidator(
                MAXIMUM_PRICE,
                message="The price must be at most $999,999.99, the largest amount "
                "Stripe Checkout accepts.",
            ),
        ],
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sort_order = models.PositiveIntegerField(
        "display order",
        default=0,
        help_text="Lower numbers are shown first when listing all products.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    # --- Categories: CMS pages the product is listed on ---
    categories = ParentalManyToManyField(
        "home.CategoryPage",
        blank=True,
        related_name="products",
        help_text="The category pages that list this product.",
    )

    # --- Search engines and link previews ---
    seo_title = models.CharField(
        "title for search engines",
        max_length=120,
        blank=True,
        help_text="Shown in the browser tab and search results instead of the name.",
    )
    search_description = models.TextField(
        "meta description",
        blank=True,
        help_text="One or two sentences search engines and link previews show; "
        "the summary when empty.",
    )

    objects = ProductQuerySet.as_manager()

    panels = [
        MultiFieldPanel(
            [
                TitleFieldPanel("name", placeholder=False),
                FieldPanel("slug", widget=SlugInput),
                FieldPanel("price"),
            ],
            heading="Product",
        ),
        FieldPanel("summary"),
        FieldPanel("description"),
        FieldPanel("image", heading="Main image"),
        InlinePanel("gallery_images", heading="More images", label="Image"),
        FieldPanel("categories", widget=CheckboxSelectMultiple),
        FieldPanel("sort_order"),
        MultiFieldPanel(
            [FieldPanel("seo_title"), FieldPanel("search_description")],
            heading="Search engines",
        ),
        PublishingPanel(),
    ]

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("summary"),
        index.SearchField("description"),
        index.RelatedFields("categories", [index.SearchField("title")]),
        index.FilterField("live"),
        index.FilterField("expire_at"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("product_detail", kwargs={"slug": self.slug})

    def get_preview_template(self, request, mode_name):
        return "products/product_detail.html"

    def get_preview_context(self, request, mode_name):
        from .pages import product_page_context

        return product_page_context(request, self)

    # --- Stock (placeholder until stock is tracked) ---
    @property
    def is_sold_out(self) -> bool:
        return False

    # --- end of stock placeholder ---

    @property
    def images(self) -> list:
        """Every picture of the product in the editor's order, the main image first."""
        gallery = [item.image for item in self.gallery_images.all()]
        return [self.image, *gallery] if self.image else gallery


class ProductImage(Orderable):
    """One more picture of a product; its alt text is the image's description or title."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="gallery_images")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("image")]

    def __str__(self):
        return f"{self.product} image {self.sort_order}"
