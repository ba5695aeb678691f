"""The one client-address rule (outlet/common/client_address.py): which address every per-address limit counts, behind
any number of proxies, and that allauth's sign-in limits use it too."""

from __future__ import annotations

import logging

import pytest
from allauth.account.adapter import get_adapter
from allauth.core.internal.ratelimit import get_ip
from django.test import Client, RequestFactory

from outlet.common import client_address as module
from outlet.common.client_address import UNKNOWN, client_address, limit_subject


def request(remote: str = "10.0.0.1", forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote} | ({"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {})
    return RequestFactory().get("/", **extra)


@pytest.fixture
def proxies(settings):
    def behind(count: int) -> None:
        settings.ALLAUTH_TRUSTED_PROXY_COUNT = count

    return behind


def test_without_a_proxy_the_header_is_ignored_whatever_it_says(proxies):
    proxies(0)
    assert client_address(request("198.51.100.4", "203.0.113.7")) == "198.51.100.4"


def test_behind_one_proxy_the_reader_is_the_entry_the_proxy_added(proxies):
    proxies(1)
    assert client_address(request(forwarded="203.0.113.7")) == "203.0.113.7"
    # Whatever the client wrote itself comes first; the proxy appends the address it saw.
    assert client_address(request(forwarded="1.2.3.4, 5.6.7.8,203.0.113.7")) == "203.0.113.7"


def test_behind_two_proxies_the_reader_is_the_second_entry_from_the_right(proxies):
    proxies(2)
    assert client_address(request(forwarded="6.6.6.6, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


@pytest.mark.parametrize("forwarded", [None, "", " , ", "203.0.113.7"])
def test_a_request_that_did_not_pass_every_proxy_is_counted_by_its_connection(proxies, caplog, forwarded):
    """Fewer entries than proxies: a health check from the private network, or a miscounted proxy. The header may
    be the client's own, so it is not believed; allauth would answer 500 here."""
    proxies(2)
    module._last_mismatch_logged = 0.0
    with caplog.at_level(logging.WARNING, logger="outlet.common.client_address"):
        assert client_address(request("10.0.0.1", forwarded)) == "10.0.0.1"
    assert "ALLAUTH_TRUSTED_PROXY_COUNT is 2" in caplog.text


@pytest.mark.parametrize(
    ("written", "address"),
    [
        ("203.0.113.7:51234", "203.0.113.7"),
        ("[2001:db8::7]:443", "2001:db8::7"),
        ("2001:DB8::7", "2001:db8::7"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("not-an-address", "10.0.0.1"),
        ("unknown", "10.0.0.1"),
    ],
)
def test_what_a_proxy_writes_is_read_as_an_address_or_not_at_all(proxies, written, address):
    proxies(1)
    assert client_address(request("10.0.0.1", written)) == address


def test_an_ipv4_connection_on_a_dual_stack_socket_is_plain_ipv4(proxies):
    proxies(0)
    assert client_address(request("::ffff:192.0.2.1")) == "192.0.2.1"


def test_no_usable_address_at_all_is_one_shared_unknown(proxies):
    proxies(0)
    assert client_address(request("")) == UNKNOWN


@pytest.mark.parametrize(
    ("address", "subject"),
    [
        ("192.0.2.1", "192.0.2.1"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd:12::/64"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
    ],
)
def test_a_limit_counts_one_ipv4_address_or_one_ipv6_64(address, subject):
    assert limit_subject(address) == subject


def test_anything_else_is_counted_by_a_hash_of_it():
    assert limit_subject(UNKNOWN) == limit_subject("unknown") != UNKNOWN and len(limit_subject(UNKNOWN)) == 32
    assert limit_subject("") == ""


@pytest.mark.parametrize(
    ("count", "forwarded"),
    [
        (0, "6.6.6.6"),
        (1, "6.6.6.6, 203.0.113.7"),
        (2, "203.0.113.7"),
        (3, "2001:db8::5, 203.0.113.7, 10.0.0.8, 10.0.0.9"),
    ],
)
def test_sign_in_limits_use_the_same_rule(proxies, count, forwarded):
    proxies(count)
    incoming = request("10.0.0.1", forwarded)
    assert get_adapter(incoming).get_client_ip(incoming) == client_address(incoming)
    assert get_ip(incoming) == client_address(incoming)


@pytest.mark.django_db
def test_behind_one_proxy_sign_in_limits_count_each_reader_not_the_proxy(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "2/m/ip"}
    proxy = Client(REMOTE_ADDR="10.0.0.1")

    def sign_in(reader: str) -> int:
        return proxy.post(
            "/accounts/login/", {"login": "x@example.org", "password": "x"}, HTTP_X_FORWARDED_FOR=reader
        ).status_code

    assert [sign_in("203.0.113.7") for _ in range(3)] == [200, 200, 429]
    assert sign_in("198.51.100.4") == 200
    assert sign_in("10.0.0.5, 198.51.100.4") == 200  # a forged first entry changes nothing


@pytest.mark.django_db
def test_a_sign_in_that_bypassed_a_proxy_is_answered_not_a_server_error(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    response = Client(REMOTE_ADDR="10.0.0.1").post(
        "/accounts/login/", {"login": "x@example.org", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.7"
    )
    assert response.status_code == 200
