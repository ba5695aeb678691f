"""Run every benchmark in turn and print Issue 16's one table (bench/table.py), also as bench/results/TABLE.md.

    .venv/bin/python bench/run_all.py                    # `make bench`: the full sizes (an hour or more)
    .venv/bin/python bench/run_all.py --quick            # `make bench-quick`: small sizes, a smoke run (~15 min)
    .venv/bin/python bench/run_all.py --only article_load,receipts
    .venv/bin/python bench/run_all.py --skip scale_out
    .venv/bin/python bench/run_all.py --table-only       # the table from the JSON already in bench/results/

Each benchmark runs as its own process (its output in bench/results/logs/<name>.log) with the databases and Redis
it creates itself; a benchmark that fails, times out or writes no JSON becomes rows saying "failed: <reason>", and
the next one runs. The staff admin benchmark reads the data bench/member_data.py makes: that goes into a database of
its own (`outlet_bench_members` plus $BENCH_DB_SUFFIX), created and filled when missing and kept for the next run.

Two runs on one machine must not share a database or a Redis db: $BENCH_DB_SUFFIX is appended to the database
names of the benchmarks that read it, and --redis-url (or $BENCH_REDIS_URL) is handed to those that take one.
Before a benchmark whose database, port or Redis db is fixed starts, that resource is checked: in use means the row
says so instead of the run clobbering somebody else's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench import table  # noqa: E402

PYTHON = sys.executable
RESULTS = ROOT / "bench" / "results"
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
QUICK_MEMBERS, QUICK_GIFTS = 10_000, 100_000
FULL_MEMBERS, FULL_GIFTS = 100_000, 1_000_000


@dataclass(frozen=True)
class Bench:
    name: str  # also bench/results/<name>.json and bench/<name>.py
    command: list[str]
    full: list[str] = field(default_factory=list)
    quick: list[str] = field(default_factory=list)
    database: str = ""  # the database it creates (before any suffix), to check nobody else is using it
    timeout_minutes: int = 120

    @property
    def source(self) -> str:
        return (ROOT / "bench" / f"{self.name}.py").read_text()


BENCHES = [
    Bench(
        "article_load",
        [PYTHON, "bench/article_load.py"],
        quick=["--duration", "5", "--languages", "en"],
        database="outlet_bench",
    ),
    Bench(
        "campaign_page",
        [PYTHON, "bench/campaign_page.py"],
        full=["--donations", "1000000"],
        quick=["--donations", str(QUICK_GIFTS), "--duration", "5"],
        database="outlet_bench_ledger",
    ),
    Bench(
        "webhook_intake",
        [PYTHON, "-m", "bench.webhook_intake"],
        quick=["--seconds", "5"],
        database="outlet_bench_webhooks",
    ),
    Bench(
        "receipts",
        [PYTHON, "-m", "bench.receipts"],
        full=["--receipts", "10000"],
        quick=["--receipts", "1000", "--render-samples", "50"],
        database="outlet_bench_receipts",
        timeout_minutes=240,
    ),
    Bench(
        "staff_admin",
        [PYTHON, "bench/staff_admin.py"],
        full=["--min-members", str(FULL_MEMBERS), "--min-donations", str(FULL_GIFTS)],
        quick=[
            "--repeat",
            "5",
            "--min-members",
            str(QUICK_MEMBERS),
            "--min-donations",
            str(QUICK_GIFTS),
            "--skip-donation-export",
            "--skip-http",
        ],
    ),
    Bench(
        "scale_out",
        [PYTHON, "-m", "bench.scale_out"],
        quick=["--sizes", "1,2", "--seconds", "5"],
        database="outlet_bench_scale",
    ),
    Bench(
        "newsletter_send",
        [PYTHON, "-m", "bench.newsletter_send"],
        quick=["--recipients", "10000", "--members", "2000"],
        database="outlet_bench_newsletters",
    ),
]
NAMES = [bench.name for bench in BENCHES]


class Busy(Exception):
    """A database, port or Redis db the benchmark would take is somebody else's right now."""


def psql(sql: str, database: str = "postgres") -> str:
    return subprocess.run(
        ["psql", f"{PG}/{database}", "-Atqc", sql], check=True, text=True, capture_output=True
    ).stdout.strip()


