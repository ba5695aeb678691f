"""Staff's side of receipts: a read-only list (receipts change only through payments and refunds), the PDF, and a
confirmed "Resend receipt email" action. Each resend is a new email, sent by the worker, and recorded: in the
SentEmail key, in the log and in the receipt's admin history (who asked, when)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from outlet.common.admin_columns import EMPTY, money_column, time_column, time_field
from outlet.common.admin_readonly import ReadOnlyMixin
from outlet.common.money import format_money
from outlet.payments import registry
from outlet.receipts import services as receipts
from outlet.receipts.models import Receipt, ReceiptSequence

if TYPE_CHECKING:
    from django.db.models import QuerySet
    from django.http import HttpRequest
    from django.urls import URLPattern
    from django.utils.safestring import SafeString

# ModelAdmin is generic only in django-stubs: subscripting it fails at runtime.
if TYPE_CHECKING:
    _ReceiptModelAdmin = admin.ModelAdmin[Receipt]
else:
    _ReceiptModelAdmin = admin.ModelAdmin


class VoidFilter(admin.SimpleListFilter):
    title = gettext_lazy("status")
    parameter_name = "void"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [("no", pgettext("receipt", "Valid")), ("yes", pgettext("receipt", "Void"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.exclude(voided_at=None)
        if self.value() == "no":
            return queryset.filter(voided_at=None)
        return queryset


class YearFilter(admin.SimpleListFilter):
    """Years from the numbering sequences (one row per issuer and year), not a DISTINCT over every receipt."""

    title = gettext_lazy("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        years = ReceiptSequence.objects.order_by("-year").values_list("year", flat=True).distinct()
        return [(str(year), str(year)) for year in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        year = self.value()
        return queryset.filter(year=year) if year and year.isdigit() else queryset


@admin.register(Receipt)
class ReceiptAdmin(ReadOnlyMixin, _ReceiptModelAdmin):
    list_display = ["number", "payment_link", "donor", "amount", "status", "issued", "emailed", "pdf_link"]
    list_filter = [YearFilter, "kind", VoidFilter]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Only receipts for payments this staff member may see: the membership team lists members' receipts, not
        gifts' (whose donors may have asked for privacy)."""
        hidden = registry.purposes_hidden_from(request.user)
        queryset = super().get_queryset(request)
        return queryset.exclude(payment__purpose__in=hidden) if hidden else queryset

    search_fields = ["number", "donor_email"]
    list_select_related = ["payment"]
    show_full_result_count = False
    # Numbers are issued in order, so newest first by id is newest first; sorting by issued_at read every receipt.
    ordering = ["-pk"]
    actions = ["resend_receipt_email"]
    readonly_fields = [
        "number",
        "kind",
        "payment_link",
        "donor_name",
        "donor_email",
        "description",
        "amount",
        "split_lines",
        "refunded_when_issued",
        "replaces",
        "issued_text",
        "emailed_text",
        "voided_text",
        "void_reason",
        "pdf_link",
    ]
    fields = readonly_fields  # type: ignore[assignment]  # valid; the stubs' list types are invariant

    # outlet.common.admin_columns types the titles `str`; a lazy translation works the same.
    issued = time_column("issued_at", gettext_lazy("Issued"))  # type: ignore[arg-type]
    emailed = time_column("emailed_at", gettext_lazy("Emailed"))  # type: ignore[arg-type]
    issued_text = time_field("issued_at", gettext_lazy("Issued"))  # type: ignore[arg-type]
    emailed_text = time_field("emailed_at", gettext_lazy("Emailed"))  # type: ignore[arg-type]
    voided_text = time_field("voided_at", gettext_lazy("Voided"))  # type: ignore[arg-type]
    refunded_when_issued = money_column(
        "refund_level_minor",
        gettext_lazy("Refunded before this receipt was issued"),  # type: ignore[arg-type]
        sortable=False,
        zero_as_empty=True,
    )

    @admin.display(description=gettext_lazy("Split between the newsrooms"))
    def split_lines(self, obj: Receipt) -> str:
        lines = [line for line in obj.lines or [] if isinstance(line, dict)]
        if not lines:
            return EMPTY
        return format_html_join(
            mark_safe("<br>"),  # a constant separator: nothing of the reader's passes through it
            "{}: {}",
            ((line.get("name", ""), format_money(line.get("amount_minor"), obj.currency)) for line in lines),
        )

    def has_resend_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("receipts.resend_receipt")

    @admin.display(description=gettext_lazy("payment"))
    def payment_link(self, obj: Receipt) -> SafeString:
        url = reverse("admin:payments_payment_change", args=[obj.payment_id])
        return format_html('<a href="{}">{} ({})</a>', url, obj.payment.provider_ref, obj.payment.get_purpose_display())

    @admin.display(description=gettext_lazy("donor"), ordering="donor_email")
    def donor(self, obj: Receipt) -> str:
        return f"{obj.donor_name} <{obj.donor_email}>" if obj.donor_name else obj.donor_email

    amount = money_column("amount_minor", gettext_lazy("amount"))  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("status"), ordering="voided_at")
    def status(self, obj: Receipt) -> str:
        return _("VOID (%(reason)s)") % {"reason": obj.void_reason} if obj.is_void else obj.get_kind_display()

    @admin.display(description="PDF")
    def pdf_link(self, obj: Receipt) -> SafeString:
        return format_html('<a href="{}">PDF</a>', reverse("admin:receipts_receipt_pdf", args=[obj.pk]))

    def get_urls(self) -> list[URLPattern]:
        return [
            path("<int:receipt_id>/pdf/", self.admin_site.admin_view(self.receipt_pdf), name="receipts_receipt_pdf"),
            *super().get_urls(),
        ]

    def receipt_pdf(self, request: HttpRequest, receipt_id: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied  # staff without the permission learn that, not that no such receipt exists
        receipt = Receipt.objects.select_related("payment", "replaces").filter(pk=receipt_id).first()
        if receipt is None:
            raise Http404
        from outlet.receipts import pdf  # fpdf is ~45 MB of every process's memory: loaded when a PDF is made

        response = HttpResponse(pdf.render_receipt(receipt), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{receipt.number}.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response

    @admin.action(description=gettext_lazy("Resend receipt email"), permissions=["resend"])
    def resend_receipt_email(self, request: HttpRequest, queryset: QuerySet[Receipt]) -> TemplateResponse | None:
        if request.POST.get("confirmed") != "yes":
            chosen = list(queryset[:100])  # one confirmation page lists (and resends) at most 100
            return TemplateResponse(
                request,
                "receipts/admin_resend_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Resend receipt emails?"),
                    "receipts": chosen,
                    "count": len(chosen),
                    "opts": self.model._meta,
                    "action": "resend_receipt_email",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        sent = 0
        for receipt in queryset:
            if receipts.resend_receipt(receipt_id=receipt.pk, staff_user_id=cast(int, request.user.pk)) is not None:
                self.log_change(request, receipt, f"Asked to resend the receipt email to {receipt.donor_email}.")
                sent += 1
        self.message_user(
            request,
            ngettext(
                "%(count)s receipt email(s) queued to be sent again.",
                "%(count)s receipt email(s) queued to be sent again.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )
        return None
