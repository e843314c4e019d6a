"""Who is shopping: a signed-in user, or an anonymous visitor known by their session."""

import secrets

SHOPPER_SESSION_KEY = "shopper_id"


def anonymous_key(session) -> str:
    """A random id kept in the session data, so it survives Django's key rotation at login."""
    if SHOPPER_SESSION_KEY not in session:
        session[SHOPPER_SESSION_KEY] = secrets.token_urlsafe(24)
    return f"session:{session[SHOPPER_SESSION_KEY]}"


def owner_key(request) -> str:
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return anonymous_key(request.session)


def known_owner_key(request) -> str | None:
    """The visitor's key without creating one, for pages that only read."""
    if request.user.is_authenticated:
        return f"user:{request.user.pk}"
    shopper_id = request.session.get(SHOPPER_SESSION_KEY)
    return f"session:{shopper_id}" if shopper_id else None