def database_exists(name: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def fixed_resources(bench: Bench, suffix: str, redis_url: str) -> list[str]:
    """What of the benchmark's is in use by another process now (an empty list: it may run). Read from its source:
    a benchmark that takes $BENCH_DB_SUFFIX / a free port / $BENCH_REDIS_URL has nothing fixed to check there."""
    source, busy = bench.source, []
    if bench.database:
        name = bench.database + (suffix if "BENCH_DB_SUFFIX" in source else "")
        sessions = psql(f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{name}'")
        if sessions != "0":
            busy.append(f"database {name} ({sessions} sessions)")
    port = re.search(r"^PORT = (\d+)", source, re.MULTILINE)
    if port:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", int(port.group(1)))) == 0:
                busy.append(f"port {port.group(1)}")
    redis = re.search(r'^REDIS_URL = (?:os\.environ\.get\("BENCH_REDIS_URL", )?"([^"]+)"', source, re.MULTILINE)
    if redis and not (redis_url and "BENCH_REDIS_URL" in source):
        keys = subprocess.run(["redis-cli", "-u", redis.group(1), "DBSIZE"], text=True, capture_output=True)
        if keys.stdout.strip() not in ("", "0"):
            busy.append(f"{redis.group(1)} ({keys.stdout.strip()} keys; it would flush them)")
    return busy


def bench_env(suffix: str, redis_url: str) -> dict:
    env = os.environ | {"BENCH_DB_SUFFIX": suffix, "PYTHONPATH": str(ROOT)}
    if redis_url:
        env |= {"REDIS_URL": redis_url, "BENCH_REDIS_URL": redis_url}
    return env


def log_tail(path: Path) -> str:
    """The last line that says something, for the failed row."""
    lines = [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
    return lines[-1][:200] if lines else "no output"


def prepare_member_data(env: dict, *, quick: bool, log) -> dict:
    """bench/member_data.py's members and gifts in their own database, made once and kept: the staff benchmark reads
    them. It leaves data of the right size alone; of another size, it is made again (--reset)."""
    name = "outlet_bench_members" + env["BENCH_DB_SUFFIX"]
    env = env | {"DATABASE_URL": f"{PG}/{name}", "DJANGO_SETTINGS_MODULE": "bench.settings"}
    if not database_exists(name):
        psql(f"CREATE DATABASE {name}")
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, stdout=log, stderr=log)
    members, gifts = (QUICK_MEMBERS, QUICK_GIFTS) if quick else (FULL_MEMBERS, FULL_GIFTS)
    args = [PYTHON, "-m", "bench.member_data", "--members", str(members), "--donations", str(gifts)]
    made = subprocess.run(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.PIPE, text=True)
    if made.returncode and "--reset" in made.stderr:
        made = subprocess.run([*args, "--reset"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.PIPE, text=True)
    log.write(made.stderr)
    if made.returncode:
        raise RuntimeError(f"member_data: {made.stderr.strip().splitlines()[-1] if made.stderr.strip() else 'failed'}")
    return env


def run_one(bench: Bench, *, quick: bool, suffix: str, redis_url: str) -> dict:
    """Run one benchmark; its status for run_all.json: ok, or failed with a reason."""
    started = time.time()
    out = RESULTS / f"{bench.name}.json"
    log_path = RESULTS / "logs" / f"{bench.name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = bench_env(suffix, redis_url)
    try:
        busy = fixed_resources(bench, suffix, redis_url)
        if busy:
            raise Busy("; ".join(busy))
        with open(log_path, "w") as log:
            if bench.name == "staff_admin":
                env = prepare_member_data(env, quick=quick, log=log)
            args = bench.command + (bench.quick if quick else bench.full)
            log.write(f"$ {' '.join(args)}\n")
            log.flush()
            done = subprocess.run(
                args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=bench.timeout_minutes * 60
            )
        if done.returncode:
            reason = f"exit {done.returncode}: {log_tail(log_path)}"
        elif not out.exists() or out.stat().st_mtime < started:
            reason = f"wrote no bench/results/{bench.name}.json"
        else:
            reason = ""
    except Busy as exc:
        reason = f"not run, in use by another run: {exc}"
    except subprocess.TimeoutExpired:
        reason = f"timed out after {bench.timeout_minutes} min"
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    state = {
        "status": "failed" if reason else "ok",
        "reason": reason,
        "seconds": round(time.time() - started, 1),
        "finished": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": quick,
    }
    if reason and out.exists() and out.stat().st_mtime >= started:
        state |= {"status": "ok", "reason": reason + " (its JSON was written: figures below are this run's)"}
    return state


def load_results() -> dict[str, dict | None]:
    results: dict[str, dict | None] = {}
    for name in NAMES:
        path = RESULTS / f"{name}.json"
        try:
            results[name] = json.loads(path.read_text())
        except (OSError, ValueError):
            results[name] = None
    return results


def python_loop_seconds(rounds: int = 3) -> float:
    """How fast this machine runs plain Python: the best of `rounds` runs of a loop of 10,000,000 additions, in
    seconds. Sessions land on machines whose speed differs up to threefold, and the receipts' and staff pages'
    goals are absolute times, so each run says which kind of machine made its figures (at its start and its end:
    a machine's speed also drifts within a run)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        total = 0
        for number in range(10_000_000):
            total += number
        best = min(best, time.perf_counter() - started)
    return round(best, 2)


def notes_for(run: dict) -> list[str]:
    notes = []
    if run:
        mode = "quick (small sizes: a smoke run, not the issue's sizes)" if run.get("quick") else "full"
        notes.append(f"Last run: {mode}, started {run.get('started', '?')}, {os.cpu_count()} cores shared.")
        if "python_loop_seconds" in run:
            at_end = run.get("python_loop_seconds_at_end")
            notes.append(
                f"Machine: a pure-Python loop of 10,000,000 additions took {run['python_loop_seconds']} s at the start"
                + (f" and {at_end} s at the end" if at_end is not None else "")
                + " (best of 3; lower is faster)."
            )
        for name, state in run.get("benches", {}).items():
            if state.get("status") == "ok" and state.get("reason"):
                notes.append(f"- {name}: {state['reason']}")
            elif state.get("status") == "skipped" and (RESULTS / f"{name}.json").exists():
                notes.append(f"- {name}: not run by run_all; its rows are from the JSON on disk")
            if state.get("finished") and state.get("quick") != run.get("quick"):
                notes.append(f"- {name}: from an earlier {'quick' if state['quick'] else 'full'} run")
    for name in NAMES:
        path = RESULTS / f"{name}.json"
        if path.exists():
            when = datetime.fromtimestamp(path.stat().st_mtime, UTC).strftime("%Y-%m-%d %H:%M UTC")
            notes.append(f"- bench/results/{name}.json written {when}")
    return notes


def print_table(run: dict) -> None:
    rows = table.build_rows(load_results(), run.get("benches", {}))
    notes = notes_for(run)
    print()
    print(table.render_text(rows, notes=notes))
    markdown = RESULTS / "TABLE.md"
    markdown.write_text(f"# {table.ISSUE}: benchmarks\n\n" + table.render_markdown(rows, notes=notes))
    print(f"written to {markdown.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", help=f"comma-separated, of: {', '.join(NAMES)}")
    parser.add_argument("--skip", help="comma-separated benchmarks not to run")
    parser.add_argument("--quick", action="store_true", help="small sizes: 1,000 receipts, 100k gifts, 5 s per case")
    parser.add_argument("--table-only", action="store_true", help="run nothing: the table from bench/results/")
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", ""), help="a Redis db of yours")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    run_log = RESULTS / "run_all.json"
    if args.table_only:
        print_table(json.loads(run_log.read_text()) if run_log.exists() else {})
        return

    chosen = [n.strip() for n in (args.only or ",".join(NAMES)).split(",") if n.strip()]
    skipped = {n.strip() for n in (args.skip or "").split(",") if n.strip()}
    unknown = (set(chosen) | skipped) - set(NAMES)
    if unknown:
        raise SystemExit(f"no such benchmark: {', '.join(sorted(unknown))} (there are: {', '.join(NAMES)})")
    suffix = os.environ.get("BENCH_DB_SUFFIX", "")
    # A partial run (--only, --skip) keeps what the last run said of the benchmarks it leaves out.
    earlier = json.loads(run_log.read_text()).get("benches", {}) if run_log.exists() else {}
    run = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": args.quick,
        "db_suffix": suffix,
        "benches": {name: earlier.get(name, {"status": "skipped"}) for name in NAMES},
        "python_loop_seconds": python_loop_seconds(),
    }
    for bench in BENCHES:
        if bench.name not in chosen or bench.name in skipped:
            continue
        print(f"{datetime.now(UTC):%H:%M:%S} {bench.name} ...", flush=True)
        run["benches"][bench.name] = state = run_one(bench, quick=args.quick, suffix=suffix, redis_url=args.redis_url)
        print(f"          {state['status']} in {state['seconds']} s {state['reason']}", flush=True)
        run_log.write_text(json.dumps(run, indent=2))
    run["python_loop_seconds_at_end"] = python_loop_seconds()
    run_log.write_text(json.dumps(run, indent=2))
    print_table(run)


if __name__ == "__main__":
    main()
