"""Staff's side of privacy: the privacy policy and terms (edited per language, sanitised), the record of
erasures (read-only: no personal data in it), data exports' states, and who revealed a private donor."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.utils.translation import gettext as _
from django_prose_editor.fields import ProseEditorFormField
from modeltranslation.admin import TranslationAdmin

from outlet.common.admin_readonly import ReadOnlyMixin
from outlet.common.sanitize import BODY_EXTENSIONS, sanitize_body
from outlet.privacy.models import DataExport, DonorReveal, ErasureRecord, LegalPage

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def _body_field() -> ProseEditorFormField:
    return ProseEditorFormField(
        config={"extensions": BODY_EXTENSIONS}, sanitize=True, required=False, widget=AdminTextareaWidget
    )


class LegalPageForm(forms.ModelForm):
    body_en = _body_field()
    body_ka = _body_field()
    body_hy = _body_field()
    body_az = _body_field()
    body_ru = _body_field()

    class Meta:
        model = LegalPage
        exclude = ["title", "body"]  # written through each language's field (title_en, body_en, ...)

    def clean(self):
        cleaned = super().clean()
        # Whatever the editor sent, only the site's allowed markup is stored (outlet.common.sanitize).
        for code in LANGUAGE_CODES:
            field = f"body_{code}"
            if cleaned.get(field):
                cleaned[field] = sanitize_body(cleaned[field])
        if not cleaned.get("body_en"):
            self.add_error("body_en", _("The English text is required: other languages fall back to it."))
        return cleaned


@admin.register(LegalPage)
class LegalPageAdmin(TranslationAdmin):
    form = LegalPageForm
    list_display = ["title", "kind", "updated_at"]


@admin.register(ErasureRecord)
class ErasureRecordAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["reference", "kind", "erased_at", "tombstone_user_id"]
    list_filter = ["kind"]
    search_fields = ["reference"]


@admin.register(DataExport)
class DataExportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["pk", "user", "status", "requested_at", "expires_at", "size_bytes"]
    list_filter = ["status"]
    exclude = ["file"]  # staff see that an export exists, never its contents


@admin.register(DonorReveal)
class DonorRevealAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["revealed_at", "staff_user", "donation", "what"]
    list_select_related = ["staff_user", "donation"]


import outlet.privacy.admin_donors  # noqa: E402,F401  (replaces the gift admin: private donors masked)
import outlet.privacy.admin_private_lists  # noqa: E402,F401  (the same on receipts, monthly gifts and payments)
