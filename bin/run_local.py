"""Start the local site and a real Celery worker (with beat) together; stop both on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
ADDRESS = os.environ.get("RUN_ADDRESS", "127.0.0.1:8000")


def main() -> int:
    os.chdir(ROOT)
    env = os.environ.copy()
    worker = subprocess.Popen(
        [PYTHON, "-m", "celery", "-A", "outlet", "worker", "--beat", "--loglevel=INFO", "--concurrency=2"],
        env=env,
    )
    web = subprocess.Popen([PYTHON, "manage.py", "runserver", ADDRESS], env=env)
    print(f"\n  outlet is running at http://{ADDRESS}/  (admin: http://{ADDRESS}/admin/)\n", flush=True)
    try:
        while True:
            for name, proc in (("worker", worker), ("web server", web)):
                code = proc.poll()
                if code is not None:
                    print(f"The {name} stopped (exit {code}); stopping the rest.", file=sys.stderr)
                    return code or 1
            try:
                web.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        return 0
    finally:
        for proc in (web, worker):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in (web, worker):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    sys.exit(main())
