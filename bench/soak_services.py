"""The processes bench/soak.py runs and breaks: a private redis-server, gunicorn, the Celery worker and beat, each
started with the Procfile's own command line (the bind moved to loopback), each in its own process group so that
a SIGKILL takes the worker and its pool children together, as an out-of-memory kill of its container would."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def procfile_command(name: str, *, port: int) -> list[str]:
    """The Procfile's line `name`, as arguments; `gunicorn`/`celery` run from this virtualenv's Python; gunicorn
    binds to loopback (the Procfile's 0.0.0.0 is for a container) and keeps no control socket (one per machine
    user, and others run gunicorn on this machine)."""
    line = next(line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith(f"{name}:"))
    args = shlex.split(line.split(":", 1)[1].replace("${PORT:-8000}", str(port)))
    program, rest = args[0], args[1:]
    if program == "python":  # e.g. beat: `python manage.py run_beat`
        return [PYTHON, *rest]
    if program == "gunicorn":
        rest = [a if not a.startswith("0.0.0.0:") else f"127.0.0.1:{port}" for a in rest] + ["--no-control-socket"]
    return [PYTHON, "-m", program, *rest]


class Services:
    def __init__(self, *, env: dict, var_dir: Path, port: int, redis_port: int) -> None:
        self.env, self.var_dir, self.port, self.redis_port = env, var_dir, port, redis_port
        self.processes: dict[str, subprocess.Popen] = {}
        self.commands = {name: procfile_command(name, port=port) for name in ("web", "worker", "beat")}

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.var_dir / f"{name}.log", "a")  # noqa: SIM115 (kept open for the child)
        log.write(f"\n===== {time.strftime('%H:%M:%S')} start: {' '.join(args)}\n")
        log.flush()
        process = subprocess.Popen(
            args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.processes[name] = process
        return process

    # --- Redis ---

    def start_redis(self) -> None:
        self._start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.var_dir),
            ],
        )
        self._wait_for_redis()

    def _wait_for_redis(self, timeout: float = 20) -> None:
        import redis

        client = redis.Redis(port=self.redis_port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.1)
        raise SystemExit("the private redis-server did not start")

    def stop_redis(self) -> None:
        self._stop("redis", signal.SIGTERM)

    # --- Web, worker, beat ---

    def start_web(self) -> None:
        self._start("web", self.commands["web"])

    def start_worker(self) -> None:
        self._start("worker", self.commands["worker"])

    def start_beat(self) -> None:
        self._start("beat", self.commands["beat"])

    def kill_worker(self) -> int:
        """SIGKILL to the worker's whole process group (main process and pool children). Returns how many died."""
        process = self.processes["worker"]
        members = _group_members(process.pid)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return len(members)

    def broker_state(self) -> dict:
        """Tasks the worker holds unacknowledged, and tasks waiting in the queue (kombu's Redis keys)."""
        import redis

        client = redis.Redis(port=self.redis_port, socket_connect_timeout=0.5, socket_timeout=1)
        try:
            return {
                "unacked": client.hlen("unacked"),
                "queued": client.llen(self.env.get("CELERY_TASK_DEFAULT_QUEUE", "outlet")),
            }
        except redis.RedisError:
            return {}

    def worker_pids(self) -> list[int]:
        return _group_members(self.processes["worker"].pid) if "worker" in self.processes else []

    def _stop(self, name: str, sig: int, timeout: float = 30) -> None:
        process = self.processes.get(name)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def stop_all(self) -> None:
        for name in ("beat", "worker", "web"):
            self._stop(name, signal.SIGTERM)
        self.stop_redis()

    def alive(self, name: str) -> bool:
        process = self.processes.get(name)
        return process is not None and process.poll() is None


def _group_members(pgid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    found.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return found
