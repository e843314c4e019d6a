"""Command-line argument types shared by the shop's management commands."""

import argparse
import re
from datetime import timedelta

DURATION = re.compile(r"^(?P<amount>\d{1,6})(?P<unit>[mhd])$")
UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    """A window like 30m, 12h or 2d."""
    match = DURATION.match(text.strip())
    if match is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a duration; use a whole number and m, h or d, like 30m, 12h or 2d."
        )
    return timedelta(**{UNITS[match["unit"]]: int(match["amount"])})
