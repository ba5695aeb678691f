"""The card-testing shield in the embedded default (`make run`: SQLite, no Redis): declines counted by one process
switch the challenge on for another, as the worker's count must reach the web server's donation form.

Two real OS processes run the embedded-default settings (no REDIS_URL, no DATABASE_URL, their own var/ folder,
so one SQLite file and one cache folder between them, as `make run` has)."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A process of the embedded default answering one command a line: "decline <payment> [<unix time>]" counts a
# declined payment as the worker does on the provider's event (at that time, else now), "look" only reads; both
# answer with what the admin page and the donation form would see in this process.
PROCESS = """
import json, sys
from datetime import UTC, datetime
import django
django.setup()
from django.conf import settings
from django.db import connection
from django.utils import timezone
from donations import abuse
from donations.models import CheckoutShield

if sys.argv[1] == "first":  # the shield's one table, in the fresh SQLite file both processes share
    with connection.schema_editor() as editor:
        editor.create_model(CheckoutShield)
print(json.dumps({"cache": settings.CACHES["default"]["BACKEND"]}), flush=True)
for line in sys.stdin:
    command, *args = line.split()
    if command == "decline":
        at = datetime.fromtimestamp(float(args[1]), tz=UTC) if len(args) > 1 else timezone.now()
        abuse.record_decline(occurred_at=at, reference=args[0])
    state = abuse.attack_state()
    print(json.dumps({"declined": state.declines_in_window, "challenge": abuse.challenge_required()}), flush=True)
"""

PRODUCTION_SWITCHES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "OUTLET_ENV", "CACHE_KEY_PREFIX")


class EmbeddedProcess:
    def __init__(self, var_dir: Path, role: str) -> None:
        env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_SWITCHES}
        env |= {"OUTLET_VAR_DIR": str(var_dir), "DJANGO_SETTINGS_MODULE": "outlet.settings"}
        self.log = var_dir / f"{role}.log"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-c", PROCESS, role],
                cwd=ROOT,
                env=env,
                text=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
            )
        self.settings = self._answer()

    def _answer(self) -> dict:
        ready, _, _ = select.select([self.process.stdout], [], [], 60)
        line = self.process.stdout.readline() if ready else ""
        if not line:
            self.process.kill()
            pytest.fail(f"the process did not answer:\n{self.log.read_text()}")
        return json.loads(line)

    def send(self, command: str) -> dict:
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        return self._answer()

    def decline(self, payment: str, *, at: float | None = None) -> dict:
        return self.send(f"decline {payment}" + (f" {at}" if at is not None else ""))

    def look(self) -> dict:
        return self.send("look")

    def stop(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=20)


@pytest.fixture
def two_processes(tmp_path):
    worker = EmbeddedProcess(tmp_path, "first")  # makes the table before the other process starts
    web = EmbeddedProcess(tmp_path, "second")
    yield worker, web
    for process in (worker, web):
        process.stop()


def test_declines_counted_in_two_processes_switch_the_challenge_on_for_both(two_processes):
    worker, web = two_processes
    assert "Redis" not in worker.settings["cache"], "the embedded default, not production's Redis"

    for n in range(4):
        worker.decline(f"pi_worker_{n}")
    assert web.look() == {"declined": 4, "challenge": False}  # the staff page counts the worker's declines

    for n in range(3):
        web.decline(f"pi_web_{n}")
    assert worker.look() == {"declined": 7, "challenge": False}  # one short of the spike (8 in 10 minutes)

    assert worker.decline("pi_worker_last") == {"declined": 8, "challenge": True}
    assert web.look() == {"declined": 8, "challenge": True}, "the form asks for the challenge at once"


def test_an_event_redelivered_to_the_other_process_is_counted_once(two_processes):
    worker, web = two_processes
    declined_at = time.time() - 30

    assert worker.decline("pi_same", at=declined_at) == {"declined": 1, "challenge": False}
    assert web.decline("pi_same", at=declined_at) == {"declined": 1, "challenge": False}
    assert web.decline("pi_other") == {"declined": 2, "challenge": False}
    assert worker.look() == {"declined": 2, "challenge": False}
