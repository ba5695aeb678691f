"""Staff's side of fundraisers: campaigns with their currencies, newsrooms and updates; the per-newsroom breakdown and
the payout report. Gifts and monthly gifts are in donations/admin_gifts.py.

The rules a campaign must meet live in donations.campaigns; the forms here only carry them to the right field.
Amounts are typed and shown as people write them ("1,500.50", "10, 25, 50"), shares as percentages and rates as
plain numbers ("2.7"); outlet.common.admin_money converts them exactly to the integers the models keep."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.widgets import AdminTextareaWidget
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_prose_editor.fields import ProseEditorFormField
from modeltranslation.admin import TranslationAdmin, TranslationStackedInline

from donations import campaigns, reports
from donations.models import Beneficiary, Campaign, CampaignCurrency, CampaignUpdate
from outlet.common.admin_columns import date_column
from outlet.common.admin_money import (
    BIG_INT_MAX,
    CurrencyFromFormMixin,
    MoneyField,
    MoneyListField,
    ScaledIntegerField,
    percent_text,
)
from outlet.common.local_time import zone_label
from outlet.common.money import format_money
from outlet.common.sanitize import BODY_EXTENSIONS

REPORT_PERMISSION = "donations.download_payout_report"
WHOLE = 1_000_000  # a share is kept in millionths of the whole split: 100 % is 1,000,000


# --- Campaign form and inlines ------------------------------------------------------------------------------


def _story_field() -> ProseEditorFormField:
    return ProseEditorFormField(
        config={"extensions": BODY_EXTENSIONS},
        sanitize=True,
        required=False,
        widget=AdminTextareaWidget,
        help_text=gettext_lazy("What the money is for; shown on the campaign page."),
    )


class CampaignForm(CurrencyFromFormMixin, forms.ModelForm):
    # The story in each language, each with the article editor (django-modeltranslation adds story_en ... story_ru).
    story_en = _story_field()
    story_ka = _story_field()
    story_hy = _story_field()
    story_az = _story_field()
    story_ru = _story_field()
    goal_minor = MoneyField(
        label=gettext_lazy("Goal"),
        maximum_minor=BIG_INT_MAX,
        show_currency=False,
        error_messages={"min_value": gettext_lazy("The goal must be above 0.")},
        help_text=gettext_lazy(
            "The amount to raise, as you would write it (50000 or 1,500.50), in the campaign's currency."
        ),
    )

    class Meta:
        model = Campaign
        fields = "__all__"
        widgets = {"currency": forms.TextInput(attrs={"size": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The date and time boxes are the site's wall clock; say so, as every time staff read names its zone.
        zone = {"zone": zone_label()}
        for name, help_text in (
            # Translators: help under a date and time box, e.g. "In Tbilisi time."
            ("starts_at", _("In %(zone)s.") % zone),
            ("ends_at", _("In %(zone)s. Leave empty for a campaign with no end date.") % zone),
        ):
            if name in self.fields:  # absent when the campaign is shown read only
                self.fields[name].help_text = help_text

    def clean_currency(self):
        code = self.cleaned_data["currency"].strip().upper()
        if not campaigns.is_known_currency(code):
            raise forms.ValidationError(_("Enter a three-letter ISO 4217 currency code, such as GEL, USD or EUR."))
        return code

    def clean(self):
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", _("The campaign must end after it starts."))
        return cleaned


class CampaignCurrencyForm(CurrencyFromFormMixin, forms.ModelForm):
    preset_amounts_minor = MoneyListField(
        label=gettext_lazy("Preset amounts"),
        required=True,
        error_messages={"required": gettext_lazy("Enter the amounts for the buttons, like 10, 25, 50.")},
        help_text=gettext_lazy("The amount buttons donors see, like 10, 25, 50."),
    )
    min_amount_minor = MoneyField(
        label=gettext_lazy("Smallest gift"),
        error_messages={"min_value": gettext_lazy("The smallest gift must be above 0.")},
    )
    max_amount_minor = MoneyField(label=gettext_lazy("Largest gift"))
    rate_to_goal_ppm = ScaledIntegerField(
        exponent=6,
        minimum=1,
        example="2.7",
        label=gettext_lazy("Counts in the goal's currency as"),
        error_messages={"min_value": gettext_lazy("The rate must be above 0.")},
        help_text=gettext_lazy(
            "For the progress bar only: 2.7 means one unit of this currency counts as 2.70 of the goal's. 1 for the "
            "goal's own currency."
        ),
    )

    class Meta:
        model = CampaignCurrency
        fields = [
            "currency",
            "preset_amounts_minor",
            "min_amount_minor",
            "max_amount_minor",
            "rate_to_goal_ppm",
            "position",
        ]
        widgets = {"currency": forms.TextInput(attrs={"size": 4})}

    def clean_currency(self):
        code = self.cleaned_data["currency"].strip().upper()
        if not campaigns.is_known_currency(code):
            raise forms.ValidationError(_("Enter a three-letter ISO 4217 currency code, such as GEL, USD or EUR."))
        return code

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_amount_minor"), cleaned.get("max_amount_minor")
        if low is not None and low <= 0:
            self.add_error("min_amount_minor", _("The smallest gift must be above 0."))
        elif low is not None and high is not None and high < low:
            self.add_error("max_amount_minor", _("The largest gift cannot be below the smallest."))
        elif low is not None and high is not None:
            for problem in campaigns.preset_problems(
                presets=cleaned.get("preset_amounts_minor"),
                min_amount_minor=low,
                max_amount_minor=high,
                currency=cleaned.get("currency") or "",
            ):
                self.add_error("preset_amounts_minor", problem)
        return cleaned


class CurrencyFormSet(forms.BaseInlineFormSet):
    def clean(self):
        kept = [
            f.cleaned_data.get("currency", "")
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        if len(kept) != len(set(kept)):  # before Django's own uniqueness message, which names database fields
            raise forms.ValidationError(_("Each currency can be listed once."))
        super().clean()
        for problem in campaigns.currency_problems(goal_currency=self.instance.currency, currencies=kept):
            raise forms.ValidationError(problem)


class BeneficiaryForm(forms.ModelForm):
    url = forms.URLField(required=False, assume_scheme="https", help_text=gettext_lazy("The newsroom's own site."))
    share = ScaledIntegerField(
        exponent=4,
        suffix="%",
        minimum=0,
        maximum=WHOLE,
        example="33.5",
        label=gettext_lazy("Share of each gift"),
        help_text=gettext_lazy(
            "Percent of each gift (after the processing fee) this newsroom receives; the active newsrooms' shares add "
            "up to 100 %."
        ),
    )

    class Meta:
        model = Beneficiary
        fields = "__all__"


def shares_as_millionths(newsrooms: list[Beneficiary]) -> dict[int, int]:
    """Older campaigns keep shares as plain weights (50, 30, 20, or 1, 1, 1). To show them as percentages, each is
    turned into millionths of the active newsrooms' total, the largest remainders rounded up so they add up to exactly
    100 % (1, 1, 1 -> 33.3334, 33.3333, 33.3333 %). Empty when the shares are already millionths."""
    active = [newsroom for newsroom in newsrooms if newsroom.is_active and newsroom.share > 0]
    active = active or [newsroom for newsroom in newsrooms if newsroom.share > 0]  # none active: as if they all were
    total = sum(newsroom.share for newsroom in active)
    if total in (0, WHOLE):
        return {}
    parts = {newsroom.pk: divmod(newsroom.share * WHOLE, total) for newsroom in newsrooms}
    shown = {pk: whole for pk, (whole, _) in parts.items()}
    short = WHOLE - sum(shown[newsroom.pk] for newsroom in active)
    for newsroom in sorted(active, key=lambda newsroom: parts[newsroom.pk][1], reverse=True)[:short]:
        shown[newsroom.pk] += 1
    return shown


class BeneficiaryFormSet(forms.BaseInlineFormSet):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        saved = [form.instance for form in self.initial_forms]
        for newsroom_pk, millionths in shares_as_millionths(saved).items():
            form = next(form for form in self.initial_forms if form.instance.pk == newsroom_pk)
            form.fields["share"].shown_instead = {form.instance.share: millionths}

    def clean(self):
        super().clean()
        kept = [
            campaigns.BeneficiarySetup(
                name=f.cleaned_data.get("name", ""),
                share=f.cleaned_data.get("share") or 0,
                is_active=bool(f.cleaned_data.get("is_active")),
                receives_rounding_remainder=bool(f.cleaned_data.get("receives_rounding_remainder")),
            )
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        problems = campaigns.beneficiary_problems(kept)
        # Shares are typed as percentages, so they are whole only at 100 % (a rule of this form's, not of the split:
        # the ledger splits by any weights, as older campaigns' shares show).
        active_total = sum(newsroom.share for newsroom in kept if newsroom.is_active)
        if active_total and active_total != WHOLE:
            problems.append(
                _("The active newsrooms' shares add up to %(total)s: make them add up to 100 %%.")
                % {"total": percent_text(active_total)}
            )
        if problems:
            raise forms.ValidationError(problems)


class BoundedInline:
    """A posted TOTAL_FORMS decides how many forms Django builds; a forged 2,000 took 13 s to answer. No campaign
    needs more than this many currencies, newsrooms or updates on one page."""

    max_num: int | None = 100

    def get_formset(self, request, obj=None, **kwargs):
        kwargs.setdefault("absolute_max", self.max_num)
        return super().get_formset(request, obj, **kwargs)


class CampaignCurrencyInline(BoundedInline, admin.TabularInline):
    model = CampaignCurrency
    form = CampaignCurrencyForm
    formset = CurrencyFormSet
    extra = 0
    min_num = 1
    verbose_name_plural = gettext_lazy("currencies donors can give in")


class BeneficiaryInline(BoundedInline, TranslationStackedInline):
    model = Beneficiary
    form = BeneficiaryForm
    formset = BeneficiaryFormSet
    extra = 0
    min_num = 1
    prepopulated_fields = {"slug": ["name"]}
    fields = [
        ("name", "slug"),
        "logo",
        "description",
        "url",
        ("share", "receives_rounding_remainder"),
        ("position", "is_active"),
    ]
    verbose_name_plural = gettext_lazy(
        "beneficiary newsrooms (to stop giving a newsroom money, untick active: its ledger stays)"
    )


class CampaignUpdateForm(forms.ModelForm):
    class Meta:
        model = CampaignUpdate
        fields = ["title", "published_at", "body"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "published_at" in self.fields:
            self.fields["published_at"].help_text = _("In %(zone)s.") % {"zone": zone_label()}


class CampaignUpdateInline(BoundedInline, TranslationStackedInline):
    model = CampaignUpdate
    form = CampaignUpdateForm
    extra = 0
    fields = ["title", "published_at", "body"]


# --- Campaigns ----------------------------------------------------------------------------------------------


@admin.register(Campaign)
class CampaignAdmin(TranslationAdmin):
    form = CampaignForm
    list_display = ["title", "is_published", "starts", "ends", "raised", "goal", "percent", "donors"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [CampaignCurrencyInline, BeneficiaryInline, CampaignUpdateInline]
    readonly_fields = ["progress_summary"]
    change_form_template = "admin/donations/campaign/change_form.html"
    change_list_template = "admin/donations/campaign/change_list.html"
    save_on_top = True
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "story"]}),
        (gettext_lazy("Picture"), {"fields": ["hero_image", "hero_alt"]}),
        (
            gettext_lazy("Goal and dates"),
            {"fields": [("goal_minor", "currency"), ("starts_at", "ends_at"), "progress_summary"]},
        ),
        (gettext_lazy("Publishing"), {"fields": ["is_published", "allow_monthly", "allow_custom_split"]}),
    ]

    class Media:
        css = {"all": ["admin_extra/article_editor.css"]}

    def get_queryset(self, request):
        # Everything the progress columns read, for the whole page at once (see campaigns.progress_from_prefetched).
        return super().get_queryset(request).select_related("donor_count").prefetch_related("currencies", "totals")

    def save_model(self, request, obj, form, change):
        campaigns.save_campaign(campaign=obj)

    def _progress(self, obj: Campaign):
        if not hasattr(obj, "_admin_progress"):
            obj._admin_progress = campaigns.progress_from_prefetched(obj)  # type: ignore[attr-defined]  # page cache
        return obj._admin_progress  # type: ignore[attr-defined]  # set above

    # outlet.common.admin_columns types the title `str`; a lazy translation works the same.
    starts = date_column("starts_at", gettext_lazy("Starts"))  # type: ignore[arg-type]
    ends = date_column("ends_at", gettext_lazy("Ends"))  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("Raised"))
    def raised(self, obj: Campaign) -> str:
        return format_money(self._progress(obj).raised_minor, obj.currency)

    @admin.display(description=gettext_lazy("Goal"), ordering="goal_minor")
    def goal(self, obj: Campaign) -> str:
        return format_money(obj.goal_minor, obj.currency)

    @admin.display(description="%")
    def percent(self, obj: Campaign) -> str:
        return f"{self._progress(obj).percent}%"

    @admin.display(description=gettext_lazy("Donors"))
    def donors(self, obj: Campaign) -> int:
        return self._progress(obj).donors

    @admin.display(description=gettext_lazy("Progress"))
    def progress_summary(self, obj: Campaign) -> str:
        if obj.pk is None:
            return _("Nothing raised yet.")
        progress = self._progress(obj)
        return format_html(
            _(
                "{raised} of {goal} ({percent}%) from {donors} donors in {gifts} gifts. Other currencies are counted "
                "at the rates set below."
            ),
            raised=format_money(progress.raised_minor, obj.currency),
            goal=format_money(obj.goal_minor, obj.currency),
            percent=progress.percent,
            donors=progress.donors,
            gifts=progress.donations,
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        campaign = self.get_object(request, object_id)
        if campaign is not None:
            extra_context["breakdown"] = reports.campaign_breakdown(campaign=campaign)
            extra_context["can_download_payouts"] = request.user.has_perm(REPORT_PERMISSION)
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_download_payouts": request.user.has_perm(REPORT_PERMISSION)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path(
                "payout-report/",
                self.admin_site.admin_view(self.payout_report_view),
                name="donations_campaign_payout_report",
            ),
            *super().get_urls(),
        ]

    def payout_report_view(self, request):
        """Pick a campaign and dates; a valid choice downloads the CSV, anything else shows the form with errors."""
        if not request.user.has_perm(REPORT_PERMISSION):
            raise PermissionDenied
        if "download" in request.GET:
            form = reports.PayoutReportForm(request.GET)
        else:  # first visit, maybe from a campaign's page: last month, nothing to complain about yet
            form = reports.PayoutReportForm(
                initial=reports.default_report_choice(campaign_id=request.GET.get("campaign"))
            )
        if form.is_bound and form.is_valid():
            campaign, date_from, date_to = (form.cleaned_data[k] for k in ("campaign", "date_from", "date_to"))
            response = StreamingHttpResponse(
                reports.payout_csv_rows(campaign=campaign, date_from=date_from, date_to=date_to),
                content_type="text/csv; charset=utf-8",
            )
            name = reports.payout_filename(campaign=campaign, date_from=date_from, date_to=date_to)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        return TemplateResponse(
            request,
            "admin/donations/campaign/payout_report.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "title": _("Payout report"),
                "opts": self.model._meta,
                "time_zone": settings.TIME_ZONE,
                "zone_label": zone_label(),
            },
        )
