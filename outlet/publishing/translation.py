"""The publishing texts staff write once per language (django-modeltranslation adds name_ka, name_ru, ... beside
each field; a language left empty falls back to English). Articles are not here: each language's version of a
story is an article of its own, linked to the others (Article.translation_of)."""

from modeltranslation.translator import TranslationOptions, register

from outlet.publishing.models import Author, Prompt, Region, Section, Tag


@register(Section)
class SectionTranslation(TranslationOptions):
    fields = ("name", "description")
    empty_values = {"name": None}  # names are unique: a name left blank is no name (NULL), not ""


@register(Region)
class RegionTranslation(TranslationOptions):
    fields = ("name",)
    empty_values = {"name": None}  # names are unique: a name left blank is no name (NULL), not ""


@register(Tag)
class TagTranslation(TranslationOptions):
    fields = ("name",)
    empty_values = {"name": None}  # names are unique: a name left blank is no name (NULL), not ""


@register(Author)
class AuthorTranslation(TranslationOptions):
    fields = ("role", "bio")


@register(Prompt)
class PromptTranslation(TranslationOptions):
    fields = ("kicker", "headline", "body", "cta_label")
