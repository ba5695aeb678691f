"""The fundraiser's texts staff write once per language (django-modeltranslation; empty falls back to English).
A newsroom's name is a proper name and stays as it is; its description is translated."""

from modeltranslation.translator import TranslationOptions, register

from donations.models import Beneficiary, Campaign, CampaignUpdate


@register(Campaign)
class CampaignTranslation(TranslationOptions):
    fields = ("title", "summary", "story", "hero_alt")


@register(Beneficiary)
class BeneficiaryTranslation(TranslationOptions):
    fields = ("description",)


@register(CampaignUpdate)
class CampaignUpdateTranslation(TranslationOptions):
    fields = ("title", "body")
