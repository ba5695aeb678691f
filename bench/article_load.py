"""Load benchmark of the reader pages vs. a bare Django view, with wrk against gunicorn on PostgreSQL + Redis.

    .venv/bin/python bench/article_load.py [--duration 20] [--connections 16]

Creates (and drops) the database `outlet_bench` (plus $BENCH_DB_SUFFIX, so two people's runs do not drop each
other's) on the local PostgreSQL, loads the demo content, starts gunicorn with 2 sync workers (the production
server settings: DEBUG off, CONN_MAX_AGE on, Redis cache) on a free port, and runs wrk against: the bare view; then,
in each language (English at the root, the others under /ka/, /hy/, /az/, /ru/), as an anonymous reader the home
page, a section page, a public story (its version in that language) and a metered story, a metered story as a
signed-in reader without a membership, and a members-only story as a paying member (an active Supporter
subscription, applied as the provider's webhook would); the demo fundraiser's campaign page once; and the bare view
again at the end. Each case's ratio divides by a short bare run made just before it (--adjacent-bare, half the
duration), so a machine whose load swings from minute to minute still compares like with like. While
each case runs, the resident memory of gunicorn's master and workers is sampled (/proc). Prints req/s, the ratio to
the bare view and the peak RSS, and writes bench/results/article_load.json with a "summary" of the English cases.
`--languages en` measures English alone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DB_NAME = "outlet_bench" + os.environ.get("BENCH_DB_SUFFIX", "")


def free_port() -> int:
    """A port nobody listens on now: two benchmarks (or two people's) never fight over a fixed one."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def process_tree(roots: list[int]) -> list[int]:
    """The roots and all their descendants (gunicorn's workers, Celery's pool children), from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid ...: comm may hold spaces and parentheses, so split after the last ")".
            text = stat.read_text()
            ppid = int(text.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [], list(roots)
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.append(pid)
            todo += children.get(pid, [])
    return found


class PeakRss:
    """Samples the resident memory (VmRSS) of a process tree on a thread while a case runs: the largest single
    process (the "every process < 150 MB" goal) and the largest sum over the tree. Linux /proc only, no psutil.

        with PeakRss([server.pid]) as rss:
            run_the_load()
        rss.result()  # {"peak_rss_mb": 131.2, "peak_rss_total_mb": 388.0, "processes": 3}
    """

    def __init__(self, roots: list[int], interval: float = 0.25) -> None:
        self.roots, self.interval = roots, interval
        self.peak_kb = self.peak_total_kb = self.processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        sizes = [_rss_kb(pid) for pid in process_tree(self.roots)]
        sizes = [size for size in sizes if size]
        if sizes:
            self.peak_kb = max(self.peak_kb, max(sizes))
            self.peak_total_kb = max(self.peak_total_kb, sum(sizes))
            self.processes = max(self.processes, len(sizes))

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.sample()

    def __enter__(self) -> PeakRss:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()

    def result(self) -> dict:
        return {
            "peak_rss_mb": round(self.peak_kb / 1024, 1),
            "peak_rss_total_mb": round(self.peak_total_kb / 1024, 1),
            "processes": self.processes,
        }


def ms(value: str) -> float:
    """wrk's latency ("812.00us", "20.61ms", "1.02s") in milliseconds."""
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return round(float(number) * {"us": 0.001, "ms": 1, "s": 1000, "m": 60000}[unit], 2)


def sh(*args: str, env=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, capture_output=True, **kwargs)


def start_gunicorn(*, port: int, workers: int, env: dict) -> subprocess.Popen:
    """gunicorn with sync workers on the bench settings (bench/wsgi.py), as the issue's baseline was measured."""
    command = [PYTHON, "-m", "gunicorn", "bench.wsgi:application", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except Exception:  # noqa: BLE001
            time.sleep(0.3)
    raise SystemExit(f"server did not come up at {url}")


def wrk(url: str, *, duration: int, connections: int, threads: int, headers: list[str]) -> dict:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run([*args, url], check=True, text=True, capture_output=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": p50, "p99": p99, "non_2xx": int(non2xx.group(1)) if non2xx else 0}


# The English cases the summary reports, by their name in "results" (the table in bench/run_all.py reads it).
SUMMARY_CASES = {
    "home_anonymous": "en: home page, anonymous",
    "section_anonymous": "en: section page, anonymous",
    "article_public_anonymous": "en: article, anonymous (public)",
    "article_metered_anonymous": "en: article, anonymous (metered)",
    "article_signed_in_reader": "en: article, signed-in reader (metered)",
    "article_paying_member": "en: article, paying member (members only)",
    "campaign_anonymous": "campaign page, anonymous (demo fundraiser)",
}


def summarise(results: dict) -> dict:
    """Per case: req/s, the ratio to the bare view (its run just before the case, else the mean of the bare runs),
    p50/p99 in ms and the peak RSS of any one server process; plus the bare figure and the largest RSS seen."""
    bare_runs = [r["rps"] for name, r in results.items() if name.startswith("bare Django view")]
    bare = sum(bare_runs) / len(bare_runs)
    summary: dict = {
        "bare_rps": round(bare, 1),
        "bare_rps_runs": bare_runs,
        "peak_rss_mb": max(r["peak_rss_mb"] for r in results.values()),
    }
    for key, name in SUMMARY_CASES.items():
        if name in results:
            r = results[name]
            summary[key] = {
                "rps": r["rps"],
                "ratio": round(r["rps"] / r.get("bare_rps_adjacent", bare), 3),
                "bare_rps_adjacent": r.get("bare_rps_adjacent"),
                "p50_ms": ms(r["p50"]),
                "p99_ms": ms(r["p99"]),
                "non_2xx": r["non_2xx"],
                "peak_rss_mb": r["peak_rss_mb"],
            }
    return summary


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--languages", default="en,ka,hy,az,ru")
    parser.add_argument(
        "--adjacent-bare",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a short bare run before each case, for its ratio (default on)",
    )
    args = parser.parse_args()
    languages = [code.strip() for code in args.languages.split(",") if code.strip()]
    if "en" not in languages:
        languages.insert(0, "en")  # the summary's cases are the English ones
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    pg = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    port = int(os.environ.get("BENCH_PORT") or free_port())
    env = os.environ | {
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": f"bench-{int(time.time())}",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "OUTLET_VAR_DIR": str(ROOT / "var" / f"bench{os.environ.get('BENCH_DB_SUFFIX', '')}"),
        "LOG_LEVEL": "WARNING",
    }
    sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")
    sh("psql", f"{pg}/postgres", "-qc", f"CREATE DATABASE {DB_NAME}")
    server = None
    try:
        sh(PYTHON, "manage.py", "migrate", "-v0", env=env)
        sh(PYTHON, "manage.py", "load_demo_content", env=env)
        snippet_env = env | {"BENCH_LANGUAGES": ",".join(languages)}
        setup = json.loads(
            sh(PYTHON, "manage.py", "shell", "-c", SETUP_SNIPPET, env=snippet_env).stdout.strip().splitlines()[-1]
        )
        reader_cookie = [f"Cookie: sessionid={setup['reader_session']}"]
        member_cookie = [f"Cookie: sessionid={setup['member_session']}"]

        server = start_gunicorn(port=port, workers=args.workers, env=env)
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base + "/__bench__/bare/")
        # The member must be measured reading the story, not its paywall (which a stranger gets).
        members_url = base + setup["languages"]["en"]["members"]
        as_member = urllib.request.Request(members_url, headers=dict([member_cookie[0].split(": ", 1)]))
        member_page = urllib.request.urlopen(as_member).read()
        stranger_page = urllib.request.urlopen(members_url).read()
        if b'class="paywall' in member_page or b'class="paywall' not in stranger_page:
            raise SystemExit("the paying member meets the paywall (or a stranger does not): not a member's read")
        cases = [("bare Django view", "/__bench__/bare/", [])]
        for code in languages:
            urls = setup["languages"][code]
            cases += [
                (f"{code}: home page, anonymous", urls["home"], []),
                (f"{code}: section page, anonymous", urls["section"], []),
                (f"{code}: article, anonymous (public)", urls["public"], []),
                (f"{code}: article, anonymous (metered)", urls["metered"], []),
                (f"{code}: article, signed-in reader (metered)", urls["metered"], reader_cookie),
                (f"{code}: article, paying member (members only)", urls["members"], member_cookie),
            ]
        cases += [
            ("campaign page, anonymous (demo fundraiser)", setup["campaign"], []),
            ("bare Django view (again, at the end)", "/__bench__/bare/", []),
        ]
        results = {}
        for name, path, headers in cases:
            for _ in range(50):  # warm caches and persistent connections
                request = urllib.request.Request(base + path, headers=dict(h.split(": ", 1) for h in headers))
                urllib.request.urlopen(request).read()
            adjacent = {}
            if args.adjacent_bare and not path.startswith("/__bench__/"):
                bare_run = wrk(
                    base + "/__bench__/bare/",
                    duration=max(2, args.duration // 2),
                    connections=args.connections,
                    threads=args.threads,
                    headers=[],
                )
                adjacent = {"bare_rps_adjacent": bare_run["rps"]}
            with PeakRss([server.pid]) as rss:
                results[name] = wrk(
                    base + path,
                    duration=args.duration,
                    connections=args.connections,
                    threads=args.threads,
                    headers=headers,
                )
            results[name] |= {"path": path, **adjacent, **rss.result()}
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME} WITH (FORCE)")

    summary = summarise(results)
    bare = summary["bare_rps"]
    print(
        f"\ngunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"PostgreSQL + Redis, {os.cpu_count()} cores shared by server and load generator; vs bare = req/s divided "
        f"by the bare run just before the case (else the mean of the bare runs, "
        f"{', '.join(f'{r:.0f}' for r in summary['bare_rps_runs'])} req/s)\n"
    )
    print(f"{'case':48} {'req/s':>9} {'vs bare':>8} {'p50':>9} {'p99':>9} {'non-2xx':>8} {'RSS MB':>7}")
    for name, r in results.items():
        print(
            f"{name:48} {r['rps']:9.0f} {r['rps'] / r.get('bare_rps_adjacent', bare):8.2f} {r['p50']:>9} "
            f"{r['p99']:>9} {r['non_2xx']:8d} "
            f"{r['peak_rss_mb']:7.1f}"
        )
    out = ROOT / "bench" / "results" / "article_load.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "summary": summary, "results": results}, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


SETUP_SNIPPET = """
import json, os
from datetime import timedelta
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone, translation
from donations.models import Campaign
from members import lifecycle
from members.models import Tier
from outlet.payments.providers.base import SubscriptionChanged
from outlet.publishing.models import Article, Section


def session_of(user):
    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return session.session_key


urls = {}
# The metered and members-only stories are English, shown under each language's prefix in their original words, as
# a reader of that language meets them; the public story is the version in that language (the demo has three in each).
metered = Article.objects.live().filter(access="metered", language="en").first()
members_only = Article.objects.live().filter(access="members", language="en").first()
section = Section.objects.filter(articles__in=Article.objects.live()).distinct().order_by("pk").first()
for code in os.environ["BENCH_LANGUAGES"].split(","):
    public = Article.objects.live().filter(access="public", language=code).first()
    with translation.override(code):
        urls[code] = {
            "home": reverse("outlet:home"),
            "section": section.get_absolute_url(),
            "public": public.get_absolute_url(),
            "metered": reverse("outlet:article", kwargs={"slug": metered.slug}),
            "members": reverse("outlet:article", kwargs={"slug": members_only.slug}),
        }
campaign = Campaign.objects.order_by("pk").first()
with translation.override("en"):
    campaign_url = reverse("donations:campaign", kwargs={"slug": campaign.slug})

users = get_user_model().objects
reader, _ = users.get_or_create(username="bench-reader", defaults={"email": "bench@example.org"})
# A paying member: an active monthly Supporter subscription, applied as the provider's subscription webhook applies it.
member, _ = users.get_or_create(username="bench-member", defaults={"email": "bench-member@example.org"})
now = timezone.now()
membership = lifecycle.apply_subscription_state(
    user_id=member.pk,
    reported=SubscriptionChanged(
        provider="sandbox",
        event_id="evt_bench_member",
        occurred_at=now,
        subscription_id="sub_bench_member",
        customer_id="cus_bench_member",
        status="active",
        interval="month",
        amount_minor=1500,
        currency="GEL",
        current_period_end=now + timedelta(days=30),
    ),
    tier=Tier.objects.get(slug="supporter"),
)
assert membership is not None and membership.status == "active", membership
print(json.dumps({
    "reader_session": session_of(reader),
    "member_session": session_of(member),
    "languages": urls,
    "campaign": campaign_url,
}))
"""

if __name__ == "__main__":
    main()
