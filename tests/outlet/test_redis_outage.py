"""Integration: Redis (the cache and the Celery broker) stops in the middle of a working day and comes back.

Real services: gunicorn serving the site, a Celery worker, PostgreSQL, and a redis-server of this test's own on a
free port (the shared one on 6379 is never touched). While it is stopped, readers keep reading and signing in,
paid checkouts and provider webhooks are stored, a new gift is refused with a plain message, and /healthz says
503 naming the failed checks. After it returns (empty, as a Redis without persistence does), the beat sweeps queue
again what the outage dropped, and everything paid during the outage ends processed, receipted and emailed once.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from allauth.account.models import EmailAddress
from django.conf import global_settings, settings

from donations.models import DonationCheckout
from members.models import Membership
from outlet.common.models import SentEmail
from outlet.payments.models import Payment, WebhookEvent
from outlet.payments.providers.sandbox.provider import sign
from outlet.receipts.models import Receipt
from tests.conftest import IN_CI, ROOT, start_worker, test_database_url, wait_for
from tests.donations.conftest import make_campaign
from tests.factories import ArticleFactory, SectionFactory, UserFactory

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct horse battery staple"
READER_PAGES = [
    "/",
    "/articles/glaciers/",
    "/sections/environment/",
    "/fundraisers/safety-fund/",
    "/membership/",
    "/accounts/login/",
]
GIFT_REFUSED = "We can&#x27;t take gifts for a moment; nothing was charged. Please try again in a few minutes."
UNPROCESSED = [WebhookEvent.Status.RECEIVED, WebhookEvent.Status.FAILED]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class PrivateRedis:
    """A redis-server on a free port, without persistence (a restart comes back empty), stopped and started at will."""

    def __init__(self, binary: str, folder: Path):
        self.binary, self.folder, self.port = binary, folder, free_port()
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
                "--logfile",
                str(self.folder / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while not answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                pytest.fail(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        assert not answers(self.port)


@pytest.fixture
def private_redis(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        if IN_CI:
            pytest.fail("CI needs redis-server installed (apt-get install redis-server)")
        pytest.skip("redis-server is not installed")
    folder = tmp_path / "redis"
    folder.mkdir()
    redis = PrivateRedis(binary, folder)
    redis.start()
    yield redis
    redis.stop()


@pytest.fixture
def worker(private_redis, real_postgres, monkeypatch, tmp_path):
    """A real Celery worker whose broker and cache are the private Redis."""
    queue = f"test-outage-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("REDIS_URL", private_redis.url)
    process = start_worker(
        queue=queue, log_path=tmp_path / "worker.log", email_url=f"filemail:///{tmp_path / 'worker-mail'}"
    )
    yield {"queue": queue, "log": tmp_path / "worker.log", "mail_dir": tmp_path / "worker-mail"}
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def services_env(private_redis, worker, tmp_path) -> dict:
    """The environment of every process of this site: the test database, the private Redis, the worker's queue."""
    return os.environ | {
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": private_redis.url,
        "CONN_MAX_AGE": "0",
        "CELERY_TASK_DEFAULT_QUEUE": worker["queue"],
        "EMAIL_URL": f"filemail:///{tmp_path / 'web-mail'}",
    }


