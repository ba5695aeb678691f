"""`manage.py run_local <address>` gives the web server and the worker a SITE_URL for the address it binds, so
checkouts return to this server and emails link to it, without setting SITE_URL by hand."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from outlet.demo.management.commands import run_local
from outlet.demo.management.commands.run_local import site_environment

ROOT = Path(__file__).resolve().parents[2]
LOCAL_HOSTS = ["127.0.0.1", "localhost", "testserver"]


@pytest.fixture
def local_hosts(settings):
    settings.ALLOWED_HOSTS = LOCAL_HOSTS


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("8001", {"SITE_URL": "http://127.0.0.1:8001"}),
        ("127.0.0.1:8000", {"SITE_URL": "http://127.0.0.1:8000"}),
        ("localhost:9000", {"SITE_URL": "http://localhost:9000"}),
        ("0.0.0.0:8002", {"SITE_URL": "http://127.0.0.1:8002"}),  # every interface: this machine's browser
        ("0:8002", {"SITE_URL": "http://127.0.0.1:8002"}),
        ("[::1]:8003", {"SITE_URL": "http://[::1]:8003", "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver,[::1]"}),
        (
            "newsroom.lan:8004",
            {"SITE_URL": "http://newsroom.lan:8004", "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver,newsroom.lan"},
        ),
    ],
)
def test_the_site_address_follows_the_bound_address(local_hosts, address, expected):
    assert site_environment(address, {}) == expected


def test_a_site_url_someone_set_is_kept(local_hosts):
    assert site_environment("8001", {"SITE_URL": "https://abc.tunnel.example"}) == {}


def test_allowed_hosts_someone_set_are_kept(local_hosts):
    assert site_environment("newsroom.lan:8004", {"ALLOWED_HOSTS": "newsroom.lan"}) == {
        "SITE_URL": "http://newsroom.lan:8004"
    }


def test_an_address_that_is_not_one_is_refused_before_anything_starts(local_hosts):
    with pytest.raises(CommandError, match="not an address"):
        call_command("run_local", "localhost:http")


class FakeProcess:
    """Stands in for the worker and runserver: records how it was started; the first wait is a Ctrl-C."""

    started: list[FakeProcess] = []

    def __init__(self, args, *, cwd, env=None):
        self.args, self.env, self.signals = args, env, []
        FakeProcess.started.append(self)

    def poll(self):
        return 0 if self.signals else None

    def wait(self, timeout=None):
        if not self.signals:
            raise KeyboardInterrupt
        return 0

    def send_signal(self, number):
        self.signals.append(number)


def test_the_web_server_and_the_worker_both_get_the_address(local_hosts, monkeypatch, capsys):
    FakeProcess.started = []
    monkeypatch.setattr(run_local.subprocess, "Popen", FakeProcess)
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.delenv("ALLOWED_HOSTS", raising=False)
    previous = signal.getsignal(signal.SIGTERM)
    try:
        call_command("run_local", "0.0.0.0:8123")
    finally:
        signal.signal(signal.SIGTERM, previous)

    worker, web = FakeProcess.started
    assert "worker" in worker.args and web.args[-2:] == ["runserver", "0.0.0.0:8123"]
    for process in (worker, web):
        assert process.env["SITE_URL"] == "http://127.0.0.1:8123"
        assert process.env["PATH"] == os.environ["PATH"]  # the rest of the environment passes through
        assert process.signals == [signal.SIGTERM]
    out = capsys.readouterr().out
    assert "running at http://127.0.0.1:8123/" in out
    assert "Other machines: set SITE_URL and ALLOWED_HOSTS" in out


def test_a_process_started_with_that_environment_has_the_matching_settings(local_hosts):
    environment = {
        k: v for k, v in os.environ.items() if k not in ("SITE_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS")
    }
    environment |= site_environment("newsroom.lan:8124", environment)
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SITE_URL, s.ALLOWED_HOSTS, s.CSRF_TRUSTED_ORIGINS]))"
    )

    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment | {"DJANGO_SETTINGS_MODULE": "outlet.settings"},
    )

    assert result.returncode == 0, result.stderr
    site_url, allowed_hosts, trusted_origins = json.loads(result.stdout)
    assert site_url == "http://newsroom.lan:8124"
    assert "newsroom.lan" in allowed_hosts and "127.0.0.1" in allowed_hosts
    assert trusted_origins == ["http://newsroom.lan:8124"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_run_local_on_another_port_serves_links_to_that_port(tmp_path):
    """The real command, as `make run` starts it but on a free port and a fresh var/ folder."""
    port = _free_port()
    switches = ("SITE_URL", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL")
    environment = {k: v for k, v in os.environ.items() if k not in switches} | {"OUTLET_VAR_DIR": str(tmp_path)}
    log = tmp_path / "run_local.log"
    with open(log, "w") as output:
        command = subprocess.Popen(
            [sys.executable, "manage.py", "run_local", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        robots = _fetch_when_up(f"http://127.0.0.1:{port}/robots.txt", command, log)
        assert f"Sitemap: http://127.0.0.1:{port}/sitemap.xml" in robots
    finally:
        os.killpg(command.pid, signal.SIGKILL)  # run_local, its worker and web server (a session of their own)
        command.wait()


def _fetch_when_up(url: str, command: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if command.poll() is not None:
            pytest.fail(f"run_local stopped:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.read().decode()
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"nothing answered at {url}:\n{log.read_text()}")
