"""Whole-system soak: mixed traffic against the production shape of the site while it is being broken, then the books.

    .venv/bin/python -m bench.soak                 # 10 minutes of traffic (--minutes N), then the sweeps and the checks
    .venv/bin/python -m bench.soak --quick         # 2 minutes, shorter outages, sweeps run ahead of the clock

Runs on loopback only, on the local PostgreSQL (a scratch database `outlet_soak`, dropped afterwards unless --keep) and
a private redis-server on a free port (no persistence: a restart loses the queue and the cache, as a cache-only Redis
does). Starts gunicorn, the Celery worker and beat with the Procfile's own command lines (bench/soak_services.py),
with DEBUG off, ALLAUTH_TRUSTED_PROXY_COUNT=0, the sandbox provider and email written to files
(bench/soak_settings.py adds two switches the soak turns in the running processes; no project code changes).

Traffic (bench/soak_people.py): readers on articles, the home page and sections, anonymous (a meter and its wall) and
signed in; sign-ups with the emailed code; joins (as a visitor signing up on the way, or signed in) and gifts (once
and monthly, guest and signed in) paid on the sandbox checkout page as a browser posts it (now and then a declined
card or a 3-D Secure step first); plan changes, cancels, resumes and renewals in the sandbox portal; staff signed in
with password and authenticator code downloading the gifts, payout and members CSVs and refunding gifts. The
sandbox holds back a fifth of its webhooks; they arrive late, shuffled and some twice, and old events are sent again
(bench/soak_network.py). Each person has their own loopback address (127.0.x.y), as readers have their own.

While it runs: the worker is killed with SIGKILL twice (its whole process group; restarted 3 s later), Redis is
stopped for 20 s and started again, and the provider stops answering for 30 s (each call a person waits on takes the
Stripe adapter's 8.6 s and fails). Afterwards the held-back events are delivered, reconciliation runs once and the
sweeps run until nothing is on its way (bench/soak_checks.py then checks events, receipts, the ledger, emails and
subscriptions). Prints a summary and writes bench/results/soak.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import traceback
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import soak_people as people  # noqa: E402
from bench.soak_client import Browser, Recorder  # noqa: E402
from bench.soak_mailbox import Mailbox  # noqa: E402
from bench.soak_report import build_report, print_summary  # noqa: E402
from bench.soak_services import Services  # noqa: E402

PYTHON = sys.executable
DB_NAME = "outlet_soak"
SILENT_CALL_SECONDS = 8.6  # what one call to a silent Stripe takes with the adapter's limits (bench/hung_provider.md)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sh(*args: str, env=None) -> str:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, capture_output=True).stdout


def plan(seconds: float, quick: bool) -> list[tuple[float, str]]:
    """When each disruption happens, in seconds from the start of the traffic."""
    silent, redis_down = (15, 10) if quick else (30, 20)
    return sorted(
        [
            (0.15 * seconds, "kill worker"),
            (0.30 * seconds, "provider silent"),
            (0.30 * seconds + silent, "provider answers"),
            (0.50 * seconds, "stop redis"),
            (0.50 * seconds + redis_down, "start redis"),
            (0.68 * seconds, "kill worker"),
        ]
    )


def looping(world: people.World, action, low: float, high: float):
    def run() -> None:
        from django.db import connection

        try:
            while not world.stop.is_set():
                try:
                    action(world)
                except Exception as exc:  # noqa: BLE001 - a crash of the soak's own person is reported, never hidden
                    world.count(f"soak: {action.__name__} crashed")
                    world.note("soak", f"{action.__name__} crashed: {exc!r}", trace=traceback.format_exc()[-800:])
                if not world.pause(low, high):
                    break
        finally:
            connection.close()

    return run


def signed_in_reader(world: people.World) -> None:
    person = None
    while person is None and not world.stop.is_set():
        person = people.new_reader_account(world)
    if person is not None and person.lock.acquire(blocking=False):
        people.reader(world, person)


def member_or_account(world: people.World) -> None:
    (people.member_changes if random.random() < 0.75 else people.browse_account_pages)(world)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10, help="minutes of traffic (default 10)")
    parser.add_argument(
        "--quick", action="store_true", help="2 minutes, 15 s silence, 10 s without Redis, sweeps ahead of the clock"
    )
    parser.add_argument(
        "--settle-minutes", type=float, default=None, help="longest wait for the sweeps (default 8, quick 3)"
    )
    parser.add_argument("--readers", type=int, default=4, help="anonymous readers (plus 2 signed in)")
    parser.add_argument("--keep", action="store_true", help="keep the database and var/soak for inspection")
    options = parser.parse_args()
    seconds = 120.0 if options.quick else options.minutes * 60
    settle_seconds = 60 * (options.settle_minutes if options.settle_minutes is not None else 3 if options.quick else 8)
    fast_forward = timedelta(minutes=6) if options.quick else timedelta(0)

    var_dir = ROOT / "var" / "soak"
    shutil.rmtree(var_dir, ignore_errors=True)
    (var_dir / "mail").mkdir(parents=True)
    port, redis_port = free_port(), free_port()
    pg = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = os.environ | {
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "REDIS_URL": redis_url,
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "bench.soak_settings",
        "OUTLET_VAR_DIR": str(var_dir),
        "EMAIL_URL": f"filemail:///{var_dir / 'mail'}",
        "SITE_URL": f"http://127.0.0.1:{port}",
        "ALLAUTH_TRUSTED_PROXY_COUNT": "0",
        "LOG_LEVEL": "WARNING",
        "CACHE_KEY_PREFIX": "soak",
        "SOAK_SILENT_FLAG": str(var_dir / "provider-silent-seconds"),
        "SOAK_DELAY_FRACTION": "0.2",
        "PAYMENT_PROVIDER": "sandbox",
        "PYTHONPATH": str(ROOT),
    }
    for name in (
        "OUTLET_ENV",
        "CELERY_TASK_ALWAYS_EAGER",
        "CELERY_BROKER_URL",
        "SANDBOX_SILENT_SECONDS",
        "PAGE_CACHE_SECONDS",
    ):
        env.pop(name, None)
    services = Services(env=env, var_dir=var_dir, port=port, redis_port=redis_port)
    print(
        f"soak: {seconds / 60:.1f} min of traffic on 127.0.0.1:{port}, Redis on {redis_port}, database {DB_NAME}",
        file=sys.stderr,
    )
    sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}")
    sh("psql", f"{pg}/postgres", "-qc", f"CREATE DATABASE {DB_NAME}")
    try:
        services.start_redis()
        sh(PYTHON, "manage.py", "migrate", "-v0", env=env)
        sh(PYTHON, "manage.py", "load_demo_content", env=env)
        os.environ.update(env)
        import django

        django.setup()
        report = run(
            options,
            seconds=seconds,
            settle_seconds=settle_seconds,
            fast_forward=fast_forward,
            services=services,
            var_dir=var_dir,
            port=port,
            redis_url=redis_url,
        )
    finally:
        services.stop_all()
        if not options.keep:
            from django.db import connections

            connections.close_all()
            subprocess.run(
                ["psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}"], cwd=ROOT, capture_output=True
            )
    report["code"] = {
        "commit": sh("git", "rev-parse", "--short", "HEAD").strip(),
        "uncommitted_project_files": [
            line[3:]
            for line in sh(
                "git", "status", "--porcelain", "--", "outlet", "members", "donations", "templates"
            ).splitlines()
        ],
    }
    out = ROOT / "bench" / "results" / "soak.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print_summary(report)
    print(f"\nwritten to {out.relative_to(ROOT)}")
    if report["findings"]:
        raise SystemExit(1)  # a soak with findings fails, so it can gate a release


def discover_paths() -> dict:
    from donations.models import Campaign
    from outlet.publishing.models import Article, Author, Section, Tag

    articles = [a.get_absolute_url() for a in Article.objects.live()]
    return {
        "articles": articles,
        "sections": [s.get_absolute_url() for s in Section.objects.all()],
        "others": [
            "/membership/",
            "/fundraisers/",
            "/feed/",
            "/sitemap.xml",
            "/robots.txt",
            *[a.get_absolute_url() for a in Author.objects.all()[:4]],
            *[t.get_absolute_url() for t in Tag.objects.all()[:4]],
        ],
        "campaign": f"/fundraisers/{Campaign.objects.filter(is_published=True).order_by('pk').first().slug}/",
    }


def run(
    options,
    *,
    seconds: float,
    settle_seconds: float,
    fast_forward: timedelta,
    services: Services,
    var_dir: Path,
    port: int,
    redis_url: str,
) -> dict:
    from bench import soak_checks as checks
    from bench import soak_network as network

    base = f"http://127.0.0.1:{port}"
    paths = discover_paths()
    services.start_web()
    probe = Browser(base, Recorder())
    deadline = time.monotonic() + 60
    while probe.get("probe", "/healthz").status != 200:
        if time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not come up: see {var_dir / 'web.log'}")
        time.sleep(0.5)
    services.start_worker()
    services.start_beat()
    for path in ["/", *paths["articles"], *paths["sections"], paths["campaign"]]:  # warm the page cache and connections
        probe.get("warm", path)
    time.sleep(3)

    recorder = Recorder()
    mailbox = Mailbox(var_dir / "mail")
    stop = threading.Event()
    world = people.World(
        base=base,
        recorder=recorder,
        mailbox=mailbox,
        stop=stop,
        campaign_path=paths["campaign"],
        article_paths=paths["articles"],
        section_paths=paths["sections"],
        other_paths=paths["others"],
    )
    jobs = [
        *(lambda: people.reader(world) for _ in range(options.readers)),
        *(lambda: signed_in_reader(world) for _ in range(2)),
        looping(world, people.new_reader_account, 8, 16),
        looping(world, people.join, 1, 4),
        looping(world, people.join, 1, 4),
        looping(world, people.give, 1, 3),
        looping(world, people.give, 1, 3),
        looping(world, member_or_account, 1, 3),
        looping(world, people.staff, 5, 10),
        looping(world, network.network, 0, 0.1),
        lambda: people.health_watch(world),
    ]
    threads = [threading.Thread(target=job, daemon=True) for job in jobs]
    load = []
    timeline = [{"at": 0.0, "event": "traffic starts"}]
    for thread in threads:
        thread.start()

    def mark(event: str, since: float | None = None, **detail) -> None:
        """`since`: when the switch was begun (stopping Redis takes a moment, and requests answered meanwhile
        belong to the outage, not to the calm before it)."""
        at = recorder.now() if since is None else since
        timeline.append({"at": round(at, 1), "event": event, **detail})
        print(f"  {at:6.1f} s  {event}", file=sys.stderr)

    silent_flag = Path(services.env["SOAK_SILENT_FLAG"])
    for at, event in plan(seconds, options.quick) + [(seconds, "traffic stops")]:
        while recorder.now() < at:
            time.sleep(min(5.0, at - recorder.now()))
            load.append((round(recorder.now()), os.getloadavg()[0]))
        if event == "kill worker":
            waited = time.monotonic()  # kill it while it holds work, if it gets any within 20 s
            while not services.broker_state().get("unacked") and time.monotonic() - waited < 20:
                time.sleep(0.05)
            in_flight = services.broker_state()
            began = recorder.now()
            killed = services.kill_worker()
            mark("worker killed (SIGKILL to its process group)", began, processes=killed, broker_before=in_flight)
            time.sleep(3)
            services.start_worker()
            mark("worker started again")
        elif event == "provider silent":
            began = recorder.now()
            silent_flag.write_text(str(SILENT_CALL_SECONDS))
            mark("provider stops answering", began, each_call_seconds=SILENT_CALL_SECONDS)
        elif event == "provider answers":
            silent_flag.unlink(missing_ok=True)
            mark("provider answers again")
        elif event == "stop redis":
            began = recorder.now()
            services.stop_redis()
            mark("redis stopped", began)
        elif event == "start redis":
            services.start_redis()
            mark("redis started (empty: no persistence)")
        else:
            mark(event)
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    still_running = sum(thread.is_alive() for thread in threads)
    mark("people done", still_running=still_running)

    settled = network.settle(world, redis_url=redis_url, seconds=settle_seconds, fast_forward=fast_forward)
    mark("settled" if settled["settled"] else "settle timed out", seconds=settled["seconds"])
    results = [
        checks.events(),
        checks.receipts(),
        checks.ledger(),
        checks.emails(mailbox),
        checks.subscriptions(),
        checks.paid_checkouts(world.paid),
    ]
    return build_report(
        options=options,
        seconds=seconds,
        recorder=recorder,
        world=world,
        timeline=timeline,
        load=load,
        settle=settled,
        checks=results,
        var_dir=var_dir,
        quick=options.quick,
        fast_forward=fast_forward,
    )


if __name__ == "__main__":
    main()
