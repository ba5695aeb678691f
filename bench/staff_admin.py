"""The staff admin over 100,000 members and a million gifts: time and SQL of each page, CSV export memory.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/outlet_h6 REDIS_URL=redis://127.0.0.1:6379/10 \\
        nice -n 10 .venv/bin/python bench/staff_admin.py [--repeat 20] [--skip-donation-export]

Expects the data of bench/member_data.py (run it first; this script only reads). Settings are the production-like
ones the other benchmarks use (bench.settings, DEBUG off, Redis cache, persistent connection). A superuser signs in
as staff do: a session with an authenticator app and a passed second factor (tests/staff.py writes the same
authentication record allauth writes when the code is typed). Each page goes through Django's test client in
process: one warm-up, then --repeat timed requests (median and p95), then one more request under
CaptureQueriesContext for the query count and the slowest statements, which are EXPLAIN ANALYZEd. CSV exports run
each in a fresh process (so the RSS peak is the export's, not an earlier page's): once plain for time and RSS
growth, once under tracemalloc for the Python heap peak (see EXPORTS: a small filtered export beside each big one
shows whether memory stays flat). Then each export is downloaded through gunicorn started as the Procfile starts it
(workers, timeout), to see whether the whole file arrives. Writes bench/results/staff_admin.json.

Its top-level "summary" is for the three pages staff open most (SUMMARY_PAGES), each in a fresh process with its own
cache prefix, as after a restart: the process first warms up as a web process does when gunicorn loads
outlet/wsgi.py (warm_up_ms: URL tables, templates, catalogues; no database, no cache). The cache holds what beat's
keep-dashboard-figures-fresh task put there, made by another process just before; first_request_ms is the process's
very first request (a new database connection), then --repeat timed ones (median_ms, p95_ms; cpu_median_ms is this
process's own CPU, which other work on the machine does not inflate), and peak_rss_mb is the process's peak resident
memory. first_request_empty_cache_ms is the first request of another such process whose cache is empty, as after a
Redis flush or within a minute of a change to the members' figures. `--summary-only` measures just that.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/outlet_h6"
STAFF_USERNAME = "bench-admin"
SLOW_PAGE_SECONDS = 1.0


def configure_environment() -> None:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE)
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/10")  # not 6: newsletter_send flushes that one
    os.environ.setdefault("CACHE_KEY_PREFIX", f"bench-staff-{int(time.time())}")
    os.environ.setdefault("DEBUG", "false")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    os.environ.setdefault("OUTLET_VAR_DIR", str(ROOT / "var" / "bench-staff"))
    os.environ.setdefault("LOG_LEVEL", "WARNING")


def setup_django() -> None:
    configure_environment()
    import django

    django.setup()


def check_ready(*, min_members: int, min_donations: int) -> dict:
    """Refuse to measure a database that is not the one the numbers claim: PostgreSQL, migrated, data in place,
    Redis answering."""
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    from donations.models import Donation
    from members.models import Membership

    if connection.vendor != "postgresql":
        raise SystemExit(f"the benchmark needs PostgreSQL (DATABASE_URL), not {connection.vendor}")
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise SystemExit(f"{len(pending)} migrations not applied: run manage.py migrate first")
    members = Membership.objects.count()
    donations = Donation.objects.count()
    if members < min_members or donations < min_donations:
        raise SystemExit(f"{members} members and {donations} gifts in the database; run bench/member_data.py first")
    cache.set("bench-staff-ready", "1", 30)
    if cache.get("bench-staff-ready") != "1":
        raise SystemExit("the cache (REDIS_URL) does not answer")
    return {
        "members": members,
        "donations": donations,
        "database": connection.settings_dict["NAME"],
        "cache": cache.__class__.__name__,
        "debug": settings.DEBUG,
    }


def staff_client():
    """A test client signed in as a superuser whose session passed the second factor, as after a real sign-in."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    user, _ = get_user_model().objects.get_or_create(
        username=STAFF_USERNAME,
        defaults={
            "email": "bench-admin@example.org",
            "is_staff": True,
            "is_superuser": True,
            "first_name": "Bench",
            "last_name": "Admin",
        },
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    index = reverse("admin:index")
    if client.get(index).status_code != 200:
        try:
            from tests.staff import mark_session_second_factor
        except ImportError as exc:  # pragma: no cover - the admin has no second factor yet
            raise SystemExit(
                f"the admin index does not open for a superuser and tests.staff is missing: {exc}"
            ) from exc
        mark_session_second_factor(client, user)
    status = client.get(index).status_code
    if status != 200:
        raise SystemExit(f"the admin index answers {status} for the bench superuser")
    return client, user


