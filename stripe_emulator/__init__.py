"""An offline emulator of the Stripe Checkout API, its hosted page and webhooks."""

from stripe_emulator.server import StripeEmulator

__all__ = ["StripeEmulator"]