@pytest.fixture
def site(services_env, tmp_path):
    """gunicorn with two sync workers, as the Procfile runs it; returns the base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "outlet.wsgi:application",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{port}",
                "--timeout",
                "60",
                "--error-logfile",
                "-",
            ],
            cwd=ROOT,
            env=services_env | {"SITE_URL": base},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                requests.get(f"{base}/healthz", timeout=10)
                break
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or its first request loading
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
                time.sleep(0.2)
        yield {"base": base, "log": log_path}
    finally:
        server.terminate()
        try:
            server.wait(timeout=40)  # gunicorn lets its workers finish their requests first
        except subprocess.TimeoutExpired:
            server.kill()
    assert "Internal Server Error" not in log_path.read_text(), "no request answered 500"


@pytest.fixture
def newsroom(priced_tiers, settings):
    # Hashed as the gunicorn processes will check them (the test process's fast hasher is not in their settings).
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    section = SectionFactory(name="Environment", slug="environment", in_navigation=True)
    ArticleFactory(title="Glaciers in retreat", slug="glaciers", section=section)
    make_campaign()
    readers = {}
    for name in ("tamar", "giorgi"):
        readers[name] = UserFactory(username=name, email=f"{name}@example.org", password=PASSWORD)
        EmailAddress.objects.create(user=readers[name], email=f"{name}@example.org", verified=True, primary=True)
    return readers


class Browser:
    """A reader's browser: cookies, the CSRF token from the page a form is on, no automatic redirects."""

    def __init__(self, base: str):
        self.base, self.session = base, requests.Session()

    def get(self, path: str) -> requests.Response:
        return self.session.get(self.base + path, allow_redirects=False, timeout=30)

    def submit(self, page: str, action: str, fields: dict) -> requests.Response:
        html = self.get(page).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        return self.session.post(
            self.base + action, data={"csrfmiddlewaretoken": token, **fields}, allow_redirects=False, timeout=30
        )

    def pay(self, checkout_url: str) -> requests.Response:
        path = checkout_url.removeprefix(self.base)
        return self.submit(path, path, {"choice": "pay"})

    def sign_in(self, email: str) -> requests.Response:
        return self.submit("/accounts/login/", "/accounts/login/", {"login": email, "password": PASSWORD})


def gift_fields(email: str) -> dict:
    return {
        "currency": "GEL",
        "amount": "5000",
        "interval": "once",
        "email": email,
        "name": "A donor",
        "split": "default",
        "message": "For the reporters",
    }


def join_fields() -> dict:
    return {"tier": "supporter", "interval": "month", "currency": "GEL"}