def page_cases() -> list[tuple[str, str]]:
    """(name, url) of every page measured; a page whose URL does not exist yet is reported as missing."""
    from datetime import timedelta
    from urllib.parse import urlencode

    from django.urls import NoReverseMatch, reverse
    from django.utils import timezone

    from donations.models import Campaign
    from members.models import Membership
    from outlet.payments.models import Payment

    def url(name, *args, query=""):
        try:
            return reverse(name, args=args) + (f"?{query}" if query else "")
        except NoReverseMatch:
            return None

    # A long-standing monthly member who asked for receipts and also gave to the fundraiser: the fullest timeline.
    member = (
        Membership.objects.filter(
            user__username__startswith="bench-member-",
            interval="month",
            status="active",
            user__email__startswith="donor",
        )
        .order_by("started_at")
        .select_related("user")
        .first()
    ) or Membership.objects.order_by("pk").first()
    searched = (
        Membership.objects.filter(user__username__startswith="bench-member-")
        .order_by("pk")
        .select_related("user")[5000:5001]
    )
    searched_email = searched[0].user.email if searched else member.user.email
    campaign = Campaign.objects.filter(slug="bench-fund").first() or Campaign.objects.order_by("pk").first()
    empty = Campaign.objects.exclude(pk=campaign.pk).filter(donations__isnull=True).order_by("pk").first()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    last_30_days = urlencode(
        {
            "campaign__id__exact": campaign.pk,
            "donated_at__gte": str(midnight - timedelta(days=30)),
            "donated_at__lt": str(midnight + timedelta(days=1)),
        }
    )  # as the admin's date filter links
    payments_of_member = Payment.objects.filter(user_id=member.user_id).count()
    cases = [
        ("members: list", url("admin:members_membership_changelist")),
        ("members: search by email", url("admin:members_membership_changelist", query=f"q={searched_email}")),
        ("members: search by name", url("admin:members_membership_changelist", query="q=Beridze")),
        ("members: search by customer id", url("admin:members_membership_changelist", query="q=cus_bench_5001")),
        ("members: status past due", url("admin:members_membership_changelist", query="status__exact=past_due")),
        (f"member page ({payments_of_member} payments)", url("admin:members_membership_change", member.pk)),
        (
            "gifts: campaign filter",
            url("admin:donations_donation_changelist", query=f"campaign__id__exact={campaign.pk}"),
        ),
        ("gifts: campaign + last 30 days", url("admin:donations_donation_changelist", query=last_30_days)),
        ("gifts: list", url("admin:donations_donation_changelist")),
        (
            "gifts: an appeal with no gifts yet",
            url("admin:donations_donation_changelist", query=f"campaign__id__exact={empty.pk}") if empty else None,
        ),
        ("campaign page (per-newsroom totals)", url("admin:donations_campaign_change", campaign.pk)),
        ("revenue dashboard", url("revenue:dashboard")),
        # The other long lists staff open: 2.1M payments, 0.5M timeline rows, 0.35M receipts, 0.1M provider events.
        ("payments list", url("admin:payments_payment_changelist")),
        (
            "webhook log, one event type",
            url("admin:payments_webhookevent_changelist", query="type__exact=checkout.session.completed"),
        ),
        ("member events list", url("admin:members_memberevent_changelist")),
        ("receipts list", url("admin:receipts_receipt_changelist")),
    ]
    return cases


