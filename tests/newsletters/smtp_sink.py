"""A real SMTP server (aiosmtpd) in the test process that keeps what it is sent: to whom, with which Message-ID.
`on_message` runs before the server answers 250, so a test can kill the sender while it waits for that answer."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from email import message_from_bytes

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Sink:
    def __init__(self, on_message: Callable[[int], None] | None = None):
        self.received: list[tuple[str, str]] = []  # (recipient, Message-ID), one per message accepted
        self.lock = threading.Lock()
        self.on_message = on_message
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802  # aiosmtpd's hook name
        message = message_from_bytes(envelope.content)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received.append((recipient, message["Message-ID"]))
            count = len(self.received)
        if self.on_message:
            self.on_message(count)
        return "250 OK"

    def __enter__(self) -> Sink:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def count(self) -> int:
        with self.lock:
            return len(self.received)
