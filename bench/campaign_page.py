"""Campaign page under load with a million gifts in the table: gunicorn (2 sync workers) on PostgreSQL + Redis,
driven by wrk (or a small Python client when wrk is missing).

    .venv/bin/python bench/campaign_page.py [--donations 1000000] [--duration 20] [--connections 16] [--reuse]

Creates the database `outlet_bench_ledger` (plus $BENCH_DB_SUFFIX; dropped at the end unless --keep), fills it
with bench.donation_data, then measures in-process (the services the page calls, and the staff-side reads over the
same data: the per-newsroom breakdown, a month's payout report, a daily retention run with nothing to do), then
req/s and latency of the bare view and of /fundraisers/<slug>/ (gunicorn on a free port), sampling the peak RSS of
gunicorn's processes during each. Writes bench/results/campaign_page.json with a "summary" for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.article_load import PeakRss, free_port, ms, start_gunicorn, wait_until_up  # noqa: E402  (the same helpers)

PYTHON = sys.executable
DB_NAME = "outlet_bench_ledger" + os.environ.get("BENCH_DB_SUFFIX", "")
SLUG = "bench-fund"


def sh(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, capture_output=True)


def wrk(url: str, *, duration: int, connections: int, threads: int) -> dict:
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url],
        check=True,
        text=True,
        capture_output=True,
    ).stdout
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "tool": "wrk",
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": re.search(r"50%\s+([\d.]+\w+)", out).group(1),
        "p99": re.search(r"99%\s+([\d.]+\w+)", out).group(1),
        "non_2xx": int(non2xx.group(1)) if non2xx else 0,
    }


def python_load(url: str, *, duration: int, connections: int) -> dict:
    """A plain closed-loop client (one thread per connection) for machines without wrk."""
    latencies: list[float] = []
    failures = [0]
    stop = time.monotonic() + duration

    def loop():
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    response.read()
                    ok = response.status < 400
            except Exception:  # noqa: BLE001
                ok = False
            latencies.append(time.perf_counter() - started)
            failures[0] += 0 if ok else 1

    threads = [threading.Thread(target=loop) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ordered = sorted(latencies)
    return {
        "tool": "python",
        "rps": len(latencies) / duration,
        "p50": f"{ordered[len(ordered) // 2] * 1000:.2f}ms",
        "p99": f"{ordered[int(len(ordered) * 0.99)] * 1000:.2f}ms",
        "non_2xx": failures[0],
    }


def in_process_timings(slug: str, repeat: int = 200) -> dict:
    """Mean milliseconds of what the page and the staff pages read, called directly (Django set up by the caller)."""
    from datetime import timedelta

    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from donations import reports, retention, services
    from donations.models import Campaign, Donation

    campaign = Campaign.objects.prefetch_related("currencies", "beneficiaries").get(slug=slug)

    def mean_ms(fn, n):
        fn()  # warm
        started = time.perf_counter()
        for _ in range(n):
            fn()
        return round((time.perf_counter() - started) * 1000 / n, 3)

    with CaptureQueriesContext(connection) as queries:
        services.campaign_progress(campaign)
        services.donor_wall(campaign)
    progress_and_wall_queries = len(queries.captured_queries)
    reset_queries()
    today = timezone.localdate()
    month_start = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    return {
        "donations_in_table": Donation.objects.filter(campaign=campaign).count(),
        "campaign_progress_ms": mean_ms(lambda: services.campaign_progress(campaign), repeat),
        "donor_wall_ms": mean_ms(lambda: services.donor_wall(campaign), repeat),
        "progress_and_wall_queries": progress_and_wall_queries,
        "staff_breakdown_all_time_ms": mean_ms(lambda: reports.campaign_breakdown(campaign=campaign), 3),
        "staff_payout_report_one_month_ms": mean_ms(
            lambda: reports.beneficiary_lines(
                campaign=campaign, date_from=month_start, date_to=today.replace(day=1) - timedelta(days=1)
            ),
            3,
        ),
        "retention_daily_run_nothing_due_ms": mean_ms(lambda: retention.anonymise_expired_donor_data(), 2),
        **staff_page_timings(campaign),
    }


def staff_page_timings(campaign) -> dict:
    """The admin pages staff open over the same million gifts, through Django's test client (no network)."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff, _ = get_user_model().objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(staff)
    from tests.staff import mark_session_second_factor  # the admin demands a session that passed two-factor

    mark_session_second_factor(client, staff)
    timings = {}
    for name, url in [
        ("admin_campaign_list_ms", "/admin/donations/campaign/"),
        ("admin_campaign_change_page_ms", f"/admin/donations/campaign/{campaign.pk}/change/"),
        ("admin_gift_list_ms", "/admin/donations/donation/"),
        ("admin_gift_search_by_email_ms", "/admin/donations/donation/?q=Donor123%40example.org"),
    ]:
        assert client.get(url, HTTP_HOST="127.0.0.1").status_code == 200, url
        started = time.perf_counter()
        for _ in range(2):
            client.get(url, HTTP_HOST="127.0.0.1")
        timings[name] = round((time.perf_counter() - started) * 500, 1)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--donations", type=int, default=1_000_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reuse", action="store_true", help="keep the database from a previous --keep run")
    parser.add_argument("--keep", action="store_true", help="do not drop the database at the end")
    parser.add_argument("--in-process", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.in_process:
        import django

        django.setup()
        print(json.dumps(in_process_timings(SLUG)))
        return

    pg = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    port = int(os.environ.get("BENCH_PORT") or free_port())
    env = os.environ | {
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": f"bench-{int(time.time())}",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "OUTLET_VAR_DIR": str(ROOT / "var" / f"bench-ledger{os.environ.get('BENCH_DB_SUFFIX', '')}"),
        "LOG_LEVEL": "WARNING",
    }
    results: dict = {"args": {k: v for k, v in vars(args).items() if k != "in_process"}}
    if not args.reuse:
        sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}")
        sh("psql", f"{pg}/postgres", "-qc", f"CREATE DATABASE {DB_NAME}")
        sh(PYTHON, "manage.py", "migrate", "-v0", env=env)
        started = time.monotonic()
        generated = sh(PYTHON, "-m", "bench.donation_data", "--donations", str(args.donations), "--slug", SLUG, env=env)
        results["generate"] = {
            "wall_seconds": round(time.monotonic() - started, 1),
            "output": generated.stdout.strip().splitlines()[-1],
        }
        print("generated:", results["generate"])
    results["in_process"] = json.loads(
        sh(PYTHON, "bench/campaign_page.py", "--in-process", env=env).stdout.strip().splitlines()[-1]
    )
    print("in process:", results["in_process"])

    server = start_gunicorn(port=port, workers=args.workers, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/__bench__/bare/")
        cases = [("bare Django view", "/__bench__/bare/"), ("campaign page, anonymous", f"/fundraisers/{SLUG}/")]
        results["http"] = {}
        for name, path in cases:
            try:
                with urllib.request.urlopen(base + path, timeout=30) as response:
                    status = response.status
            except urllib.error.HTTPError as exc:
                status = exc.code
            if status != 200:
                results["http"][name] = {"skipped": f"GET {path} answered {status}"}
                print(f"{name}: skipped, GET {path} answered {status}")
                continue
            for _ in range(30):  # warm workers and persistent connections
                urllib.request.urlopen(base + path).read()
            with PeakRss([server.pid]) as rss:
                if shutil.which("wrk"):
                    results["http"][name] = wrk(
                        base + path, duration=args.duration, connections=args.connections, threads=args.threads
                    )
                else:
                    results["http"][name] = python_load(
                        base + path, duration=args.duration, connections=args.connections
                    )
            results["http"][name] |= rss.result()
            print(name, results["http"][name])
    finally:
        server.terminate()
        server.wait(timeout=20)
        if not args.keep:
            sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    print(
        f"\ngunicorn {args.workers} sync workers, -c{args.connections} for {args.duration}s, PostgreSQL + Redis, "
        f"{os.cpu_count()} cores shared by server, database and load generator"
    )
    bare = results["http"].get("bare Django view", {}).get("rps")
    for name, r in results["http"].items():
        if "rps" in r:
            ratio = f"{r['rps'] / bare:.2f}" if bare else "-"
            print(
                f"{name:32} {r['rps']:9.0f} req/s  vs bare {ratio:>5}  p50 {r['p50']:>9}  p99 {r['p99']:>9}  non-2xx "
                f"{r['non_2xx']}"
            )
    results["summary"] = summarise(results)
    out = ROOT / "bench" / "results" / "campaign_page.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


def summarise(results: dict) -> dict:
    """The campaign page's req/s, its ratio to the bare view, p50/p99 in ms and the peak RSS of any one gunicorn
    process; with the number of gifts in the table."""
    http = results.get("http", {})
    bare, page = http.get("bare Django view", {}), http.get("campaign page, anonymous", {})
    summary: dict = {"donations": results.get("in_process", {}).get("donations_in_table")}
    if "rps" in bare:
        summary["bare_rps"] = bare["rps"]
    if "rps" in page:
        summary |= {
            "rps": page["rps"],
            "ratio": round(page["rps"] / bare["rps"], 3) if bare.get("rps") else None,
            "p50_ms": ms(page["p50"]),
            "p99_ms": ms(page["p99"]),
            "non_2xx": page["non_2xx"],
        }
    else:
        summary["error"] = page.get("skipped", "the campaign page was not measured")
    rss = [r["peak_rss_mb"] for r in http.values() if "peak_rss_mb" in r]
    if rss:
        summary["peak_rss_mb"] = max(rss)
    return summary


if __name__ == "__main__":
    main()
