import os

from django.conf import settings
from django.core.checks import Error, register

from . import stripe_gateway

# gunicorn's own default, for a server started without config/gunicorn.conf.py; with it, the
# worker time-out is GUNICORN_TIMEOUT (45 s unless set). The budget must fit the shorter one.
GUNICORN_DEFAULT_TIMEOUT = 30
GUNICORN_CONF_TIMEOUT = 45
# The most Stripe calls one request makes in a row: a changed cart expires the old session,
# reads it back when Stripe says it already closed, then opens the new one.
STRIPE_CALLS_PER_REQUEST = 3
# Time for the rest of the request (database, rendering) after its Stripe calls.
REQUEST_MARGIN_SECONDS = 3
# Below this a try cannot even reach Stripe from a distant region.
SHORTEST_TRY_SECONDS = 0.5


@register(deploy=True)
def stripe_webhook_secret_configured(app_configs, **kwargs):
    if settings.STRIPE_WEBHOOK_SECRET:
        return []
    return [
        Error(
            "STRIPE_WEBHOOK_SECRET is not set, so every Stripe webhook will be refused.",
            hint="Set it to the signing secret of your webhook endpoint (whsec_...).",
            id="orders.E001",
        )
    ]


def worker_timeout() -> int:
    """The shortest time a web worker may spend on one request, however the shop is started."""
    configured = int(os.environ.get("GUNICORN_TIMEOUT") or GUNICORN_CONF_TIMEOUT)
    return min(GUNICORN_DEFAULT_TIMEOUT, configured)


@register()
def stripe_budget_fits_a_request(app_configs, **kwargs):
    """A hanging Stripe must end in the shop's own 'try again' page, not a killed worker."""
    budget = settings.STRIPE_TIME_BUDGET_SECONDS
    tries = 1 + stripe_gateway.MAX_NETWORK_RETRIES
    shortest = stripe_gateway.longest_retry_pauses() + tries * SHORTEST_TRY_SECONDS
    if stripe_gateway.seconds_per_try(budget) < SHORTEST_TRY_SECONDS:
        return [
            Error(
                f"STRIPE_TIME_BUDGET_SECONDS={budget:g} leaves each of the {tries} tries "
                f"less than {SHORTEST_TRY_SECONDS:g} s.",
                hint=f"Set it to at least {shortest:g}.",
                id="orders.E002",
            )
        ]
    longest = (worker_timeout() - REQUEST_MARGIN_SECONDS) / STRIPE_CALLS_PER_REQUEST
    if budget > longest:
        return [
            Error(
                f"STRIPE_TIME_BUDGET_SECONDS={budget:g} does not fit in a request: a checkout "
                f"makes up to {STRIPE_CALLS_PER_REQUEST} Stripe calls in a row and the web "
                f"worker is stopped after {worker_timeout()} s, so a hanging Stripe would end "
                "in a bare server error instead of the shop's 'try again' page.",
                hint=f"Set it to {longest:g} or less.",
                id="orders.E003",
            )
        ]
    return []
