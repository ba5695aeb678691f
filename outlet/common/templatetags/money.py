from django import template

from outlet.common.money import format_money

register = template.Library()


@register.simple_tag
def money(amount_minor, currency):
    """{% money 1550 "GEL" %} -> GEL 15.50 (Babel formatting from integer minor units)."""
    return format_money(amount_minor, currency)
