"""Admin columns and read-only fields that show stored values as staff read them: money as "GEL 38.42" (never
"3842 GEL"), times in the site's zone with the zone named, a share as "33.5 %".

Each helper returns a method for a ModelAdmin or inline class body, usable in list_display and readonly_fields:

    amount = money_column("amount_minor", "Amount")
    received = time_column("received_at", "Received")

A list column names the zone once, in its heading ("Received (Tbilisi time)"), and shows "6 Dec 2026, 23:30" in
each row; a detail page's field says "6 December 2026, 23:30 Tbilisi time" in full."""

from __future__ import annotations

from django.contrib import admin
from django.utils import formats
from django.utils.functional import lazy
from django.utils.text import format_lazy

from outlet.common import local_time
from outlet.common.money import format_money

EMPTY = "—"

_zone_label = lazy(local_time.zone_label, str)


def money_column(
    amount_field: str,
    description: str,
    *,
    currency_field: str = "currency",
    sortable: bool = True,
    zero_as_empty: bool = False,
):
    """zero_as_empty: for amounts that are usually nothing ("Refunded"), so the few that are not stand out."""

    def column(self, obj) -> str:
        amount = getattr(obj, amount_field)
        if zero_as_empty and not amount:
            return EMPTY
        return format_money(amount, getattr(obj, currency_field)) or EMPTY

    column.__name__ = f"{amount_field}_as_money"
    return admin.display(description=description, ordering=amount_field if sortable else None)(column)


def time_column(field: str, description: str, *, sortable: bool = True):
    """For lists: the zone in the heading, the local day and time in each row."""

    def column(self, obj) -> str:
        moment = getattr(obj, field)
        if moment is None:
            return EMPTY
        local = local_time.in_site_zone(moment)
        return f"{local_time.short_date_text(moment)}, {formats.time_format(local, local_time.TIME)}"

    column.__name__ = f"{field}_local"
    heading = format_lazy("{} ({})", description, _zone_label())
    return admin.display(description=heading, ordering=field if sortable else None)(column)


def time_field(field: str, description: str):
    """For detail pages: "6 December 2026, 23:30 Tbilisi time"."""

    def shown(self, obj) -> str:
        return local_time.datetime_text(getattr(obj, field), empty=EMPTY)

    shown.__name__ = f"{field}_local_text"
    return admin.display(description=description)(shown)


def date_column(field: str, description: str, *, sortable: bool = True):
    """A day (of a moment, as the site's calendar has it): "6 Dec 2026"."""

    def column(self, obj) -> str:
        return local_time.short_date_text(getattr(obj, field), empty=EMPTY)

    column.__name__ = f"{field}_local_date"
    return admin.display(description=description, ordering=field if sortable else None)(column)
