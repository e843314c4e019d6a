"""JSON request bodies, parsed so that no body, however it is built, can crash a request."""

import json

# Stripe's events nest about ten levels and the shop's own JSON API three; anything far deeper
# is hostile or broken, and deep enough nesting exhausts Python's stack while decoding.
MAX_DEPTH = 64


class InvalidJSON(ValueError):
    """The body is not JSON the shop accepts; the message says why, for the sender."""


def parse(body: bytes | str) -> object:
    """Decode a JSON body, refusing invalid text and nesting beyond MAX_DEPTH with InvalidJSON."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise InvalidJSON(_too_deep()) from None
    except ValueError:
        raise InvalidJSON("The body is not valid JSON.") from None
    # Each level opens a bracket: a body with few brackets cannot nest too deeply.
    opening = (b"{", b"[") if isinstance(body, bytes) else ("{", "[")
    brackets = sum(body.count(bracket) for bracket in opening)
    if brackets > MAX_DEPTH and _nests_deeper_than(value, MAX_DEPTH):
        raise InvalidJSON(_too_deep())
    return value


def _too_deep() -> str:
    return f"The JSON is nested too deeply; at most {MAX_DEPTH} levels are accepted."


def _nests_deeper_than(value: object, limit: int) -> bool:
    # A loop, not recursion: the value may be nearly as deep as the stack allows.
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False
