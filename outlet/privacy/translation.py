"""The privacy policy and terms, written once per language (an empty language falls back to English)."""

from modeltranslation.translator import TranslationOptions, register

from outlet.privacy.models import LegalPage


@register(LegalPage)
class LegalPageTranslation(TranslationOptions):
    fields = ("title", "body")
