"""The emulator's HTTP server and its in-process control API."""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from urllib.parse import urlsplit

from stripe_emulator.account import Account
from stripe_emulator.api import StripeApi, unrecognized_url
from stripe_emulator.controls import Controls
from stripe_emulator.errors import StripeError
from stripe_emulator.hosted_page import PAGE_PATH, HostedPage
from stripe_emulator.responses import Request, Response, json_response
from stripe_emulator.webhooks import DeliveryAttempt, WebhookDispatcher

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024


class _Unset(enum.Enum):
    UNSET = enum.auto()


UNSET = _Unset.UNSET


@dataclass
class NetworkFaults:
    """Trouble between a client and the API routes, for tests of time-outs and retries.

    `delay_seconds` holds every API request that long before it is handled (a slow or,
    past the client's time-out, hanging Stripe). `lost_answers` counts API requests still to
    be handled in full whose answer is then never sent: the connection just closes.
    """

    delay_seconds: float = 0.0
    lost_answers: int = 0


class StripeEmulator:
    """An offline stand-in for the parts of Stripe a Checkout shop uses.

    Point the SDK at it with
    `stripe.StripeClient("sk_test_...", base_addresses={"api": emulator.base_url})`.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        merchant_name: str = "Wagtail Shop",
        retry_delays: Sequence[float] = (0.5, 1, 2, 4),
        delivery_timeout: float = 10.0,
        async_settle_seconds: float | None = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host
        self.port = port
        self.merchant_name = merchant_name
        self._dispatcher = WebhookDispatcher(
            retry_delays=retry_delays,
            timeout=delivery_timeout,
            url=webhook_url,
            secret=webhook_secret,
        )
        self.account = Account(
            dispatcher=self._dispatcher,
            async_settle_seconds=async_settle_seconds,
            clock=clock,
        )
        self._api = StripeApi(self.account)
        self._page = HostedPage(self.account, merchant_name)
        self._controls = Controls(
            self.account, self._dispatcher, reset=self.reset, configure=self.configure
        )
        self._server: _EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._faults = NetworkFaults()
        self._faults_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("The Stripe emulator has not been started.")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> StripeEmulator:
        self._server = _EmulatorHTTPServer((self.host, self.port), self)
        self.account.base_url = self.base_url
        self._dispatcher.start()
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="stripe-emulator-http",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._dispatcher.stop()
        self.account.cancel_timers()
        self._server = None
        self._thread = None

    def __enter__(self) -> StripeEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def configure(
        self,
        *,
        webhook_url: str | None | _Unset = UNSET,
        webhook_secret: str | None | _Unset = UNSET,
    ) -> None:
        """Change the webhook endpoint; arguments left out keep their value."""
        url = self._dispatcher.url if webhook_url is UNSET else webhook_url
        secret = self._dispatcher.secret if webhook_secret is UNSET else webhook_secret
        self._dispatcher.configure(url=url or None, secret=secret or None)

    def wait_for_deliveries(self, timeout: float = 10.0) -> None:
        """Block until no webhook is queued, in flight or waiting for a retry."""
        if not self._dispatcher.wait_until_idle(timeout):
            raise TimeoutError(f"Webhook deliveries still pending after {timeout}s")

    def deliveries(self) -> list[DeliveryAttempt]:
        return self._dispatcher.attempts()

    def set_network_faults(self, delay_seconds: float = 0.0, lost_answers: int = 0) -> None:
        """Slow the API down or lose its next answers; calling with no arguments heals it."""
        with self._faults_lock:
            self._faults = NetworkFaults(delay_seconds=delay_seconds, lost_answers=lost_answers)

    def api_delay(self) -> float:
        with self._faults_lock:
            return self._faults.delay_seconds

    def take_lost_answer(self) -> bool:
        """Whether the answer to the API request just handled is to be lost."""
        with self._faults_lock:
            if self._faults.lost_answers <= 0:
                return False
            self._faults.lost_answers -= 1
            return True

    def reset(self) -> None:
        """Forget every object, event, delivery and idempotency key; heal the network."""
        self.set_network_faults()
        self.account.reset()
        self._api.reset()
        self._dispatcher.clear()

    def handle(self, request: Request) -> Response:
        path = request.path
        if path == "/v1" or path.startswith("/v1/"):
            return self._api.handle(request)
        if path.startswith("/_emulator/"):
            return self._controls.handle(request)
        page = PAGE_PATH.fullmatch(path)
        if page is not None:
            return self._page.handle(request, page["id"])
        error = unrecognized_url(request)
        return json_response(error.status, error.body())


class _EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], emulator: StripeEmulator) -> None:
        self.emulator = emulator
        super().__init__(address, _RequestHandler)

    def handle_error(self, request: object, client_address: object) -> None:
        logger.debug("Connection from %s failed", client_address, exc_info=True)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "StripeEmulator/1.0"
    # The headers and the body go out in two writes: with Nagle's algorithm the body would wait
    # for the client's delayed acknowledgement of the headers, 40 ms on Linux, on every call.
    disable_nagle_algorithm = True
    server: _EmulatorHTTPServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s - " + format, self.address_string(), *args)

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            error = StripeError(400, "Invalid Content-Length header.")
            self._send(json_response(error.status, error.body()))
            return
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = Request(self.command, url.path, url.query, self.headers, body)
        emulator = self.server.emulator
        is_api = url.path == "/v1" or url.path.startswith("/v1/")
        if is_api and (delay := emulator.api_delay()):
            time.sleep(delay)
        try:
            response = emulator.handle(request)
        except Exception:
            logger.exception("Stripe emulator failed on %s %s", self.command, self.path)
            error = StripeError(
                500,
                "An unexpected error occurred inside the Stripe emulator.",
                error_type="api_error",
            )
            response = json_response(error.status, error.body())
        if is_api and emulator.take_lost_answer():
            self.close_connection = True
            return
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)
