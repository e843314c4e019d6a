"""Every Stripe call ends within STRIPE_TIME_BUDGET_SECONDS, and that fits a web worker's time."""

import pytest

from orders import checks, stripe_gateway


def test_the_tries_and_the_pauses_between_them_add_up_to_the_budget():
    # The SDK pauses at most 0.5 s before its first retry and 1 s before its second.
    assert stripe_gateway.longest_retry_pauses() == 1.5
    assert stripe_gateway.seconds_per_try(9.0) == 2.5
    tries = 1 + stripe_gateway.MAX_NETWORK_RETRIES
    assert tries * stripe_gateway.seconds_per_try(20.0) + 1.5 == 20.0


@pytest.mark.parametrize(
    ("budget", "gunicorn_timeout", "error"),
    [
        (9.0, None, None),
        (9.0, "45", None),
        # Raising the configured time-out does not help a server started without the config.
        (12.0, "120", "orders.E003"),
        (9.0, "20", "orders.E003"),
        (5.0, "20", None),
        (2.0, None, "orders.E002"),
    ],
)
def test_a_budget_that_does_not_fit_a_request_is_refused_at_start(
    settings, monkeypatch, budget, gunicorn_timeout, error
):
    settings.STRIPE_TIME_BUDGET_SECONDS = budget
    if gunicorn_timeout is None:
        monkeypatch.delenv("GUNICORN_TIMEOUT", raising=False)
    else:
        monkeypatch.setenv("GUNICORN_TIMEOUT", gunicorn_timeout)

    found = checks.stripe_budget_fits_a_request(None)

    assert [problem.id for problem in found] == ([error] if error else [])


def test_the_default_budget_passes_the_check():
    assert checks.stripe_budget_fits_a_request(None) == []
