"""Where an anonymous shopper's cart is kept: in the session, each change made under a lock on it.

Django saves a session whole at the end of the request that changed it, from what the request
read at its start. Two tabs adding at once would each save the cart as it was before the other's
line, and the later save would drop that line. A change instead takes a lock held by the
session's key, reads the cart as stored now, applies the one change the shopper asked for and
stores the session before letting go.
"""

from collections.abc import Callable

from django.contrib.sessions.backends.base import UpdateError
from django.db import connection, transaction

Quantities = dict[str, int]
# Keeps these locks apart from any other advisory lock taken on the same database.
LOCK_CLASS = 7_310_001


def change(session, key: str, apply: Callable[[Quantities], None]) -> Quantities | None:
    """Apply a change to the cart stored under `key` in the session and return the cart it
    leaves; None when the session is not stored yet (a first request has no other tab to race).
    An exception raised by the change leaves the cart as it was."""
    if session.session_key is None:
        return None
    try:
        with transaction.atomic():
            _lock(session.session_key)
            stored = type(session)(session.session_key)
            before = dict(stored.get(key, {}))
            if stored.session_key is None:
                # Expired or deleted meanwhile: the request's own save makes a new session.
                return None
            quantities = dict(before)
            apply(quantities)
            if list(quantities.items()) == list(before.items()):
                return quantities
            session[key] = quantities
            session.save()
    except UpdateError:
        return None
    # Saved already: the end of the request must not save again what it read at its start.
    session.modified = False
    return quantities


def _lock(session_key: str) -> None:
    # SQLite takes its one write lock when the transaction begins (transaction_mode IMMEDIATE).
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [LOCK_CLASS, session_key]
            )
