"""Load benchmark of the article page vs. a bare Django view, with wrk against gunicorn on PostgreSQL + Redis.

    .venv/bin/python bench/article_load.py [--duration 20] [--connections 16]

Creates (and drops) the database `outlet_bench` on the local PostgreSQL, loads the demo content, starts gunicorn
with 2 sync workers (the production server settings: DEBUG off, CONN_MAX_AGE on, Redis cache), and runs wrk
against: the bare view; then, in each language (English at the root, the others under /ka/, /hy/, /az/, /ru/), as an
anonymous reader the home page, a public story (its version in that language) and a metered story, and a metered
story as a signed-in reader. Prints req/s and the ratio to the bare view, and writes bench/results/article_load.json.
`--languages en` measures English alone.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
PORT = 8123
DB_NAME = "outlet_bench"


def sh(*args: str, env=None, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=ROOT, env=env, check=True, text=True, capture_output=True, **kwargs)


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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--languages", default="en,ka,hy,az,ru")
    args = parser.parse_args()
    languages = [code.strip() for code in args.languages.split(",") if code.strip()]
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    pg = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    env = os.environ | {
        "DATABASE_URL": f"{pg}/{DB_NAME}",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": f"bench-{int(time.time())}",
        "DEBUG": "false",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "OUTLET_VAR_DIR": str(ROOT / "var" / "bench"),
        "LOG_LEVEL": "WARNING",
    }
    sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}")
    sh("psql", f"{pg}/postgres", "-qc", f"CREATE DATABASE {DB_NAME}")
    sh(PYTHON, "manage.py", "migrate", "-v0", env=env)
    sh(PYTHON, "manage.py", "load_demo_content", env=env)
    snippet_env = env | {"BENCH_LANGUAGES": ",".join(languages)}
    setup = sh(PYTHON, "manage.py", "shell", "-c", SETUP_SNIPPET, env=snippet_env).stdout.strip().splitlines()[-1]
    session_key, *urls = setup.split()
    stories = {code: (urls[2 * i], urls[2 * i + 1]) for i, code in enumerate(languages)}

    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "bench.wsgi:application",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{PORT}"
    try:
        wait_until_up(base + "/__bench__/bare/")
        cases = [("bare Django view", "/__bench__/bare/", [])]
        for code, (public_url, metered_url) in stories.items():
            home = "/" if code == "en" else f"/{code}/"
            cases += [
                (f"{code}: home page, anonymous", home, []),
                (f"{code}: article, anonymous (public)", public_url, []),
                (f"{code}: article, anonymous (metered)", metered_url, []),
                (f"{code}: article, signed-in (metered)", metered_url, [f"Cookie: sessionid={session_key}"]),
            ]
        results = {}
        for name, path, headers in cases:
            for _ in range(50):  # warm caches and persistent connections
                request = urllib.request.Request(base + path, headers=dict(h.split(": ", 1) for h in headers))
                urllib.request.urlopen(request).read()
            results[name] = wrk(
                base + path, duration=args.duration, connections=args.connections, threads=args.threads, headers=headers
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
        sh("psql", f"{pg}/postgres", "-qc", f"DROP DATABASE IF EXISTS {DB_NAME}")

    bare = results["bare Django view"]["rps"]
    print(
        f"\ngunicorn {args.workers} sync workers, wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"PostgreSQL + Redis, {os.cpu_count()} cores shared by server and load generator\n"
    )
    print(f"{'case':42} {'req/s':>9} {'vs bare':>8} {'p50':>9} {'p99':>9} {'non-2xx':>8}")
    for name, r in results.items():
        print(f"{name:42} {r['rps']:9.0f} {r['rps'] / bare:8.2f} {r['p50']:>9} {r['p99']:>9} {r['non_2xx']:8d}")
    out = ROOT / "bench" / "results" / "article_load.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"args": vars(args), "results": results}, indent=2))
    print(f"\nwritten to {out.relative_to(ROOT)}")


SETUP_SNIPPET = """
import os
from django.contrib.auth import get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.utils import translation
from outlet.publishing.models import Article
urls = []
for code in os.environ["BENCH_LANGUAGES"].split(","):
    # A public story in that language (the demo has three in every language); the metered one is English, shown
    # under the language's prefix in its original words, as a reader of that language meets it.
    public = Article.objects.live().filter(access="public", language=code).first()
    metered = Article.objects.live().filter(access="metered", language="en").first()
    with translation.override(code):
        from django.urls import reverse
        urls += [public.get_absolute_url(), reverse("outlet:article", kwargs={"slug": metered.slug})]
user, _ = get_user_model().objects.get_or_create(username="bench-reader", defaults={"email": "bench@example.org"})
session = SessionStore()
session["_auth_user_id"] = str(user.pk)
session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
session["_auth_user_hash"] = user.get_session_auth_hash()
session.create()
print(session.session_key, *urls)
"""

if __name__ == "__main__":
    main()
