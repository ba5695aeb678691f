"""What `make bench` (bench/run_all.py) says about the machine that made its figures: no benchmark runs here."""

from __future__ import annotations

from bench import run_all


def test_the_notes_name_the_machine_s_speed_at_the_start_and_the_end_of_the_run():
    run = {"started": "2026-12-07 23:00 UTC", "quick": False, "benches": {}}
    assert not any(note.startswith("Machine:") for note in run_all.notes_for(run))  # runs from before it was measured

    run |= {"python_loop_seconds": 1.37, "python_loop_seconds_at_end": 1.41}
    machine = [note for note in run_all.notes_for(run) if note.startswith("Machine:")]
    assert machine == [
        "Machine: a pure-Python loop of 10,000,000 additions took 1.37 s at the start and 1.41 s at the end "
        "(best of 3; lower is faster)."
    ]


def test_the_loop_is_timed_in_seconds():
    seconds = run_all.python_loop_seconds(rounds=1)
    assert 0.01 < seconds < 60
