import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Cast
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

from .panels import StockPanel

# Stripe Checkout refuses totals under $0.50 and over $999,999.99 for USD.
MINIMUM_PRICE = Decimal("0.50")
MAXIMUM_PRICE = Decimal("999999.99")
PRICE_VALIDATORS = [
    MinValueValidator(
        MINIMUM_PRICE,
        message="The price must be at least $0.50, the smallest amount Stripe can charge.",
    ),
    MaxValueValidator(
        MAXIMUM_PRICE,
        message="The price must be at most $999,999.99, the largest amount "
        "Stripe Checkout accepts.",
    ),
]

TAX_CODE = re.compile(r"txcd_\d{8}")


def validate_tax_code(value: str) -> None:
    """Stripe's product tax codes, for products, variants and the checkout's default."""
    if not TAX_CODE.fullmatch(value):
        raise ValidationError(
            "A Stripe tax code is txcd_ and eight digits, for example txcd_99999999."
        )


class ProductQuerySet(models.QuerySet):
    def live(self):
        """Published and not past its expiry, even before the scheduler has unpublished it."""
        return self.filter(live=True).exclude(expire_at__lte=timezone.now())

    def for_storefront(self):
        return (
            self.live().with_availability().select_related("image").order_by("sort_order", "name")
        )

    # Stock and variants ------------------------------------------------------------------

    @staticmethod
    def _has_variants() -> Exists:
        return Exists(ProductVariant.objects.filter(product=OuterRef("pk")))

    @staticmethod
    def buyable_q() -> Q:
        """Products a shopper can buy now: without variants, untracked or with some available;
        with variants, any variant untracked or with some available."""
        own_stock = Q(track_stock=False) | Q(stock_level__on_hand__gt=F("stock_level__held"))
        buyable_variant = ProductVariant.objects.filter(product=OuterRef("pk")).filter(
            Q(track_stock=False) | Q(stock_level__on_hand__gt=F("stock_level__held"))
        )
        return (~ProductQuerySet._has_variants() & own_stock) | Exists(buyable_variant)

    def in_stock(self):
        return self.filter(self.buyable_q())

    def with_availability(self):
        """Annotate what `has_variants` and `is_sold_out` ask, so a listing asks nothing more."""
        return self.annotate(
            annotated_has_variants=self._has_variants(),
            annotated_buyable=models.ExpressionWrapper(
                self.buyable_q(), output_field=models.BooleanField()
            ),
        )

    def with_variants_flag(self):
        """Annotate only what `has_variants` asks: a cart's lines show no availability."""
        return self.annotate(annotated_has_variants=self._has_variants())


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
        validators=PRICE_VALIDATORS,
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    track_stock = models.BooleanField(
        "track stock",
        default=False,
        help_text="Count what is on hand and stop selling at zero. A product with variants "
        "follows each variant's own setting instead.",
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
        validators=[validate_tax_code],
        help_text="Stripe's tax code for this product, when it differs from the shop's default "
        "in the checkout settings.",
    )

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
        MultiFieldPanel([FieldPanel("track_stock"), StockPanel()], heading="Stock"),
        InlinePanel(
            "variants",
            heading="Variants",
            label="Variant",
            help_text="Sizes, colours or other options, each with its own SKU and stock. "
            "Leave empty for a product sold as it is.",
        ),
        FieldPanel("sort_order"),
        MultiFieldPanel(
            [FieldPanel("needs_shipping"), FieldPanel("tax_code")], heading="Shipping and tax"
        ),
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
        index.RelatedFields("variants", [index.SearchField("sku"), index.SearchField("options")]),
        index.FilterField("live"),
        index.FilterField("expire_at"),
    ]

    class Meta:
        ordering = ["sort_order", "name"]
        indexes = [
            # Wagtail's search finds a product's index entry by its id as text; this lets a
            # search with few matches (a suggestion as the shopper types) fetch just those
            # products instead of reading every product.
            models.Index(
                Cast("id", models.CharField(max_length=50)), name="product_search_object_id"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("product_detail", kwargs={"slug": self.slug})

    def get_preview_template(self, request, mode_name):
        return "products/product_detail.html"

    def get_preview_context(self, request, mode_name):
        from .pages import product_page_context

        return {
            **self.page_context(list(self.variants.all())),
            **product_page_context(request, self),
        }

    def page_context(self, variants: list["ProductVariant"]) -> dict:
        """What the product page shows: the product, its variants and the one picked first."""
        for variant in variants:
            variant.product = self
        return {
            "product": self,
            "page_title": self.name,
            "variants": variants,
            "selected_variant": next((v for v in variants if not v.is_sold_out), None),
            "lowest_price": min((v.unit_price for v in variants), default=self.price),
        }

    @property
    def is_on_sale(self) -> bool:
        """Published and not past its expiry, as ProductQuerySet.live() selects: a product is
        off sale from its expiry on, even before the scheduler unpublishes it."""
        return self.live and (self.expire_at is None or self.expire_at > timezone.now())

    @property
    def has_variants(self) -> bool:
        annotated = getattr(self, "annotated_has_variants", None)
        if annotated is not None:
            return annotated
        return bool(self.variants.all())

    @property
    def is_sold_out(self) -> bool:
        """Nothing of it can be bought now: every variant, or the product itself, sold out."""
        annotated = getattr(self, "annotated_buyable", None)
        if annotated is not None:
            return not annotated
        variants = self.variants.all()
        if variants:
            return all(variant.is_sold_out for variant in variants)
        return _sold_out(self)

    @property
    def stock_available(self) -> int | None:
        """Units of the product itself a checkout could still hold; None when not tracked."""
        return _available(self)

    @property
    def stock_summary(self) -> str:
        """On hand, held and available for staff: the product's own, or each variant's."""
        variants = self.variants.all()
        levels = (
            [_stock_level_of(item) for item in variants] if variants else [_stock_level_of(self)]
        )
        names = [variant.options for variant in variants] or [""]
        parts = []
        for name, level in zip(names, levels, strict=True):
            text = level.summary if level is not None else "Not counted yet"
            parts.append(f"{name}: {text}" if name else text)
        return "; ".join(parts)

    @property
    def images(self) -> list:
        """Every picture of the product in the editor's order, the main image first."""
        gallery = [item.image for item in self.gallery_images.all()]
        return [self.image, *gallery] if self.image else gallery


# Variants ----------------------------------------------------------------------------------


class ProductVariant(Orderable):
    """One buyable version of a product (a size, a colour), edited inline in the product, so it
    goes through the product's drafts, revisions, preview and scheduling."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="variants")
    options = models.CharField(
        max_length=120,
        help_text="The option values that set it apart, as shoppers read them, for example "
        "'Size M, Blue'.",
    )
    sku = models.CharField(
        "SKU",
        max_length=64,
        unique=True,
        help_text="Your stock-keeping code; no two variants share one.",
    )
    price = models.DecimalField(
        "price (USD)",
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=PRICE_VALIDATORS,
        help_text="Leave empty to charge the product's price.",
    )
    track_stock = models.BooleanField(
        "track stock", default=False, help_text="Count what is on hand and stop selling at zero."
    )
    image = models.ForeignKey(
        "wagtailimages.Image",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tax_code = models.CharField(
        max_length=13,
        blank=True,
        validators=[validate_tax_code],
        help_text="Stripe's tax code for this variant, when it differs from the product's.",
    )

    panels = [
        FieldPanel("options"),
        FieldPanel("sku"),
        FieldPanel("price"),
        FieldPanel("track_stock"),
        StockPanel(),
        FieldPanel("image"),
        FieldPanel("tax_code"),
    ]

    class Meta(Orderable.Meta):
        verbose_name = "variant"
        # Variants saved without a position (by code, not the editor) keep the order they were made.
        ordering = ["sort_order", "pk"]

    def __str__(self):
        return f"{self.product.name} ({self.options})"

    @property
    def unit_price(self) -> Decimal:
        return self.product.price if self.price is None else self.price

    @property
    def is_sold_out(self) -> bool:
        return _sold_out(self)

    @property
    def stock_available(self) -> int | None:
        return _available(self)


# Stock -------------------------------------------------------------------------------------


# Staff are warned when this few or fewer units of a tracked product or variant are available.
LOW_STOCK_AT = 5


class StockLevelQuerySet(models.QuerySet):
    @staticmethod
    def tracked_q() -> Q:
        return Q(variant__isnull=True, product__track_stock=True) | Q(variant__track_stock=True)

    def tracked(self):
        return self.filter(self.tracked_q())

    def low(self, at: int = LOW_STOCK_AT):
        """Tracked stock with `at` or fewer units available, fewest first."""
        return (
            self.tracked()
            .alias(left=F("on_hand") - F("held"))
            .filter(left__lte=at)
            .order_by("left", "pk")
        )


class StockLevel(models.Model):
    """What a product (sold without variants) or a variant has on hand, and how much of it open
    checkouts hold. Changed only by products.stock and the stock admin, in conditional UPDATEs;
    kept out of the product's revisions, so publishing a draft never brings back old counts."""

    product = models.OneToOneField(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="stock_level"
    )
    variant = models.OneToOneField(
        ProductVariant,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="stock_level",
    )
    # Signed: a payment arriving after its hold was released can sell a unit already gone.
    on_hand = models.IntegerField(
        default=0,
        validators=[
            MinValueValidator(0, message="Count what is on the shelf: zero or more units.")
        ],
        help_text="Units on the shelf, sold or not.",
    )
    held = models.PositiveIntegerField(
        default=0, help_text="Units open checkouts hold until they are paid or closed."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = StockLevelQuerySet.as_manager()

    class Meta:
        verbose_name = "stock"
        verbose_name_plural = "stock"
        constraints = [
            models.CheckConstraint(
                condition=Q(product__isnull=True) ^ Q(variant__isnull=True),
                name="stock_level_of_a_product_or_a_variant",
            )
        ]

    def __str__(self):
        return str(self.variant if self.variant_id else self.product)

    @property
    def available(self) -> int:
        return self.on_hand - self.held

    @property
    def sku(self) -> str:
        return self.variant.sku if self.variant_id else ""

    @property
    def is_tracked(self) -> bool:
        return (self.variant if self.variant_id else self.product).track_stock

    @property
    def summary(self) -> str:
        if not self.is_tracked:
            return "Not tracked"
        return f"{self.on_hand} on hand, {self.held} held, {self.available} available"


def _stock_level_of(item) -> StockLevel | None:
    if item.pk is None:
        return None
    try:
        return item.stock_level
    except StockLevel.DoesNotExist:
        return None


def _available(item) -> int | None:
    """Units a checkout could still hold of a product or variant; None when not tracked."""
    if not item.track_stock:
        return None
    level = _stock_level_of(item)
    return 0 if level is None else level.available


def _sold_out(item) -> bool:
    available = _available(item)
    return available is not None and available <= 0


class ProductImage(Orderable):
    """One more picture of a product; its alt text is the image's description or title."""

    product = ParentalKey(Product, on_delete=models.CASCADE, related_name="gallery_images")
    image = models.ForeignKey("wagtailimages.Image", on_delete=models.CASCADE, related_name="+")

    panels = [FieldPanel("image")]

    def __str__(self):
        return f"{self.product} image {self.sort_order}"
