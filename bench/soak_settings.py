"""Settings for bench/soak.py: the real settings (outlet.settings, its URLs and middleware unchanged), with two
knobs the soak turns while gunicorn and the worker run. Neither changes project code; both act only through what
the sandbox provider already reads.

- SANDBOX_SILENT_SECONDS becomes a number read from a file on every use (the sandbox reads the setting on every
  call a person waits on, `_answer_unless_silent` in outlet/payments/providers/sandbox/provider.py): the soak writes
  the file to make the provider go quiet for a while in the running processes, and deletes it to bring it back.
- The sandbox provider is built as bench.soak_sandbox.DelayingSandbox: it holds back a share of its webhooks (the
  events are kept at the "provider", as Stripe keeps them) for the soak to deliver later, shuffled and repeated, as
  a network that delays, reorders and duplicates deliveries would.
"""

import functools
import os
from pathlib import Path

from outlet.payments import providers
from outlet.settings import *  # noqa: F403


class SecondsFromFile:
    """A number of seconds read from a file each time it is used: 0 while the file is missing or empty."""

    def __init__(self, path: str) -> None:
        self.path = Path(path)

    def _value(self) -> float:
        try:
            return float(self.path.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0.0

    def __float__(self) -> float:
        return self._value()

    def __bool__(self) -> bool:
        return self._value() > 0

    def __repr__(self) -> str:
        return f"SecondsFromFile({str(self.path)!r}) = {self._value()}"


SANDBOX_SILENT_SECONDS = SecondsFromFile(os.environ["SOAK_SILENT_FLAG"])

_build_the_usual_way = providers._build


@functools.cache
def _build_for_the_soak(provider_id: str):
    if provider_id == "sandbox":
        from bench.soak_sandbox import DelayingSandbox  # imports models: only once the apps are ready

        return DelayingSandbox()
    return _build_the_usual_way(provider_id)


providers._build = _build_for_the_soak
