"""A real SMTP server (aiosmtpd) on a free local port, for tests of how the shop sends mail."""

import asyncio
import socket
import threading
from email import message_from_bytes
from email.message import Message

from aiosmtpd.controller import Controller


class StallingMailServer:
    """Accepts mail, except that it holds the first `stall` messages at the end of DATA without
    answering, until the client goes away or `release()` is called. A message counts as
    delivered only once the server has answered 250 for it, as with any mail server."""

    def __init__(self, stall: int = 0):
        self.delivered: list[Message] = []
        self.stalling = threading.Event()
        self._stalls_left = stall
        self._release: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):
        if self._stalls_left:
            self._stalls_left -= 1
            self._loop = asyncio.get_running_loop()
            self._release = asyncio.Event()
            self.stalling.set()
            # Cancelled if the client disconnects: the message is then never answered for.
            await self._release.wait()
        self.delivered.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"

    def release(self) -> None:
        if self._loop is not None and self._release is not None:
            self._loop.call_soon_threadsafe(self._release.set)

    def __enter__(self) -> "StallingMailServer":
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release()
        self._controller.stop()