# The summary's pages: name -> the page_cases() entry it measures.
SUMMARY_PAGES = {
    "member list": "members: list",
    "revenue dashboard": "revenue dashboard",
    "gift list": "gifts: list",
}


def client_with_session(session_key: str):
    """A client carrying the session staff_client() signed in, made in the parent: this process then imports no
    test helpers (tests.staff brings pytest, about 10 MB a web process never holds) and makes no request before the
    first one measured."""
    from django.conf import settings
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key
    return client


def summary_once(name: str, *, repeat: int) -> dict:
    """One summary page in this (fresh) process: its first request, then `repeat` more; run by run_summary."""
    from django.db import connection

    from outlet.common.warm_up import warm_up

    url = dict(page_cases())[SUMMARY_PAGES[name]]
    client = client_with_session(os.environ["BENCH_STAFF_SESSION"])
    connection.close()  # the first request opens its own connection, as after a restart
    started = time.perf_counter()
    client.handler.load_middleware()  # get_wsgi_application() does this when outlet/wsgi.py loads
    warm_up()  # as a gunicorn worker does on loading outlet/wsgi.py, before its first connection
    warm_up_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    response = client.get(url)
    first_ms = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    timings, cpu = [], []
    for _ in range(repeat):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
        assert response.status_code == 200, url
    return {
        "url": url,
        "warm_up_ms": round(warm_up_ms, 1),
        "first_request_ms": round(first_ms, 1),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(percentile(timings, 0.95), 1),
        "cpu_median_ms": round(statistics.median(cpu), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "repeat": repeat,
    }


def run_summary(*, repeat: int, session_key: str) -> dict:
    """Each summary page in a fresh interpreter with a cache prefix of its own (see the module docstring), twice:
    once after beat's task made the figures in that cache (--keep-figures-fresh, in a process of its own, as the
    worker does once a minute), which is how a restarted web process finds them, and once with the cache empty, as
    after a Redis flush (only that first request is kept: first_request_empty_cache_ms)."""
    summary: dict = {}
    script = [sys.executable, str(Path(__file__).resolve())]
    for name in SUMMARY_PAGES:
        env = {
            **os.environ,
            "CACHE_KEY_PREFIX": f"bench-staff-summary-{time.time_ns()}",
            "BENCH_STAFF_SESSION": session_key,
        }
        fresh = subprocess.run([*script, "--keep-figures-fresh"], cwd=ROOT, env=env, text=True, capture_output=True)
        measured = _summary_process(script, name, repeat=repeat, env=env)
        if fresh.returncode != 0:
            measured = {"error": "keeping the figures fresh failed: " + (fresh.stderr.strip().splitlines() or [""])[-1]}
        empty_env = {**env, "CACHE_KEY_PREFIX": f"bench-staff-summary-empty-{time.time_ns()}"}
        empty = _summary_process(script, name, repeat=1, env=empty_env)
        if "error" not in measured:
            measured["figures_kept_fresh_by_beat"] = True
            measured["first_request_empty_cache_ms"] = empty.get("first_request_ms", empty.get("error"))
        summary[name] = measured
        print(f"summary {name}: {summary[name]}", flush=True)
    return summary


def _summary_process(script: list[str], name: str, *, repeat: int, env: dict) -> dict:
    done = subprocess.run(
        [*script, "--summary-page", name, "--repeat", str(repeat)], cwd=ROOT, env=env, text=True, capture_output=True
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def keep_figures_fresh() -> None:
    """What beat's keep-dashboard-figures-fresh task does in the worker."""
    from django.utils import timezone

    from outlet.dashboard.figures import keep_figures_fresh as make_figures

    make_figures(now=timezone.now())


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure_page(client, url: str, *, repeat: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    response = client.get(url)  # warm: templates, caches (a page's own cached figures included), connection
    first_seconds = time.perf_counter() - started
    if response.status_code != 200:
        return {"url": url, "error": f"answered {response.status_code}"}
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200, url
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = [{"ms": round(float(q["time"]) * 1000, 2), "sql": q["sql"]} for q in captured.captured_queries]
    return {
        "url": url,
        "first_ms": round(first_seconds * 1000, 1),
        "median_ms": round(statistics.median(timings) * 1000, 1),
        "p95_ms": round(percentile(timings, 0.95) * 1000, 1),
        "queries": len(queries),
        "sql_ms": round(sum(q["ms"] for q in queries), 1),
        "bytes": len(response.content),
        "slowest": sorted(queries, key=lambda q: -q["ms"])[:3],
    }


def explain(sql: str) -> list[str]:
    from django.db import connection

    if not sql.lstrip().upper().startswith("SELECT"):
        return []
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


# name -> (URL name, query string, also run under tracemalloc). The filtered exports are there to compare peaks
# with: flat memory means the same peak for 3,000 rows as for 100,000. A traced million-gift export would take
# twenty minutes, so the gifts' heap peak is measured on a month of them.
EXPORTS = {
    "members, all": ("admin:members_membership_export", "", True),
    "members, past due only": ("admin:members_membership_export", "status__exact=past_due", True),
    "gifts, whole campaign": ("admin:donations_donation_export", "campaign__id__exact={campaign}", False),
    "gifts, campaign's last 30 days": ("admin:donations_donation_export", "{last_30_days}", True),
}


def export_url(name: str) -> str:
    from datetime import timedelta
    from urllib.parse import urlencode

    from django.urls import reverse
    from django.utils import timezone

    from donations.models import Campaign

    url_name, query, _ = EXPORTS[name]
    campaign = Campaign.objects.filter(slug="bench-fund").first() or Campaign.objects.order_by("pk").first()
    midnight = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    last_30_days = urlencode(
        {
            "campaign__id__exact": campaign.pk,
            "donated_at__gte": str(midnight - timedelta(days=30)),
            "donated_at__lt": str(midnight + timedelta(days=1)),
        }
    )
    query = query.format(campaign=campaign.pk, last_30_days=last_30_days)
    return reverse(url_name) + (f"?{query}" if query else "")


def export_once(name: str, *, traced: bool) -> dict:
    """One export, consumed as the browser would read it; run in its own process (see module docstring)."""
    import tracemalloc

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    client, _ = staff_client()
    url = export_url(name)
    client.get(reverse("admin:index"))  # warm the session and the admin before the baseline
    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    with CaptureQueriesContext(connection) if not traced else _nothing() as captured:
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        assert response.streaming, f"{url} is not streamed"
        size = lines = 0
        for chunk in response.streaming_content:
            size += len(chunk)
            lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    result = {"url": url, "rows": lines - 1, "bytes": size}
    if traced:
        result["tracemalloc_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
        tracemalloc.stop()
        result["seconds_under_tracemalloc"] = round(seconds, 1)
    else:
        result["seconds"] = round(seconds, 2)
        result["rss_growth_mb"] = round((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before_kb) / 1024, 1)
        result["rss_peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
        result["queries"] = len(captured.captured_queries)
        result["sql_seconds"] = round(sum(float(q["time"]) for q in captured.captured_queries), 2)
    return result


class _nothing:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def run_export(name: str) -> dict:
    """The plain run of one export and, if asked, the traced one, each in a fresh interpreter."""
    result: dict = {}
    for traced in (False, True)[: 2 if EXPORTS[name][2] else 1]:
        args = [sys.executable, str(Path(__file__).resolve()), "--export", name] + (["--traced"] if traced else [])
        done = subprocess.run(args, cwd=ROOT, env=os.environ.copy(), text=True, capture_output=True)
        if done.returncode != 0:
            return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
        result.update(json.loads(done.stdout.strip().splitlines()[-1]))
    return result


def procfile_gunicorn(port: int) -> list[str]:
    """The Procfile's web command (its workers, worker class and timeout) serving bench.wsgi on `port`."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("web:"))
    words = shlex.split(line.removeprefix("web:").replace("${PORT:-8000}", str(port)))
    command, skip = [], False
    for word in words[1:]:  # words[0] is "gunicorn"
        if skip:
            skip = False
        elif word == "--access-logfile":
            skip = True
        elif word.endswith("wsgi:application"):
            command.append("bench.wsgi:application")
        elif word.startswith("0.0.0.0:"):
            command.append(f"127.0.0.1:{port}")
        else:
            command.append(word)
    return [sys.executable, "-m", "gunicorn", *command, "--log-level", "warning"]


def http_exports(session_key: str, expected: dict[str, int], *, port: int = 8136) -> dict:
    """Each export downloaded through gunicorn as deployed: does the whole file arrive, and how fast?"""
    import http.client
    import urllib.request

    from bench.article_load import wait_until_up  # the readiness check the other benchmarks use

    command = procfile_gunicorn(port)
    server = subprocess.Popen(command, cwd=ROOT, env=os.environ.copy())
    base = f"http://127.0.0.1:{port}"
    results: dict = {"command": " ".join(command[2:])}
    try:
        wait_until_up(base + "/__bench__/bare/")
        for name, rows in expected.items():
            request = urllib.request.Request(base + export_url(name), headers={"Cookie": f"sessionid={session_key}"})
            started = time.perf_counter()
            received = lines = 0
            error = ""
            try:
                with urllib.request.urlopen(request, timeout=900) as response:
                    status = response.status
                    while chunk := response.read(1 << 16):
                        received += len(chunk)
                        lines += chunk.count(b"\n")
            except (http.client.IncompleteRead, ConnectionError, OSError) as exc:
                status, error = "cut off", f"{exc.__class__.__name__}: {exc}"[:200]
            results[name] = {
                "status": status,
                "seconds": round(time.perf_counter() - started, 1),
                "rows_received": max(0, lines - 1),
                "rows_expected": rows,
                "complete": lines - 1 == rows,
                "bytes": received,
                "error": error,
            }
            print(f"export over HTTP {name}: {results[name]}", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--min-members", type=int, default=100_000)
    parser.add_argument("--min-donations", type=int, default=1_000_000)
    parser.add_argument("--skip-donation-export", action="store_true")
    parser.add_argument("--skip-http", action="store_true", help="do not download the exports through gunicorn")
    parser.add_argument("--export", choices=list(EXPORTS), help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--summary-page", choices=list(SUMMARY_PAGES), help=argparse.SUPPRESS)
    parser.add_argument("--summary-only", action="store_true", help="measure only the summary's pages")
    parser.add_argument("--keep-figures-fresh", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_django()
    if args.keep_figures_fresh:
        keep_figures_fresh()
        return
    if args.export:
        print(json.dumps(export_once(args.export, traced=args.traced)))
        return
    if args.summary_page:
        print(json.dumps(summary_once(args.summary_page, repeat=args.repeat)))
        return
    out = ROOT / "bench" / "results" / "staff_admin.json"
    if args.summary_only:
        check_ready(min_members=args.min_members, min_donations=args.min_donations)
        client, _ = staff_client()  # the bench superuser and its second factor, whose session the processes use
        previous = json.loads(out.read_text()) if out.exists() else {}
        previous["summary"] = run_summary(repeat=args.repeat, session_key=client.cookies["sessionid"].value)
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(previous, indent=2))
        print(f"summary written to {out.relative_to(ROOT)}")
        return

    results: dict = {
        "args": {
            k: v for k, v in vars(args).items() if k not in {"export", "traced", "summary_page", "keep_figures_fresh"}
        },
        "ready": check_ready(min_members=args.min_members, min_donations=args.min_donations),
        "cpus": os.cpu_count(),
        "pages": {},
        "exports": {},
        "explain": {},
    }
    print("ready:", results["ready"])
    client, _ = staff_client()
    results["summary"] = run_summary(repeat=args.repeat, session_key=client.cookies["sessionid"].value)
    for name, url in page_cases():
        if url is None:
            results["pages"][name] = {"error": "no such URL yet"}
        else:
            results["pages"][name] = measure_page(client, url, repeat=args.repeat)
        print(f"{name}: {_short(results['pages'][name])}", flush=True)
    for name in [name for name in EXPORTS if not (args.skip_donation_export and name.startswith("gifts"))]:
        results["exports"][name] = run_export(name)
        print(f"export {name}: {results['exports'][name]}", flush=True)
    if not args.skip_http:
        expected = {name: export["rows"] for name, export in results["exports"].items() if "rows" in export}
        results["http_exports"] = http_exports(client.cookies["sessionid"].value, expected)

    # The statements that cost the most, page by page, with their plans.
    for name, page in results["pages"].items():
        for query in page.get("slowest", [])[:2]:
            if query["ms"] >= 20:
                results["explain"].setdefault(name, []).append(
                    {"ms": query["ms"], "sql": query["sql"], "plan": explain(query["sql"])}
                )
    print_table(results)
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"written to {out.relative_to(ROOT)}")


def _short(page: dict) -> str:
    if "error" in page:
        return page["error"]
    return (
        f"median {page['median_ms']} ms, p95 {page['p95_ms']} ms, {page['queries']} queries ({page['sql_ms']} ms SQL)"
    )


def print_table(results: dict) -> None:
    ready = results["ready"]
    print(
        f"\n{ready['members']:,} members, {ready['donations']:,} gifts; test client in process, "
        f"{results['args']['repeat']} requests per page after a warm-up; "
        f"{results['cpus']} cores shared with other work\n"
    )
    print(f"{'page':40} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'SQL ms':>8}  note")
    for name, page in results["pages"].items():
        if "error" in page:
            print(f"{name:40} {'-':>9} {'-':>10} {'-':>8} {'-':>8} {'-':>8}  {page['error']}")
            continue
        note = "SLOW" if page["p95_ms"] > SLOW_PAGE_SECONDS * 1000 else ""
        print(
            f"{name:40} {page['first_ms']:>9} {page['median_ms']:>10} {page['p95_ms']:>8} {page['queries']:>8} "
            f"{page['sql_ms']:>8}  {note}"
        )
    print("(first: the first request of a fresh process and cache prefix, before the timed ones)")
    print(f"\n{'summary page':20} {'first ms':>9} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>7} {'peak RSS MB':>12}")
    for name, page in results.get("summary", {}).items():
        if "error" in page:
            print(f"{name:20} {page['error']}")
            continue
        print(
            f"{name:20} {page['first_request_ms']:>9} {page['median_ms']:>10} {page['p95_ms']:>8} "
            f"{page['cpu_median_ms']:>7} {page['peak_rss_mb']:>12}"
        )
    for name, export in results["exports"].items():
        if "error" in export:
            print(f"CSV export of {name}: {export['error']}")
            continue
        traced = f", tracemalloc peak {export['tracemalloc_peak_mb']} MB" if "tracemalloc_peak_mb" in export else ""
        print(
            f"CSV export of {name}: {export['rows']:,} rows, {export['bytes'] / 2**20:.1f} MB in {export['seconds']} s "
            f"({export['sql_seconds']} s SQL, {export['queries']} queries); RSS grew {export['rss_growth_mb']} MB "
            f"(peak {export['rss_peak_mb']} MB){traced}"
        )
    http = results.get("http_exports", {})
    if http:
        print(f"\nExports downloaded through gunicorn as the Procfile runs it ({http['command']}):")
    for name, download in http.items():
        if name != "command":
            verdict = (
                "complete"
                if download["complete"]
                else f"INCOMPLETE: {download['rows_received']:,} of {download['rows_expected']:,} rows"
            )
            print(f"  {name}: {download['status']}, {download['seconds']} s, {verdict}")
    for name, plans in results["explain"].items():
        for item in plans:
            print(f"\n-- {name}: {item['ms']} ms\n{item['sql'][:600]}")
            print("\n".join("   " + line for line in item["plan"][:25]))


if __name__ == "__main__":
    main()
