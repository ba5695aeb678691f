"""Staff's side of gifts: a list that stays fast at a million gifts, with filters and search, the
CSV export of what the list shows, and two confirmed actions on a gift (refund through the provider, resend the
receipt). Money rows are read only: they change only through the provider's events (donations/staff.py asks).
Amounts read "GEL 50", times are the newsroom's with the zone named, and each newsroom's part of a gift its share."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q, Sum, Window
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donations import exports, staff
from donations.models import AllocationEntry, CampaignCurrency, Donation
from outlet.common.admin_columns import EMPTY, money_column, time_column, time_field
from outlet.common.admin_money import MoneyField, percent_text
from outlet.common.admin_readonly import ReadOnlyMixin
from outlet.common.csv_stream import too_big_to_export
from outlet.common.money import format_money
from outlet.payments import services as payments
from outlet.payments.admin import CappedCountPaginator
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

REFUND_PERMISSION = "donations.refund_donation"
RESEND_PERMISSION = "receipts.resend_receipt"
EXPORT_PERMISSION = "donations.export_donations"
RECEIPT_NUMBER = re.compile(r"(\d{4})-(\d{6,})")
WHOLE_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --- Filters ------------------------------------------------------------------------------------------------


class ReceiptFilter(admin.SimpleListFilter):
    """Gifts still waiting for their receipt: the receipt task should have issued one within minutes."""

    title = gettext_lazy("receipt")
    parameter_name = "receipt"

    def lookups(self, request, model_admin):
        return [("missing", _("No receipt yet")), ("issued", _("Receipt issued"))]

    def queryset(self, request, queryset):
        has_receipt = Exists(Receipt.objects.filter(payment_id=OuterRef("payment_id")))
        if self.value() == "missing":
            return queryset.filter(~has_receipt)
        if self.value() == "issued":
            return queryset.filter(has_receipt)
        return queryset


class MonthlyFilter(admin.SimpleListFilter):
    title = gettext_lazy("kind of gift")
    parameter_name = "monthly"

    def lookups(self, request, model_admin):
        return [("yes", _("Monthly")), ("no", _("One time"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(recurring__isnull=self.value() == "no")
        return queryset


class GivenFilter(admin.DateFieldListFilter):
    """Today, this month, ... by the site's calendar, under the column's own word."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = _("given")


class CurrencyFilter(admin.SimpleListFilter):
    """The currencies campaigns take, from their settings (a handful of rows), never a DISTINCT over every gift."""

    title = gettext_lazy("currency")
    parameter_name = "currency"

    def lookups(self, request, model_admin):
        codes = sorted(set(CampaignCurrency.objects.values_list("currency", flat=True)))
        return [(code, code) for code in codes]

    def queryset(self, request, queryset):
        return queryset.filter(currency=self.value()) if self.value() else queryset


# --- Read only, with the ledger inline ----------------------------------------------------------------------


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Money rows come from the provider's events."""

    pass


class AllocationInline(ReadOnlyMixin, admin.TabularInline):
    """The gift's lines in the allocation ledger. Each row's name says what it is (AllocationEntry.__str__)."""

    model = AllocationEntry
    fields = ["booked", "beneficiary", "kind", "amount", "share"]
    readonly_fields = fields  # type: ignore[assignment]  # valid; the stubs' list types are invariant
    extra = 0
    can_delete = False
    ordering = ["booked_at", "id"]
    verbose_name = gettext_lazy("allocation to a newsroom")
    verbose_name_plural = gettext_lazy("allocation ledger: what each newsroom gets from this gift")

    # outlet.common.admin_columns types the titles `str`; a lazy translation works the same.
    booked = time_field("booked_at", gettext_lazy("Booked"))  # type: ignore[arg-type]
    amount = money_column("amount_minor", gettext_lazy("Amount"), sortable=False)  # type: ignore[arg-type]

    def get_queryset(self, request):
        # The weights of the split used, summed per gift and kind, so each line can say its share of the whole.
        split_total = Window(Sum("weight"), partition_by=[F("donation_id"), F("kind")])
        return super().get_queryset(request).select_related("beneficiary").annotate(split_total=split_total)

    @admin.display(description=gettext_lazy("Share of the gift"))
    def share(self, entry: AllocationEntry) -> str:
        total = getattr(entry, "split_total", None)
        if not total:
            return EMPTY
        return percent_text((2 * entry.weight * 1_000_000 + total) // (2 * total))  # rounded, in integers


class RefundForm(forms.Form):
    amount = MoneyField(
        required=False,
        label=gettext_lazy("Amount to refund"),
        show_currency=False,
        error_messages={"min_value": gettext_lazy("The amount to refund must be more than 0.")},
    )
    refunded_seen = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, donation: Donation, **kwargs):
        super().__init__(*args, **kwargs)
        self.donation = donation
        left = format_money(staff.refundable_minor(donation), donation.currency)
        cast(MoneyField, self.fields["amount"]).currency = donation.currency
        self.fields["amount"].label = _("Amount to refund (%(currency)s)") % {"currency": donation.currency}
        self.fields["amount"].help_text = _(
            "Leave empty to refund everything left (%(left)s). For part of it, type e.g. 10.50."
        ) % {"left": left}

    def clean_amount(self):
        amount_minor = self.cleaned_data["amount"]
        left = staff.refundable_minor(self.donation)
        if left <= 0:
            raise forms.ValidationError(_("This gift has already been refunded in full."))
        if amount_minor is not None and amount_minor > left:
            raise forms.ValidationError(
                _("At most %(amount)s is left to refund on this gift.")
                % {"amount": format_money(left, self.donation.currency)}
            )
        return amount_minor


