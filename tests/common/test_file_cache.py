"""The embedded default's file cache counts correctly when several processes count at once (`make run` is a web
server and a worker with two children), and keeps a counter's expiry as Redis does."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from outlet.common.file_cache import SharedFileCache

ROOT = Path(__file__).resolve().parents[2]
BACKEND = "outlet.common.file_cache.SharedFileCache"

# One process of the race: says it is ready, waits for the start signal (a file), then either increments one
# counter or tries to `add` each of a list of keys, and prints what it won.
CONTENDER = """
import json, os, sys, time
from django.utils.module_loading import import_string
backend, folder, job, count, signals = sys.argv[1:6]
cache = import_string(backend)(folder, {"TIMEOUT": 600})
open(os.path.join(signals, f"ready-{os.getpid()}"), "w").close()
while not os.path.exists(os.path.join(signals, "go")):
    time.sleep(0.001)
if job == "incr":
    for _ in range(int(count)):
        cache.incr("hits")
    print(json.dumps([]))
else:
    print(json.dumps([n for n in range(int(count)) if cache.add(f"lock-{n}", "mine", timeout=600)]))
"""


def race(folder: Path, *, job: str, count: int, processes: int = 3, backend: str = BACKEND) -> list[list[int]]:
    """Start the processes, let them all get ready, then start them at once, so they really run side by side."""
    signals = folder.parent / f"{folder.name}-signals"
    signals.mkdir()
    running = [
        subprocess.Popen(
            [sys.executable, "-c", CONTENDER, backend, str(folder), job, str(count), str(signals)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    deadline = time.monotonic() + 60
    while len(list(signals.glob("ready-*"))) < processes and time.monotonic() < deadline:
        time.sleep(0.01)
    (signals / "go").touch()
    results = []
    for process in running:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err
        results.append(json.loads(out))
    return results


def test_increments_from_several_processes_at_once_are_never_lost(tmp_path):
    folder = tmp_path / "cache"
    cache = SharedFileCache(str(folder), {})
    cache.add("hits", 0, timeout=600)

    race(folder, job="incr", count=400)

    assert cache.get("hits") == 3 * 400


def test_exactly_one_process_wins_each_add(tmp_path):
    won = race(tmp_path / "cache", job="add", count=300)

    winners = [n for process in won for n in process]
    assert sorted(winners) == list(range(300)), "every key added once, by one process"


def test_incrementing_keeps_the_expiry_the_counter_was_given(tmp_path):
    cache = SharedFileCache(str(tmp_path), {"TIMEOUT": 300})
    with time_machine.travel(datetime(2026, 3, 2, 12, tzinfo=UTC), tick=False) as clock:
        cache.add("slot", 0, timeout=720)
        clock.shift(timedelta(seconds=100))
        assert cache.incr("slot") == 1
        assert cache.decr("slot") == 0
        assert cache.incr("slot", 5) == 5

        clock.shift(timedelta(seconds=500))  # past the default 300 s after the last increment, within the 720 s
        assert cache.get("slot") == 5

        clock.shift(timedelta(seconds=121))
        assert cache.get("slot") is None
        with pytest.raises(ValueError):
            cache.incr("slot")


def test_a_missing_counter_cannot_be_incremented_and_the_lock_file_survives_clear(tmp_path):
    cache = SharedFileCache(str(tmp_path), {})
    with pytest.raises(ValueError):
        cache.incr("never-added")
    cache.add("a", 1)

    cache.clear()

    assert cache.get("a") is None
    assert cache.add("a", 2) is True and cache.incr("a") == 3
