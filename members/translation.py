"""The membership texts staff write once per language (django-modeltranslation; empty falls back to English)."""

from modeltranslation.translator import TranslationOptions, register

from members.models import Tier


@register(Tier)
class TierTranslation(TranslationOptions):
    fields = ("name", "description", "benefits")
    empty_values = {"name": None}  # names are unique: a name left blank is no name (NULL), not ""
