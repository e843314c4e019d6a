"""The query strings catalogue pages read (sort, filters, page, search words), in one spelling.

The page cache keys a catalogue page by this spelling, so `?page=1&sort=price` and
`?sort=price` are one stored page, and a query holding anything else is never looked up.
"""

import re
import unicodedata
from urllib.parse import urlencode

from django.http import QueryDict

DEFAULT_SORT = "featured"
# Page numbers a listing's own links can name; anything else is read leniently but never stored.
PAGE_NUMBER = re.compile(r"[1-9][0-9]{0,5}")
MAX_SLUG_LENGTH = 255
# Longer than any product name; a longer query is cut here rather than refused.
MAX_QUERY_LENGTH = 100


def clean_query(raw: str) -> str:
    """What the shopper typed, to show back: control characters dropped, length capped."""
    printable = "".join(
        character if unicodedata.category(character)[0] != "C" else " " for character in raw
    )
    return " ".join(printable.split())[:MAX_QUERY_LENGTH].strip()


def _page_number(value: str) -> str | None:
    if value in ("", "1"):
        return ""
    return value if PAGE_NUMBER.fullmatch(value) else None


def _sort(value: str) -> str | None:
    if value == DEFAULT_SORT:
        return ""
    return _short(value)


def _short(value: str) -> str | None:
    return value if len(value) <= MAX_SLUG_LENGTH else None


# Each parameter a catalogue page reads, spelled as every page reads it: "" when it is the same
# as leaving it out, None when no catalogue link could name it.
SPELLINGS = {
    "category": _short,
    "in_stock": _short,
    "page": _page_number,
    "q": clean_query,
    "sort": _sort,
}


def canonical_query(query: QueryDict) -> str | None:
    """The query in one spelling: parameters in order of name, search words cleaned, empty
    values, the first page and the default sort left out. None when it holds a parameter no
    catalogue page reads, a parameter twice, or a value no catalogue link could hold (a page
    that is not a number, a name longer than any slug)."""
    spelled = {}
    for name, values in query.lists():
        if name not in SPELLINGS or len(values) != 1:
            return None
        value = SPELLINGS[name](values[0])
        if value is None:
            return None
        if value:
            spelled[name] = value
    return urlencode(sorted(spelled.items()))
