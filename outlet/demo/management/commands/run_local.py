"""`make run`: the local site and a real Celery worker (with beat) side by side; Ctrl-C stops both.

`manage.py run_local 8001` (or `0.0.0.0:8000`, `localhost:9000`) binds another address. Unless SITE_URL is set,
both processes are given a SITE_URL for that address, so the sandbox checkout returns to this server and the
worker's emails link to it; the host is added to ALLOWED_HOSTS when it is not one of the local defaults
(CSRF_TRUSTED_ORIGINS follows SITE_URL in settings).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Mapping

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.core.management.commands.runserver import naiveip_re

DEFAULT_ADDRESS = "127.0.0.1:8000"
WILDCARD_HOSTS = {"0", "0.0.0.0", "[::]"}  # every interface: a browser on this machine reaches it at 127.0.0.1


def _stop(signum, frame):
    raise KeyboardInterrupt


def browser_address(address: str) -> tuple[str, str, bool]:
    """(host, port, on every interface) of a runserver address: where a browser on this machine finds it."""
    match = re.match(naiveip_re, address)
    if match is None:
        raise CommandError(f"{address!r} is not an address to bind: give a port (8001) or host:port (0.0.0.0:8001).")
    host = match["addr"] or "127.0.0.1"
    wildcard = host in WILDCARD_HOSTS
    return ("127.0.0.1" if wildcard else host), match["port"], wildcard


def site_environment(address: str, environ: Mapping[str, str]) -> dict[str, str]:
    """The variables to add to `environ` so the web server and the worker agree on the address `address` binds.
    Nothing when SITE_URL is already set: the person running it knows better (a tunnel, a proxy)."""
    if environ.get("SITE_URL"):
        return {}
    host, port, _ = browser_address(address)
    added = {"SITE_URL": f"http://{host}:{port}"}
    if not environ.get("ALLOWED_HOSTS") and host not in settings.ALLOWED_HOSTS:
        added["ALLOWED_HOSTS"] = ",".join([*settings.ALLOWED_HOSTS, host])
    return added


class Command(BaseCommand):
    help = "Run the development server and a Celery worker with beat together (the embedded default needs no services)."

    def add_arguments(self, parser):
        parser.add_argument("address", nargs="?", default=DEFAULT_ADDRESS)

    def handle(self, *args, address: str, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("run_local is for the local profile; production runs the Procfile's processes.")
        host, port, every_interface = browser_address(address)
        added = site_environment(address, os.environ)
        environment = {**os.environ, **added}
        signal.signal(signal.SIGTERM, _stop)  # a plain `kill` stops the children too, not just this process
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "outlet", "worker", "--beat", "--loglevel=INFO", "--concurrency=2"],
            cwd=settings.BASE_DIR,
            env=environment,
        )
        web = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", address], cwd=settings.BASE_DIR, env=environment
        )
        self.stdout.write(f"\n  outlet is running at http://{host}:{port}/  (admin: http://{host}:{port}/admin/)\n")
        if not added:
            self.stdout.write(f"  SITE_URL is set: pages, checkouts and emails link to {environment['SITE_URL']}\n")
        elif every_interface:
            self.stdout.write("  Other machines: set SITE_URL and ALLOWED_HOSTS to the address they use.\n")
        try:
            while True:
                for name, process in (("Celery worker", worker), ("web server", web)):
                    if process.poll() is not None:
                        raise CommandError(f"The {name} stopped (exit {process.returncode}); stopping the rest.")
                try:
                    web.wait(timeout=1)
                except subprocess.TimeoutExpired:
                    pass
        except KeyboardInterrupt:
            pass
        finally:
            for process in (web, worker):
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in (web, worker):
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
