"""The deployment files (deploy/) do what the README says, tested as far as this machine allows: no container engine
runs here (images cannot be pulled), so the image's build step, its entrypoint's roles and the release step run
directly, against the real PostgreSQL and Redis, with the production settings."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
import yaml

from tests.outlet.test_settings import PRODUCTION_ENV

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _stages(dockerfile: str) -> list[str]:
    return re.findall(r"^FROM\s+\S+\s+AS\s+(\w+)", dockerfile, re.M | re.I)


def test_the_image_is_built_in_stages_and_runs_as_a_user_without_privileges():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert _stages(dockerfile) == ["build", "runtime"]
    runtime = dockerfile.split("AS runtime", 1)[1]
    users = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert "gettext" not in runtime, "no build tools in the image that runs"
    assert "deploy/build-assets.sh" in dockerfile.split("AS runtime", 1)[0], "catalogues and static files at build"
    assert re.search(r'^ENTRYPOINT \["/app/deploy/entrypoint.sh"\]', runtime, re.M)
    assert 'CMD ["/app/deploy/entrypoint.sh", "healthcheck"]' in runtime
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for name in source.split():
            assert (ROOT / name).exists(), f"COPY {name}: not in the repository"


def test_the_compose_file_runs_many_web_and_worker_containers_and_one_beat():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"web", "worker", "beat", "release", "postgres", "redis", "proxy"} <= set(services)
    for role in ("web", "worker", "beat", "release"):
        assert services[role]["image"] == "outlet:latest" and services[role]["command"] == [role]
        assert services[role]["read_only"] is True, "nothing kept on one container's disk"
    assert services["beat"]["deploy"]["replicas"] == 1
    assert services["web"]["depends_on"]["release"] == {"condition": "service_completed_successfully"}
    assert "REDIS_URL" in services["web"]["environment"] and "DATABASE_URL" in services["worker"]["environment"]
    example = (DEPLOY / "production.env.example").read_text()
    for name in ("SECRET_KEY", "SITE_URL", "EMAIL_URL", "STRIPE_SECRET_KEY", "MEDIA_BUCKET", "HEALTH_CHECK_HOST"):
        assert re.search(rf"^{name}=", example, re.M), name
    assert "server-template web" in (DEPLOY / "haproxy.cfg").read_text()


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: os.environ[k] for k in ("HOME", "LANG", "TMPDIR") if k in os.environ}
    env["PATH"] = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return env | extra


@pytest.fixture(scope="module")
def built_static(tmp_path_factory) -> Path:
    static_root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [str(DEPLOY / "build-assets.sh")],
        env=_clean_env(STATIC_ROOT=str(static_root)),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return static_root


def test_the_build_step_compiles_the_catalogues_and_hashes_the_static_files(built_static):
    manifest = json.loads((built_static / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    assert hashed != "css/site.css" and (built_static / (hashed + ".br")).exists()
    for language in ("ka", "hy", "az", "ru"):
        assert (ROOT / "outlet/locale" / language / "LC_MESSAGES/django.mo").exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def fresh_database(real_postgres):
    """An empty database, as a first deploy finds it."""
    name = f"outlet_deploy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.integration
def test_release_then_web_answer_health_checks_and_serve_hashed_static_files(
    fresh_database, real_redis, built_static, tmp_path
):
    port = _free_port()
    env = _clean_env(
        **PRODUCTION_ENV
        | {
            "DATABASE_URL": fresh_database,
            "REDIS_URL": os.environ["REDIS_URL"],
            "STATIC_ROOT": str(built_static),
            "OUTLET_VAR_DIR": str(tmp_path / "var"),
            "PORT": str(port),
            "WEB_WORKERS": "1",
        }
    )
    entrypoint = str(DEPLOY / "entrypoint.sh")
    release = subprocess.run([entrypoint, "release"], env=env, capture_output=True, text=True, timeout=600)
    assert release.returncode == 0, release.stdout + release.stderr
    again = subprocess.run([entrypoint, "release"], env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "No migrations to apply" in again.stdout, "a second release changes nothing"

    with open(tmp_path / "web.log", "w") as log:
        web = subprocess.Popen([entrypoint, "web"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            probe = subprocess.run([entrypoint, "healthcheck"], env=env, capture_output=True, text=True, timeout=30)
            if probe.returncode == 0:
                break
            assert web.poll() is None, (tmp_path / "web.log").read_text()
            assert time.monotonic() < deadline, probe.stderr + (tmp_path / "web.log").read_text()
            time.sleep(0.5)

        hashed = json.loads((built_static / "staticfiles.json").read_text())["paths"]["css/site.css"]
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/static/{hashed}",
            headers={"Host": "news.example.org", "X-Forwarded-Proto": "https", "Accept-Encoding": "br"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
            assert "max-age=315360000" in answer.headers["Cache-Control"]
            assert answer.headers["Content-Encoding"] == "br"
    finally:
        web.send_signal(signal.SIGTERM)
        web.wait(timeout=30)


def test_the_healthcheck_fails_when_nothing_answers():
    env = _clean_env(PORT=str(_free_port()), ALLOWED_HOSTS="news.example.org")
    probe = subprocess.run([str(DEPLOY / "entrypoint.sh"), "healthcheck"], env=env, capture_output=True, text=True)
    assert probe.returncode == 1 and "healthcheck:" in probe.stderr
