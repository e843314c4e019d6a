"""What a product listing shows: the order, filters and page a shopper asked for, read leniently.

Anything a listing cannot use (an unknown order, a category that is not listed, a page past the
end or not a number) falls back to the default, so a hand-edited address never fails.
"""

from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import QueryDict

from .images import with_card_images
from .models import Product
from .query_strings import DEFAULT_SORT, MAX_SLUG_LENGTH, PAGE_NUMBER
from .stored_parts import stored_part

PAGE_SIZE = 24
SORTS = {
    "featured": ("Featured", ("sort_order", "name", "pk")),
    "price": ("Price, low to high", ("price", "name", "pk")),
    "price-desc": ("Price, high to low", ("-price", "name", "pk")),
    "newest": ("Newest", ("-first_published_at", "-pk")),
}


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

    @property
    def shown_query(self) -> str:
        """The page shown, as the listing's own links name it."""
        return self.page_url(self.page.number)


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


def listing_context(query: QueryDict, *, page_id: int, category=None, categories=()) -> dict:
    """What a category or index page needs for its listing: the part as stored, or the listing
    to render, stored afterwards when the address names it the way the listing's links do; and
    `shown_query`, the way they name the page shown."""
    part = stored_part(_part_key(query, page_id))
    if part.html is not None:
        return {"listing_part": part, "shown_query": _query_of_stored_part(query)}
    listing = product_listing(query, category=category, categories=categories)
    if not _names_listing_exactly(query, listing):
        # A category that is not listed or a page past the end shows the default, but is not
        # stored under its own address: only real listings take room in the cache.
        part = replace(part, key=None)
    return {"listing": listing, "listing_part": part, "shown_query": listing.shown_query}


def _part_key(query: QueryDict, page_id: int) -> str | None:
    page = query.get("page", "1")
    category = query.get("category", "")
    if not PAGE_NUMBER.fullmatch(page) or len(category) > MAX_SLUG_LENGTH:
        return None
    choices = ListingChoices.from_query(query)
    return f"catalogue-listing:{page_id}:{choices.sort}:{int(choices.in_stock)}:{page}:{category}"


def _query_of_stored_part(query: QueryDict) -> str:
    """A part is stored only for an address naming its listing exactly, so the category and page
    it names are the listing's own."""
    choices = replace(ListingChoices.from_query(query), category=query.get("category", ""))
    page = query.get("page", "1")
    return choices.query_string(page=page if page != "1" else "")


def _names_listing_exactly(query: QueryDict, listing: Listing) -> bool:
    return query.get("category", "") == listing.choices.category and query.get("page", "1") == str(
        listing.page.number
    )
