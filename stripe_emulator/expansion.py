"""Shaping answers from the store: `expand[]` paths, list pages and list filters."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from stripe_emulator.errors import StripeError, invalid_parameter, no_such
from stripe_emulator.params import get_int, get_string
from stripe_emulator.store import JsonObject, Store

EXPANDED_LINE_ITEMS_LIMIT = 10


def expanded(store: Store, found: JsonObject, paths: list[str]) -> JsonObject:
    """A copy of the object with each dotted path replaced by the object it names."""
    result = copy.deepcopy(found)
    for path in paths:
        _expand_path(store, result, path.split("."), path)
    return result


def expanded_list(store: Store, page: JsonObject, paths: list[str]) -> JsonObject:
    for path in paths:
        if not path.startswith("data."):
            raise _cannot_expand(path)
    item_paths = [path.removeprefix("data.") for path in paths]
    page["data"] = [expanded(store, item, item_paths) for item in page["data"]]
    return page


def line_items_page(store: Store, session_id: str, params: Mapping[str, Any]) -> JsonObject:
    return paginate(
        store.line_items[session_id],
        params,
        f"/v1/checkout/sessions/{session_id}/line_items",
        "item",
    )


def _expand_path(store: Store, node: JsonObject, segments: list[str], path: str) -> None:
    head, rest = segments[0], segments[1:]
    if node.get("object") == "list" and head == "data" and rest:
        for item in node["data"]:
            _expand_path(store, item, rest, path)
        return
    if (
        head == "line_items"
        and node.get("object") == "checkout.session"
        and not isinstance(node.get("line_items"), dict)
    ):
        node["line_items"] = line_items_page(
            store, node["id"], {"limit": str(EXPANDED_LINE_ITEMS_LIMIT)}
        )
    _include(store, node, head, rest)
    if head not in node:
        raise _cannot_expand(path)
    value = node[head]
    if isinstance(value, str):
        if value not in store.objects:
            raise _cannot_expand(path)
        value = node[head] = copy.deepcopy(store.objects[value])
    elif value is None:
        return
    elif isinstance(value, list):
        for item in value if rest else ():
            if isinstance(item, dict):
                _expand_path(store, item, rest, path)
        return
    elif not isinstance(value, dict):
        raise _cannot_expand(path)
    if rest:
        _expand_path(store, value, rest, path)


def _include(store: Store, node: JsonObject, head: str, rest: list[str]) -> None:
    """Add a field Stripe leaves out unless expanded (`total_details.breakdown`, an item's
    `discounts` and `taxes`), kept beside its object in the store."""
    if node.get("object") == "item" and head in ("discounts", "taxes"):
        node[head] = copy.deepcopy(store.includable.get(node["id"], {}).get(head, []))
    elif (
        node.get("object") == "checkout.session"
        and head == "total_details"
        and rest[:1] == ["breakdown"]
        and node["total_details"] is not None
    ):
        node["total_details"]["breakdown"] = copy.deepcopy(
            store.includable[node["id"]]["breakdown"]
        )


def reject_unsupported_filters(params: Mapping[str, Any], supported: set[str]) -> None:
    # Ignoring a filter would silently return too much, so refuse it instead.
    pagination = {"limit", "starting_after", "ending_before", "expand"}
    for name in params:
        if name not in supported | pagination:
            raise invalid_parameter(
                f"The Stripe emulator does not support the `{name}` filter.",
                param=name,
            )


def paginate(
    items: list[JsonObject], params: Mapping[str, Any], url: str, object_name: str
) -> JsonObject:
    limit = get_int(params, "limit", minimum=1, maximum=100) or 10
    starting_after = get_string(params, "starting_after")
    ending_before = get_string(params, "ending_before")
    ids = [item["id"] for item in items]
    if starting_after is not None:
        if starting_after not in ids:
            raise no_such(object_name, starting_after, param="starting_after")
        window = items[ids.index(starting_after) + 1 :]
        page = window[:limit]
    elif ending_before is not None:
        if ending_before not in ids:
            raise no_such(object_name, ending_before, param="ending_before")
        window = items[: ids.index(ending_before)]
        page = window[-limit:]
    else:
        window = items
        page = window[:limit]
    return {
        "object": "list",
        "data": copy.deepcopy(page),
        "has_more": len(window) > limit,
        "url": url,
    }


def _cannot_expand(path: str) -> StripeError:
    return invalid_parameter(f"This property cannot be expanded ({path}).", param="expand")