def run_beat_sweeps(env: dict) -> str:
    """What beat runs every few minutes, run now for a moment an hour ahead (so nothing is too recent to sweep)."""
    script = (
        "import django; django.setup()\n"
        "from datetime import timedelta\nfrom django.utils import timezone\n"
        "from outlet.payments.services import requeue_stuck_events\nfrom outlet.receipts import services as receipts\n"
        "later = timezone.now() + timedelta(hours=1)\n"
        "print(requeue_stuck_events(now=later), receipts.sweep(now=later))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env | {"DJANGO_SETTINGS_MODULE": "outlet.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def mail_to(mail_dir: Path, address: str) -> list[str]:
    if not mail_dir.exists():
        return []
    messages = [part for path in mail_dir.iterdir() for part in path.read_text().split("-" * 79 + "\n") if part.strip()]
    return [m for m in messages if f"To: {address}" in m]


def test_readers_keep_reading_while_redis_is_down_and_nothing_is_lost_when_it_returns(
    private_redis, worker, services_env, site, newsroom
):
    base = site["base"]
    donor, member, reader = Browser(base), Browser(base), Browser(base)

    # Before: the cache serves pages, and a donor opens a checkout they will pay during the outage.
    for path in READER_PAGES:
        assert reader.get(path).status_code == 200, path
    assert reader.get("/articles/glaciers/").headers["X-Page-Cache"] in {"hit", "front"}
    started = donor.submit(
        "/fundraisers/safety-fund/", "/fundraisers/safety-fund/give/", gift_fields("nino@example.org")
    )
    assert started.status_code == 302 and "/payments/sandbox/checkout/" in started.headers["Location"]

    private_redis.stop()

    # Readers read; a reader signs in; the shield refuses new gifts plainly; the other steps need no new counts.
    for path in READER_PAGES:
        response = reader.get(path)
        assert response.status_code == 200, (path, response.text[:300])
    assert "Glaciers in retreat" in reader.get("/articles/glaciers/").text
    assert member.sign_in("tamar@example.org").status_code == 302
    assert member.get("/accounts/membership/").status_code == 200
    refused = donor.submit(
        "/fundraisers/safety-fund/", "/fundraisers/safety-fund/give/", gift_fields("lela@example.org")
    )
    assert refused.status_code in (429, 503) and GIFT_REFUSED in refused.text
    assert "For the reporters</textarea>" in refused.text, "what the donor typed is kept"
    assert DonationCheckout.objects.count() == 1
    # Paying a checkout opened before, and joining, need the broker only after commit: stored now, processed later.
    assert donor.pay(started.headers["Location"]).status_code == 302
    joined = member.submit("/membership/", "/membership/join/", join_fields())
    assert joined.status_code == 302 and "/payments/sandbox/checkout/" in joined.headers["Location"]
    welcome = member.pay(joined.headers["Location"])
    assert welcome.status_code == 302 and member.get(welcome.headers["Location"].removeprefix(base)).status_code == 200
    # A provider's own delivery is stored and answered 200, so it does not give up on us.
    body = json.dumps(
        {
            "id": "evt_during_outage",
            "type": "customer.updated",
            "created": int(time.time()),
            "data": {"object": {"id": "sbx_cus_elsewhere"}},
        }
    ).encode()
    delivered = requests.post(
        f"{base}/payments/webhooks/sandbox/",
        data=body,
        timeout=30,
        headers={"Content-Type": "application/json", "Sandbox-Signature": sign(body)},
    )
    assert delivered.status_code == 200
    health = reader.get("/healthz")
    assert health.status_code == 503 and set(health.json()["failed"]) == {"cache", "broker"}
    assert "127.0.0.1" not in health.text and str(private_redis.port) not in health.text
    stored = set(WebhookEvent.objects.values_list("event_id", flat=True))
    assert "evt_during_outage" in stored and len(stored) >= 6, "both checkouts' events and the delivery, all kept"
    assert not WebhookEvent.objects.exclude(status__in=UNPROCESSED).exists(), "nothing could be processed yet"

    private_redis.start()

    # After: health and the cache come back on their own; gifts are taken again.
    wait_for(lambda: reader.get("/healthz").status_code == 200, timeout=60, message="/healthz to be green again")
    time.sleep(settings.REDIS_CACHE_OPTIONS["OUTAGE_RETRY_SECONDS"] + 1)  # every web process's breaker may probe
    wait_for(
        lambda: reader.get("/articles/glaciers/").headers["X-Page-Cache"] in {"hit", "front"},
        message="pages cached again",
    )
    again = donor.submit("/fundraisers/safety-fund/", "/fundraisers/safety-fund/give/", gift_fields("lela@example.org"))
    assert again.status_code == 302, again.text[:300]

    # The broker came back empty: the sweeps re-derive the lost work from the database, and the worker does it.
    run_beat_sweeps(services_env)
    wait_for(
        lambda: WebhookEvent.objects.filter(event_id__in=stored).exclude(status__in=UNPROCESSED).count() == len(stored),
        timeout=120,
        message="every event stored during the outage to be processed",
    )
    wait_for(
        lambda: Receipt.objects.filter(emailed_at__isnull=False).count() == 2,
        timeout=60,
        message="the gift's and the membership's receipts to be issued and emailed",
    )
    wait_for(lambda: SentEmail.objects.filter(kind="membership_welcome").exists(), message="the welcome email")
    assert Membership.objects.get(user=newsroom["tamar"]).status == Membership.Status.ACTIVE
    assert Payment.objects.count() == 2 and Receipt.objects.count() == 2

    # Sweeping again, as beat will, sends nothing twice.
    run_beat_sweeps(services_env)
    time.sleep(3)
    mail_dir = worker["mail_dir"]
    assert len(mail_to(mail_dir, "nino@example.org")) == 1, "one receipt for the gift"
    assert len(mail_to(mail_dir, "tamar@example.org")) == 2, "one welcome and one receipt for the membership"
    assert sorted(SentEmail.objects.values_list("kind", flat=True)) == [
        "donation_receipt",
        "membership_receipt",
        "membership_welcome",
    ]