class GiftPaginator(CappedCountPaginator):
    capped_text = gettext_lazy(
        "More than %(cap)s gifts: the newest are shown first; narrow the list with the filters or search."
    )


# --- Gifts --------------------------------------------------------------------------------------------------


@admin.register(Donation)
class DonationAdmin(ReadOnlyAdmin):
    list_display = ["given", "campaign", "amount", "net", "status", "monthly", "donor"]
    list_filter = ["campaign", ("donated_at", GivenFilter), "status", MonthlyFilter, CurrencyFilter, ReceiptFilter]
    search_fields = ["email", "name", "display_name"]
    search_help_text = gettext_lazy(
        "A whole email address, a receipt number (2026-000123) or a payment or subscription id (pi_…, ch_…, sub_…) "
        "finds gifts at once; other words search names and the start of email addresses."
    )
    list_select_related = ["campaign"]
    show_full_result_count = False  # no second count of every gift
    paginator = GiftPaginator  # at most 10,000 counted: an exact count of a million gifts cost 50-200 ms a page
    # Newest first, on the donation_recent_idx index (and (campaign, -donated_at) when a campaign is chosen).
    ordering = ["-donated_at"]
    inlines = [AllocationInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "campaign",
                    "status",
                    "given_text",
                    "amount",
                    "fee_covered",
                    "processing_fee",
                    "net",
                    "refunded",
                    "recurring_link",
                    "payment_ref",
                    "receipts_list",
                ]
            },
        ),
        (
            gettext_lazy("Donor"),
            {
                "fields": [
                    "donor_name",
                    "display_name",
                    "email",
                    "user_link",
                    "show_on_wall",
                    "anonymous",
                    "message",
                    "anonymised",
                ]
            },
        ),
    ]
    readonly_fields = [name for _, section in fieldsets for name in section["fields"]]  # type: ignore[misc]  # all str
    change_form_template = "admin/donations/donation/change_form.html"
    change_list_template = "admin/donations/donation/change_list.html"

    def get_search_results(self, request, queryset, search_term):
        """Whole things are looked up on their indexes: a receipt number, an email, a payment id. Anything else
        searches names anywhere and emails from their start (indexed on PostgreSQL by migration 0004)."""
        term = search_term.strip()
        if not term:
            return queryset, False
        if number := RECEIPT_NUMBER.fullmatch(term):
            payment_ids = Receipt.objects.filter(
                issuer=receipts.issuer_code(), year=int(number[1]), sequence=int(number[2])
            )
            return queryset.filter(payment_id__in=list(payment_ids.values_list("payment_id", flat=True))), False
        if WHOLE_EMAIL.fullmatch(term):
            return queryset.filter(email__iexact=term), False
        if "@" in term and " " not in term:  # the start of an address: "nino@", "nino@exam"
            return queryset.filter(email__istartswith=term), False
        if payments.PROVIDER_ID.fullmatch(term):  # whole or not at all; a subscription's id finds all its monthly gifts
            return queryset.filter(payment_id__in=payments.payment_ids_for_ref(ref=term)), False
        for word in smart_split(term):
            if word.startswith(('"', "'")) and word[0] == word[-1]:
                word = unescape_string_literal(word)
            queryset = queryset.filter(
                Q(name__icontains=word) | Q(display_name__icontains=word) | Q(email__istartswith=word)
            )
        return queryset, False

    # --- Columns and fields ---

    given = time_column("donated_at", gettext_lazy("Given"))  # type: ignore[arg-type]
    given_text = time_field("donated_at", gettext_lazy("Given"))  # type: ignore[arg-type]
    anonymised = time_field("anonymised_at", gettext_lazy("Donor's details removed (retention period)"))  # type: ignore[arg-type]
    amount = money_column("amount_minor", gettext_lazy("Amount"))  # type: ignore[arg-type]
    fee_covered = money_column("fee_covered_minor", gettext_lazy("Fee covered by the donor"), sortable=False)  # type: ignore[arg-type]
    processing_fee = money_column("processing_fee_minor", gettext_lazy("Processing fee (estimated)"), sortable=False)  # type: ignore[arg-type]
    refunded = money_column("amount_refunded_minor", gettext_lazy("Refunded"), sortable=False)  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("Donor's name"))
    def donor_name(self, obj: Donation) -> str:
        return obj.name or EMPTY

    @admin.display(description=gettext_lazy("Net to newsrooms"), ordering="net_minor")
    def net(self, obj: Donation) -> str:
        return format_money(obj.net_minor - min(obj.amount_refunded_minor, obj.net_minor), obj.currency)

    @admin.display(description=gettext_lazy("Monthly"), boolean=True)
    def monthly(self, obj: Donation) -> bool:
        return obj.recurring_id is not None

    @admin.display(description=gettext_lazy("Donor"))
    def donor(self, obj: Donation) -> str:
        if obj.anonymised_at:
            return _("(anonymised)")
        shown = obj.display_name or obj.name or "—"
        donor = f"{shown} <{obj.email}>" if obj.email else shown
        if obj.anonymous:
            # Translators: the gift list's donor column, e.g. "Nino <nino@example.org> · anonymous on the wall"
            return _("%(donor)s · anonymous on the wall") % {"donor": donor}
        return donor

    @admin.display(description=gettext_lazy("Payment"))
    def payment_ref(self, obj: Donation) -> str:
        payment = f"{obj.payment.provider} {obj.payment.provider_ref}"
        if obj.amount_refunded_minor:
            # Translators: e.g. "stripe pi_123 · GEL 10.50 refunded"
            return _("%(payment)s · %(amount)s refunded") % {
                "payment": payment,
                "amount": format_money(obj.amount_refunded_minor, obj.currency),
            }
        return payment

    @admin.display(description=gettext_lazy("Monthly gift"))
    def recurring_link(self, obj: Donation) -> str:
        if obj.recurring_id is None:
            return _("One-time gift")
        url = reverse("admin:donations_recurringdonation_change", args=[obj.recurring_id])
        return format_html('<a href="{}">{}</a>', url, obj.recurring)

    @admin.display(description=gettext_lazy("Account"))
    def user_link(self, obj: Donation) -> str:
        return cast("User", obj.user).email if obj.user_id else _("Guest")

    @admin.display(description=gettext_lazy("Receipts"))
    def receipts_list(self, obj: Donation):
        rows = list(Receipt.objects.filter(payment_id=obj.payment_id).order_by("issued_at", "pk"))
        if not rows:
            return _("None yet (issued within minutes of the payment).")
        return format_html_join(
            mark_safe("<br>"),
            '<a href="{}">{}</a> · {} · {}',
            (
                (
                    reverse("admin:receipts_receipt_change", args=[r.pk]),
                    r.number,
                    format_money(r.amount_minor, r.currency),
                    _("VOID (%(reason)s)") % {"reason": r.void_reason} if r.is_void else r.get_kind_display(),
                )
                for r in rows
            ),
        )

    # --- Pages and buttons ---

    def get_urls(self):
        def page(route, function, name):
            return path(route, self.admin_site.admin_view(function), name=f"donations_donation_{name}")

        return [
            page("export/", self.export_view, "export"),
            page("<int:donation_id>/refund/", self.refund_view, "refund"),
            page("<int:donation_id>/resend-receipt/", self.resend_receipt_view, "resend_receipt"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        query = request.GET.copy()
        query.pop("p", None)
        export_url = reverse("admin:donations_donation_export") + (f"?{query.urlencode()}" if query else "")
        extra_context = {
            **(extra_context or {}),
            "export_url": export_url if request.user.has_perm(EXPORT_PERMISSION) else "",
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_refund": request.user.has_perm(REFUND_PERMISSION),
            "can_resend_receipt": request.user.has_perm(RESEND_PERMISSION),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def _gift_or_404(self, request, donation_id: int, permission: str) -> Donation:
        if not (self.has_view_permission(request) and request.user.has_perm(permission)):
            raise PermissionDenied
        donation = Donation.objects.select_related("campaign", "payment").filter(pk=donation_id).first()
        if donation is None:
            raise Http404("No such gift.")
        return donation

    def _page(self, request, template: str, donation: Donation, **context):
        return TemplateResponse(
            request,
            f"admin/donations/donation/{template}",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": donation,
                "donation": donation,
                "amount": format_money(donation.amount_minor, donation.currency),
                "refunded": format_money(donation.amount_refunded_minor, donation.currency),
                "left": format_money(staff.refundable_minor(donation), donation.currency),
                **context,
            },
        )

    def refund_view(self, request, donation_id: int):
        """Three steps, all by POST after the first: the form, a confirmation naming the exact amount, the refund."""
        donation = self._gift_or_404(request, donation_id, REFUND_PERMISSION)
        change_url = reverse("admin:donations_donation_change", args=[donation.pk])
        title = _("Refund a gift of %(amount)s") % {"amount": format_money(donation.amount_minor, donation.currency)}
        if request.method != "POST":
            form = RefundForm(donation=donation, initial={"refunded_seen": donation.amount_refunded_minor})
            return self._page(request, "refund.html", donation, form=form, title=title, change_url=change_url)
        form = RefundForm(request.POST, donation=donation)
        if not form.is_valid():
            return self._page(request, "refund.html", donation, form=form, title=title, change_url=change_url)
        amount_minor, seen = form.cleaned_data["amount"], form.cleaned_data["refunded_seen"]
        to_refund = staff.refundable_minor(donation) if amount_minor is None else amount_minor
        if request.POST.get("confirmed") != "yes":
            return self._page(
                request,
                "refund_confirm.html",
                donation,
                form=form,
                title=_("Refund this gift?"),
                change_url=change_url,
                to_refund=format_money(to_refund, donation.currency),
                whole=amount_minor is None,
                refund_to=donation.email if donation.email and not donation.anonymised_at else _("the donor"),
            )
        try:
            refund_id = staff.refund_gift(
                donation_id=donation.pk,
                amount_minor=amount_minor,
                staff_user_id=request.user.pk,
                expected_refunded_minor=seen,
            )
        except staff.GiftActionRefused as refused:
            form.add_error(None, str(refused))
            donation.refresh_from_db()
            return self._page(request, "refund.html", donation, form=form, title=title, change_url=change_url)
        done = format_money(to_refund, donation.currency)
        self.log_change(request, donation, f"Asked the payment provider to refund {done} (refund {refund_id}).")
        self.message_user(
            request,
            _(
                "The payment provider was asked to refund %(amount)s. The gift, the campaign totals, the newsrooms' "
                "shares and the receipt change when the provider confirms it, usually within a minute."
            )
            % {"amount": done},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(change_url)

    def resend_receipt_view(self, request, donation_id: int):
        donation = self._gift_or_404(request, donation_id, RESEND_PERMISSION)
        change_url = reverse("admin:donations_donation_change", args=[donation.pk])
        receipt = staff.receipt_to_resend(donation)
        if request.method == "POST":
            try:
                receipt = staff.resend_gift_receipt(donation_id=donation.pk, staff_user_id=request.user.pk)
            except staff.GiftActionRefused as refused:
                self.message_user(request, str(refused), messages.ERROR)
                return HttpResponseRedirect(change_url)
            self.log_change(request, donation, f"Asked to resend receipt {receipt.number} to {receipt.donor_email}.")
            self.message_user(
                request,
                _("Receipt %(number)s will be emailed to %(email)s again.")
                % {"number": receipt.number, "email": receipt.donor_email},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(change_url)
        return self._page(
            request,
            "resend_receipt.html",
            donation,
            receipt=receipt,
            title=_("Resend the receipt email?"),
            change_url=change_url,
        )

    def export_view(self, request):
        """The gifts the list shows with its current filters and search, as a streamed CSV."""
        if not (self.has_view_permission(request) and request.user.has_perm(EXPORT_PERMISSION)):
            raise PermissionDenied
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:  # a filter the list does not know: show the list, as it does itself
            return HttpResponseRedirect(reverse("admin:donations_donation_changelist") + "?e=1")
        refusal = too_big_to_export(queryset)
        if refusal:
            messages.error(request, refusal)
            return HttpResponseRedirect(
                reverse("admin:donations_donation_changelist") + (f"?{request.GET.urlencode()}" if request.GET else "")
            )
        logger.info("staff user %s exported gifts with %s", request.user.pk, request.GET.urlencode() or "no filters")
        return exports.donations_csv_response(queryset=queryset, mask_private=self.masks_private_donors(request))

    def masks_private_donors(self, request) -> bool:
        """Whether this staff member sees donors who chose privacy masked. Never here; outlet.privacy's admin
        (the top layer, which knows the staff roles' need-to-know) replaces this admin and decides."""
        return False
