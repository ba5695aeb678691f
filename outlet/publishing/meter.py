"""The metered-article allowance: N free metered articles per reader in any rolling window.

Anonymous readers carry their reads in a signed cookie (tampering voids it, deleting it resets it: the
accepted limit of any cookie meter); signed-in readers are counted per account in the database, so the
allowance follows them across devices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone

from outlet.common.local_time import site_date
from outlet.publishing.models import MeteredRead

METER_COOKIE = "outlet_meter"
METER_COOKIE_SALT = "outlet.publishing.meter"


def window_seconds() -> int:
    return settings.METER_WINDOW_DAYS * 24 * 3600


def allowance() -> int:
    return settings.METERED_FREE_ARTICLES


@dataclass
class Meter:
    """Which metered articles this reader opened inside the window, and whether that changed during this request."""

    reads: dict[int, int] = field(default_factory=dict)  # article id -> unix time of the counted read
    user_id: int | None = None
    changed: bool = False

    def has_read(self, article_id: int) -> bool:
        return article_id in self.reads

    @property
    def remaining(self) -> int:
        return max(0, allowance() - len(self.reads))

    def next_free_on(self) -> date | None:
        """With none left: the site's day on which the oldest counted read leaves the window (a story frees up)."""
        if self.remaining > 0 or not self.reads:
            return None
        frees_at = datetime.fromtimestamp(min(self.reads.values()) + window_seconds(), tz=UTC)
        return site_date(frees_at)

    def can_read(self, article_id: int) -> bool:
        return self.has_read(article_id) or self.remaining > 0

    def record(self, article_id: int) -> None:
        """Count a read once per article per window; re-opening the same article is free."""
        if self.has_read(article_id):
            return
        moment = timezone.now()
        # The same second as the row's: a signed-in reader's shape (reader_pass) is built from either.
        self.reads[article_id] = int(moment.timestamp())
        self.changed = True
        if self.user_id is not None:
            # One upsert: concurrent tabs cannot race into a duplicate, and a read older than the window restarts.
            MeteredRead.objects.bulk_create(
                [MeteredRead(user_id=self.user_id, article_id=article_id, read_at=moment)],
                update_conflicts=True,
                unique_fields=["user", "article"],
                update_fields=["read_at"],
            )


def load_meter(request) -> Meter:
    if request.user.is_authenticated:
        since = timezone.now() - timedelta(seconds=window_seconds())
        rows = MeteredRead.objects.filter(user_id=request.user.pk, read_at__gte=since).values_list(
            "article_id", "read_at"
        )
        return Meter(
            reads={article_id: int(read_at.timestamp()) for article_id, read_at in rows}, user_id=request.user.pk
        )
    return Meter(reads=_reads_from_cookie(request))


def _reads_from_cookie(request) -> dict[int, int]:
    try:
        raw = request.get_signed_cookie(METER_COOKIE, default="", salt=METER_COOKIE_SALT, max_age=window_seconds())
    except signing.BadSignature:
        return {}
    cutoff = time.time() - window_seconds()
    reads = {}
    for entry in raw.split("."):
        article_id, _, read_at = entry.partition("-")
        if article_id.isdigit() and read_at.isdigit() and int(read_at) >= cutoff:
            reads[int(article_id)] = int(read_at)
    return reads


def refresh_shared_page(request, response, article_id: str) -> None:
    """A metered story served from the front cache still counts: the read is recorded in this reader's cookie."""
    meter = Meter(reads=_reads_from_cookie(request))
    meter.record(int(article_id))
    save_meter(meter, response)


def shared_page_fresh_until(meter: Meter) -> datetime | None:
    """When this reader's oldest counted read leaves the window, their count (and so the page) changes."""
    if not meter.reads:
        return None
    return datetime.fromtimestamp(min(meter.reads.values()) + window_seconds(), tz=UTC)


def save_meter(meter: Meter, response) -> None:
    """Anonymous reads go back into the cookie; account reads were written as they happened."""
    if meter.user_id is not None or not meter.changed:
        return
    value = ".".join(f"{article_id}-{read_at}" for article_id, read_at in sorted(meter.reads.items()))
    response.set_signed_cookie(
        METER_COOKIE,
        value,
        salt=METER_COOKIE_SALT,
        max_age=window_seconds(),
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
