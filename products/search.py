"""Storefront search over live products, on Wagtail's search (PostgreSQL full-text, or SQLite's)."""

import hashlib
import re
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Count, Window
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from wagtail.search.backends import get_search_backend
from wagtail.search.index import insert_or_update_object
from wagtail.signals import page_published, published

from .images import with_card_images
from .listing import PAGE_SIZE
from .models import Product
from .query_strings import PAGE_NUMBER, clean_query
from .stored_parts import StoredPart, stored_part

SUGGESTION_COUNT = 6


@dataclass(frozen=True)
class SearchResults:
    query: str
    page: Page

    @property
    def count(self) -> int:
        return self.page.paginator.count

    def page_url(self, number: int) -> str:
        return results_url(self.query, number)


def results_url(query: str, number: int) -> str:
    """The address of a page of results, the first without its number."""
    return "?" + urlencode({"q": query, "page": number} if number > 1 else {"q": query})


def search_terms(query: str) -> str:
    """Only the words: punctuation means something to full-text query parsers (SQLite's FTS5
    fails on a stray quote), and product names are matched word by word anyway."""
    return " ".join(re.findall(r"\w+", query))


def search_products(raw_query: str, *, page=None) -> SearchResults:
    query = clean_query(raw_query)
    terms = search_terms(query)
    if not terms:
        # Punctuation alone: nothing to look for, so an empty first page.
        return SearchResults(query=query, page=Paginator([], PAGE_SIZE).page(1))
    # Each match carries the number of matches, so the page and its total take one query.
    matches = get_search_backend().search(
        terms,
        with_card_images(Product.objects.live().with_availability()).annotate(
            match_count=Window(Count("pk"))
        ),
        operator="and",
    )
    asked = int(page) if page and PAGE_NUMBER.fullmatch(page) else 1
    products = _page_of(matches, asked)
    count = products[0].match_count if products else 0
    if not products and asked > 1:
        # Past the end: how many there are says which page is the last.
        count = matches.count()
    # Read as Django reads a page number: not a number, the first; past the end, the last.
    shown = Paginator(range(count), PAGE_SIZE).get_page(page)
    if shown.number != asked:
        products = _page_of(matches, shown.number)
    return SearchResults(query=query, page=Page(products, shown.number, shown.paginator))


def _page_of(matches, number: int) -> list[Product]:
    return list(matches[(number - 1) * PAGE_SIZE : number * PAGE_SIZE])


def search_context(raw_query: str, *, page=None) -> dict:
    """What the search page needs: the query to show back and its results, as stored or to
    render (stored afterwards when the page asked for is the page shown); and `shown_query`,
    the address of the page shown as the page's own links name it."""
    query = clean_query(raw_query)
    page = page or "1"
    if not query:
        return {"query": query, "results_part": StoredPart(), "shown_query": ""}
    part = stored_part(_part_key(query, page))
    if part.html is not None:
        # Stored only for a page of results that exists: the page asked for is the page shown.
        return {"query": query, "results_part": part, "shown_query": results_url(query, int(page))}
    results = search_products(query, page=page)
    shown = results.page.number
    if str(shown) != page:
        # A page past the end shows the last one; only pages that exist take room in the cache.
        part = replace(part, key=None)
    return {
        "query": query,
        "search": results,
        "results_part": part,
        "shown_query": results_url(query, shown),
    }


def _part_key(query: str, page: str) -> str | None:
    if not PAGE_NUMBER.fullmatch(page):
        return None
    # Hashed: a query may hold spaces and characters some caches refuse in keys.
    digest = hashlib.sha256(query.encode()).hexdigest()
    return f"catalogue-search:{digest}:{page}"


def suggest_products(raw_query: str, *, limit: int) -> list[Product]:
    """Live products whose name starts with what the shopper is typing, best matches first."""
    terms = search_terms(clean_query(raw_query))
    if not terms:
        return []
    return list(get_search_backend().autocomplete(terms, Product.objects.live())[:limit])


@receiver(published)
def index_published_product(sender, instance, **kwargs):
    """Index a product again once publishing has saved its categories too: the save that
    indexes it first runs before a clusterable model writes its many-to-many rows."""
    if isinstance(instance, Product):
        insert_or_update_object(instance)


@receiver(page_published)
def index_products_of_a_renamed_category(sender, instance, **kwargs):
    from home.models import CategoryPage

    if isinstance(instance, CategoryPage):
        for product in instance.products.all():
            insert_or_update_object(product)


@receiver(pre_delete, sender="home.CategoryPage")
def index_products_of_a_deleted_category(sender, instance, **kwargs):
    """Once the category is gone, its products are found by their other categories only."""
    product_ids = list(instance.products.values_list("pk", flat=True))

    def index_again():
        for product in Product.objects.filter(pk__in=product_ids):
            insert_or_update_object(product)

    if product_ids:
        transaction.on_commit(index_again)
