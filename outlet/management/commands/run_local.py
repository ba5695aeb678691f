"""`make run`: the local site and a real Celery worker (with beat) side by side; Ctrl-C stops both."""

from __future__ import annotations

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def _stop(signum, frame):
    raise KeyboardInterrupt


class Command(BaseCommand):
    help = "Run the development server and a Celery worker with beat together (the embedded default needs no services)."

    def add_arguments(self, parser):
        parser.add_argument("address", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, address: str, **options):
        if settings.IS_PRODUCTION:
            raise CommandError("run_local is for the local profile; production runs the Procfile's processes.")
        signal.signal(signal.SIGTERM, _stop)  # a plain `kill` stops the children too, not just this process
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "outlet", "worker", "--beat", "--loglevel=INFO", "--concurrency=2"],
            cwd=settings.BASE_DIR,
        )
        web = subprocess.Popen([sys.executable, "manage.py", "runserver", address], cwd=settings.BASE_DIR)
        self.stdout.write(f"\n  outlet is running at http://{address}/  (admin: http://{address}/admin/)\n")
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
