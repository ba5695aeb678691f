"""Dates and times in templates, in the site's zone (outlet.common.local_time). Django's own `date` filter already
converts to the active zone; these add the zone's name wherever a time of day is shown."""

from django import template

from outlet.common import local_time

register = template.Library()


@register.filter
def local_datetime(moment, date_format: str = local_time.DATE) -> str:
    """{{ payment.paid_at|local_datetime }} -> "6 December 2026, 23:30 Tbilisi time"."""
    return local_time.datetime_text(moment, date_format)


@register.filter
def local_date(moment, date_format: str = local_time.DATE) -> str:
    return local_time.date_text(moment, date_format)


@register.simple_tag
def zone_label() -> str:
    return local_time.zone_label()


@register.simple_tag
def site_today_text() -> str:
    """The masthead's day in the newsroom's zone, written in full as the active language writes it."""
    return local_time.full_date_text(local_time.site_today())
