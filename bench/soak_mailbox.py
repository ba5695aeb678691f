"""The soak's mailbox: Django's file email backend (EMAIL_URL=filemail:///...) as a reader of it.

The backend appends each message to a file named by the second and the connection, followed by a line of 79
dashes; several messages may share a file. This reads what is complete, remembers how far it read, and answers
"the verification code sent to X" and "every message, with its To and Subject"."""

from __future__ import annotations

import email
import email.policy
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SEPARATOR = b"\n" + b"-" * 79 + b"\n"
CODE = re.compile(r"^\s*([A-Z0-9]{4}-[A-Z0-9]{4})\s*$", re.M)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    file: str
    text: str  # the plain-text part (for codes and links), at most a few kilobytes


class Mailbox:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.messages: list[Message] = []
        self._offsets: dict[str, int] = {}
        self._lock = threading.Lock()

    def scan(self) -> None:
        with self._lock:
            if not self.folder.exists():
                return
            for path in sorted(self.folder.iterdir()):
                done = self._offsets.get(path.name, 0)
                try:
                    if path.stat().st_size <= done:
                        continue
                    data = path.read_bytes()
                except OSError:
                    continue
                end = data.rfind(SEPARATOR)
                if end < 0 or end + len(SEPARATOR) <= done:
                    continue
                chunk = data[done : end + len(SEPARATOR)]
                self._offsets[path.name] = end + len(SEPARATOR)
                for raw in chunk.split(SEPARATOR):
                    if raw.strip():
                        self.messages.append(_parse(raw, path.name))

    def code_for(self, address: str, *, after: int = 0, timeout: float = 20.0) -> str | None:
        """The newest verification code mailed to `address` among messages after index `after`."""
        deadline = time.monotonic() + timeout
        while True:
            self.scan()
            for message in reversed(self.messages[after:]):
                if message.to.lower() == address.lower() and (found := CODE.search(message.text)):
                    return found.group(1)
            if time.monotonic() > deadline:
                return None
            time.sleep(0.25)

    def count(self) -> int:
        self.scan()
        return len(self.messages)


def _parse(raw: bytes, file_name: str) -> Message:
    parsed = email.message_from_bytes(raw.lstrip(b"\n"), policy=email.policy.default)
    text = ""
    part = parsed.get_body(preferencelist=("plain",)) if parsed.is_multipart() else parsed
    if part is not None:
        try:
            text = part.get_content()[:4000]
        except (LookupError, ValueError):
            text = ""
    return Message(
        to=str(parsed.get("To", "")).strip(),
        subject=" ".join(str(parsed.get("Subject", "")).split()),
        file=file_name,
        text=text,
    )
