"""The one rule for which address a request comes from. Every per-address limit uses it: allauth's sign-in limits
(through members.adapter.AccountAdapter.get_client_ip) and the donation form's card-testing limits.

Behind proxies the connection comes from the nearest proxy, and the reader's address is in X-Forwarded-For, where
each proxy appends the address it was connected from. Only the entries our own proxies wrote can be believed (a
client may send any X-Forwarded-For it likes, and proxies append to it), so with ALLAUTH_TRUSTED_PROXY_COUNT = N
the reader is the Nth entry from the right. With N = 0 (no proxy) the header is ignored.

A request whose header has fewer entries than N did not pass through all our proxies (a health check on the
private network, or a proxy set up differently from the count): it is counted by its connection address, never
by a header entry it may have written itself, and the mismatch is logged.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time

from allauth import app_settings as allauth_settings
from django.conf import settings
from django.http import HttpRequest

UNKNOWN = "unknown"  # no usable address at all (e.g. a unix socket): every such request shares one allowance
MISMATCH_LOG_SECONDS = 60

logger = logging.getLogger(__name__)
_last_mismatch_logged = 0.0


def client_address(request: HttpRequest) -> str:
    """The reader's IP address as text (IPv4 addresses that arrive IPv4-mapped are given as plain IPv4), or UNKNOWN."""
    connection = _clean(request.META.get("REMOTE_ADDR", ""))
    proxies = int(getattr(settings, "ALLAUTH_TRUSTED_PROXY_COUNT", 0) or 0)
    if proxies > 0:
        forwarded = [
            part for part in (p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")) if part
        ]
        reader = _clean(forwarded[-proxies]) if len(forwarded) >= proxies else ""
        if reader:
            return reader
        _log_mismatch(proxies=proxies, entries=len(forwarded))
    return connection or UNKNOWN


def limit_subject(address: str) -> str:
    """What a per-address limit counts: one IPv4 address, or one IPv6 network of allauth's prefix (a /64: what one
    customer is usually handed, so rotating within it gains nothing). Anything that is not an address is hashed."""
    address = (address or "").strip()
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return hashlib.sha256(address.encode()).hexdigest()[:32] if address else ""
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        prefix = allauth_settings.RATE_LIMIT_IPV6_PREFIX
        return f"{ipaddress.ip_network(f'{parsed}/{prefix}', strict=False).network_address}/{prefix}"
    return str(parsed)


def _clean(raw: str) -> str:
    """An address as the proxy or server wrote it, maybe with a port ("192.0.2.1:5000", "[2001:db8::1]:443"):
    the address alone, or "" when it is not one."""
    raw = (raw or "").strip()
    if raw.startswith("[") and "]" in raw:
        raw = raw[1 : raw.index("]")]
    elif raw.count(":") == 1:
        raw = raw.split(":", 1)[0]
    try:
        parsed = ipaddress.ip_address(raw)
    except ValueError:
        return ""
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def _log_mismatch(*, proxies: int, entries: int) -> None:
    global _last_mismatch_logged
    now = time.monotonic()
    if now - _last_mismatch_logged >= MISMATCH_LOG_SECONDS:
        _last_mismatch_logged = now
        logger.warning(
            "ALLAUTH_TRUSTED_PROXY_COUNT is %s but a request's X-Forwarded-For has %s usable entries: "
            "counted by its connection address",
            proxies,
            entries,
        )
