"""The production profile is safe by construction and refuses to boot half-configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from outlet.settings import env_bool

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "OUTLET_ENV": "production",
    "SECRET_KEY": "pY3r8Qz-vN1mK6tW0sXa9LbE2uHc5JdF7gRi4oTn_Ue8wVy1zAq",
    "ALLOWED_HOSTS": "news.example.org",
    "SITE_URL": "https://news.example.org",
    "DATABASE_URL": "postgres://outlet:secret@db.internal:5432/outlet",
    "REDIS_URL": "redis://cache.internal:6379/0",
    "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.org:587",
    "STRIPE_SECRET_KEY": "sk_test_not_a_real_key",
    "STRIPE_WEBHOOK_SECRET": "whsec_not_a_real_secret",
    "ALLAUTH_TRUSTED_PROXY_COUNT": "1",
}


def run_manage(*args: str, env_overrides: dict[str, str]) -> subprocess.CompletedProcess:
    """A clean environment, like a fresh server's: nothing from the test run (CI URLs, browser-test flags) leaks in."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_passes_the_deploy_checklist_with_no_warnings():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "missing",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_URL",
        "SITE_URL",
        "STRIPE_SECRET_KEY",
        "STRIPE_WEBHOOK_SECRET",
        "ALLAUTH_TRUSTED_PROXY_COUNT",
    ],
)
def test_production_refuses_to_start_without_each_required_setting(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = run_manage("check", env_overrides=env)
    assert result.returncode != 0
    assert missing in result.stderr


def _proxy_count(**env: str) -> subprocess.CompletedProcess:
    script = "from django.conf import settings; print(settings.ALLAUTH_TRUSTED_PROXY_COUNT)"
    return run_manage("shell", "--verbosity", "0", "-c", script, env_overrides=env)


def test_production_needs_the_proxy_count_said_out_loud_and_zero_is_an_answer():
    """Behind the TLS proxy a count left at its default of 0 makes every donor one address: ten checkout starts
    per ten minutes for the whole site. There is no safe default, so production must be told."""
    missing = _proxy_count(**{k: v for k, v in PRODUCTION_ENV.items() if k != "ALLAUTH_TRUSTED_PROXY_COUNT"})
    assert missing.returncode != 0 and "Production needs ALLAUTH_TRUSTED_PROXY_COUNT" in missing.stderr
    assert _proxy_count(**PRODUCTION_ENV | {"ALLAUTH_TRUSTED_PROXY_COUNT": " "}).returncode != 0
    assert _proxy_count(**PRODUCTION_ENV | {"ALLAUTH_TRUSTED_PROXY_COUNT": "0"}).stdout.strip() == "0"
    assert _proxy_count(**PRODUCTION_ENV | {"ALLAUTH_TRUSTED_PROXY_COUNT": "2"}).stdout.strip() == "2"


@pytest.mark.parametrize("count", ["one", "-1", "1.5", "11", "²"])
def test_a_proxy_count_that_is_not_a_small_whole_number_is_refused_everywhere(tmp_path, count):
    result = _proxy_count(OUTLET_VAR_DIR=str(tmp_path), ALLAUTH_TRUSTED_PROXY_COUNT=count)
    assert result.returncode != 0 and "ALLAUTH_TRUSTED_PROXY_COUNT must be a whole number from 0 to 10" in result.stderr


def test_locally_no_proxy_is_assumed(tmp_path):
    assert _proxy_count(OUTLET_VAR_DIR=str(tmp_path)).stdout.strip() == "0"


def test_production_refuses_the_local_demo_secret_and_debug():
    from outlet.settings import LOCAL_ONLY_SECRET_KEY

    assert run_manage("check", env_overrides=PRODUCTION_ENV | {"SECRET_KEY": LOCAL_ONLY_SECRET_KEY}).returncode != 0
    assert run_manage("check", env_overrides=PRODUCTION_ENV | {"SECRET_KEY": "s" * 64}).returncode != 0
    assert run_manage("check", env_overrides=PRODUCTION_ENV | {"DEBUG": "true"}).returncode != 0


def test_a_secret_can_come_from_a_file(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("Zk4" + PRODUCTION_ENV["SECRET_KEY"] + "\n")
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"} | {"SECRET_KEY_FILE": str(secret_file)}
    assert run_manage("check", env_overrides=env).returncode == 0


@pytest.mark.parametrize(
    ("raw", "expected"), [("true", True), ("1", True), ("False", False), ("off", False), ("", True)]
)
def test_booleans_accept_only_clear_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("SOME_FLAG", raw)
    assert env_bool("SOME_FLAG", default=True) is expected


def test_a_misspelt_boolean_is_an_error(monkeypatch):
    monkeypatch.setenv("SOME_FLAG", "flase")
    with pytest.raises(ImproperlyConfigured):
        env_bool("SOME_FLAG", default=False)


def test_production_static_files_are_hashed_and_compressed_for_whitenoise(tmp_path):
    result = run_manage("collectstatic", "--noinput", env_overrides=PRODUCTION_ENV | {"STATIC_ROOT": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    hashed_css = manifest["paths"]["css/site.css"]
    assert hashed_css != "css/site.css", "file names carry a content hash, so they can be cached forever"
    assert (tmp_path / hashed_css).exists()
    assert (tmp_path / (hashed_css + ".gz")).exists() or (tmp_path / (hashed_css + ".br")).exists()


def _cache_settings(**env: str) -> dict:
    script = "from django.conf import settings; import json; print(json.dumps(settings.CACHES['default']))"
    result = run_manage("shell", "--verbosity", "0", "-c", script, env_overrides=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_embedded_default_cache_is_one_every_process_shares_and_redis_replaces_it(tmp_path):
    embedded = _cache_settings(OUTLET_VAR_DIR=str(tmp_path))
    assert embedded["BACKEND"] == "outlet.common.file_cache.SharedFileCache"
    assert embedded["LOCATION"] == str(tmp_path / "cache"), "in var/, where the web server and the worker both look"

    production = _cache_settings(OUTLET_VAR_DIR=str(tmp_path), REDIS_URL="redis://cache.internal:6379/0")
    assert production["BACKEND"] == "outlet.common.redis_cache.ReusedClientRedisCache"
    assert production["LOCATION"] == "redis://cache.internal:6379/0"


def test_production_sends_a_strict_content_security_policy_that_lets_forms_reach_stripe():
    script = (
        "from django.test import RequestFactory; from django.http import HttpResponse; "
        "from outlet.common.security_headers import ContentSecurityPolicyMiddleware, PermissionsPolicyMiddleware; "
        "response = ContentSecurityPolicyMiddleware(lambda r: HttpResponse())(RequestFactory().get('/')); "
        "print(response['Content-Security-Policy']); "
        "print(PermissionsPolicyMiddleware(lambda r: HttpResponse())(RequestFactory().get('/'))['Permissions-Policy'])"
    )
    result = run_manage("shell", "--verbosity", "0", "-c", script, env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
    policy, permissions = result.stdout.strip().splitlines()
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "form-action 'self' https://checkout.stripe.com https://billing.stripe.com" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert "camera=()" in permissions and "payment=()" in permissions


def test_only_a_proxy_we_were_told_about_may_say_the_reader_came_over_https():
    script = "from django.conf import settings; print(getattr(settings, 'SECURE_PROXY_SSL_HEADER', None))"
    behind_one = run_manage("shell", "-c", script, env_overrides=PRODUCTION_ENV | {"ALLAUTH_TRUSTED_PROXY_COUNT": "1"})
    direct = run_manage("shell", "-c", script, env_overrides=PRODUCTION_ENV | {"ALLAUTH_TRUSTED_PROXY_COUNT": "0"})
    assert "HTTP_X_FORWARDED_PROTO" in behind_one.stdout
    assert direct.stdout.strip().endswith("None")
