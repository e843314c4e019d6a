from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.urls import reverse
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, MultiFieldPanel, PublishingPanel
from wagtail.fields import RichTextField
from wagtail.models import DraftStateMixin, PreviewableMixin, RevisionMixin
from wagtail.search import index

# Stripe Checkout refuses totals under $0.50 and over $999,999.99 for USD.
MINIMUM_PRICE = Decimal("0.50")
MAXIMUM_PRICE = Decimal("999999.99")


class ProductQuerySet(models.QuerySet):
    def live(self):
        return self.filter(live=True)

    def for_storefront(self):
        return self.live().select_related("image").order_by("sort_order", "name")


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

    # Shipping and tax: what Stripe Checkout asks for when this product is in the cart.
    needs_shipping = models.BooleanField(
        default=True,
        help_text="Untick for digital goods and gift cards: a cart of only such products "
        "asks for no shipping address.",
    )
    tax_code = models.CharField(
        max_length=13,
        blank=True,
        validators=[
            RegexValidator(
                r"^txcd_\d{8}$",
                message="A Stripe tax code is txcd_ and eight digits, for example txcd_10000000.",
            )
        ],
        help_text="Stripe's tax code for this product, when it differs from the shop's default "
        "in the checkout settings.",
    )

    objects = ProductQuerySet.as_manager()

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("slug"), FieldPanel("price")],
            heading="Product",
        ),
        FieldPanel("summary"),
        FieldPanel("description"),
        FieldPanel("image"),
        FieldPanel("sort_order"),
        MultiFieldPanel(
            [FieldPanel("needs_shipping"), FieldPanel("tax_code")], heading="Shipping and tax"
        ),
        PublishingPanel(),
    ]

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("summary"),
        index.SearchField("description"),
        index.FilterField("live"),
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
        return {"product": self, "page_title": self.name}
