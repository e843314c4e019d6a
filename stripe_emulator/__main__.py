"""Run the emulator in the foreground: `python -m stripe_emulator --port 12111`."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
from collections.abc import Sequence

from stripe_emulator.server import StripeEmulator


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m stripe_emulator",
        description="Offline Stripe Checkout emulator.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=12111)
    parser.add_argument("--webhook-url", help="where webhook events are POSTed")
    parser.add_argument("--webhook-secret", help="whsec_... used to sign them")
    parser.add_argument("--merchant-name", default="Wagtail Shop")
    parser.add_argument(
        "--async-settle-seconds",
        type=float,
        default=5.0,
        help="delay before a bank transfer payment succeeds on its own",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")

    emulator = StripeEmulator(
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        merchant_name=args.merchant_name,
        async_settle_seconds=args.async_settle_seconds,
    )
    emulator.start()
    print(emulator.base_url, flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
