"""What a product listing shows: the order, filters and page a shopper asked for, read leniently.

Anything a listing cannot use (an unknown order, a category that is not listed, a page past the
end or not a number) falls back to the default, so a hand-edited address never fails.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import QueryDict

from .images import with_card_images
from .models import Product

PAGE_SIZE = 24
SORTS = {
    "featured": ("Featured", ("sort_order", "name", "pk")),
    "price": ("Price, low to high", ("price", "name", "pk")),
    "price-desc": ("Price, high to low", ("-price", "name", "pk")),
    "newest": ("Newest", ("-first_published_at", "-pk")),
}
DEFAULT_SORT = "featured"


@dataclass(frozen=True)
class ListingChoices:
    sort: str = DEFAULT_SORT
    category: str = ""
    in_stock: bool = False

    @classmethod
    def from_query(cls, query: QueryDict, category_slugs=()) -> "ListingChoices":
        sort = query.get("sort", "")
        category = query.get("category", "")
        return cls(
            sort=sort if sort in SORTS else DEFAULT_SORT,
            category=category if category in category_slugs else "",
            in_stock=query.get("in_stock") == "1",
        )

    def query_string(self, **changes) -> str:
        """This listing's address with some choices changed, defaults left out."""
        params = {
            "sort": self.sort if self.sort != DEFAULT_SORT else "",
            "category": self.category,
            "in_stock": "1" if self.in_stock else "",
            **changes,
        }
        return "?" + urlencode({name: value for name, value in params.items() if value})


@dataclass(frozen=True)
class Listing:
    choices: ListingChoices
    page: Page
    categories: list
    sorts: dict

    def page_url(self, number: int) -> str:
        return self.choices.query_string(page=number if number > 1 else "")


def product_listing(query: QueryDict, *, category=None, categories=()) -> Listing:
    """One page of live products, of `category` if given, filtered and sorted as asked."""
    categories = list(categories)
    by_slug = {option.slug: option for option in categories}
    choices = ListingChoices.from_query(query, category_slugs=by_slug)
    products = Product.objects.live().with_availability()
    if choices.in_stock:
        products = products.in_stock()
    chosen = category or by_slug.get(choices.category)
    if chosen is not None:
        products = products.filter(categories=chosen)
    products = with_card_images(products.order_by(*SORTS[choices.sort][1]))
    page = Paginator(products, PAGE_SIZE).get_page(query.get("page"))
    return Listing(
        choices=choices,
        page=page,
        categories=categories,
        sorts={key: label for key, (label, _) in SORTS.items()},
    )
