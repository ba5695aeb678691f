"""Staff compose newsletters here: an issue's subject, introduction and stories; then preview it as a non-member
and as a member, send a test to themselves, schedule it (in the newsroom's zone) or send it now after a
confirmation, and watch its progress. The Editor role holds the permissions (outlet/staff/roles.py)."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.models import Tier
from outlet.common import local_time
from outlet.common.admin_columns import time_column, time_field
from outlet.newsletters import sending, services
from outlet.newsletters.audience import READER, member_variant
from outlet.newsletters.models import Delivery, Newsletter, NewsletterSend, SendStory

SEND_PERMISSION = "newsletters.send_newsletter"


@admin.register(Newsletter)
class NewsletterAdmin(admin.ModelAdmin):
    list_display = ["name", "language", "category", "audience", "active"]
    list_filter = ["language", "category", "audience", "active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["tiers"]


class SendStoryInline(admin.StackedInline):
    model = SendStory
    extra = 2
    autocomplete_fields = ["article"]
    fields = ["position", "article"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.is_editable)

    has_add_permission = has_delete_permission = has_change_permission  # type: ignore[assignment]


class ScheduleForm(forms.Form):
    when = forms.DateTimeField(
        label=gettext_lazy("Send at"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_when(self) -> datetime:
        """Typed as the newsroom's wall clock, whatever zone the staff member's computer is in."""
        typed: datetime = self.cleaned_data["when"]
        return (
            timezone.make_aware(timezone.make_naive(typed), local_time.site_zone())
            if typed.tzinfo
            else (timezone.make_aware(typed, local_time.site_zone()))
        )


@admin.register(NewsletterSend)
class NewsletterSendAdmin(admin.ModelAdmin):
    list_display = ["subject", "newsletter", "status", "when", "sent_count", "failed_count", "skipped_count"]
    list_filter = ["status", "newsletter"]
    search_fields = ["subject"]
    inlines = [SendStoryInline]
    change_form_template = "admin/newsletters/newslettersend/change_form.html"
    when = time_column("scheduled_for", "Scheduled for")
    scheduled_for_shown = time_field("scheduled_for", "Scheduled for")
    started_shown = time_field("started_at", "Started")
    finished_shown = time_field("finished_at", "Finished")

    def get_fields(self, request, obj=None):
        if obj is None or obj.is_editable:
            return ["newsletter", "subject", "introduction"]
        return [
            "newsletter",
            "subject",
            "introduction",
            "status",
            "scheduled_for_shown",
            "started_shown",
            "finished_shown",
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.is_editable:
            return []
        return self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        def view(name, func):
            return path(f"<int:pk>/{name}/", self.admin_site.admin_view(func), name=f"newsletters_send_{name}")

        return [
            view("preview", self.preview_view),
            view("test", self.test_view),
            view("schedule", self.schedule_view),
            view("send", self.send_view),
            view("cancel", self.cancel_view),
            view("progress", self.progress_view),
            path(
                "<int:pk>/progress.json",
                self.admin_site.admin_view(self.progress_json),
                name="newsletters_send_progress_json",
            ),
            *super().get_urls(),
        ]

    # --- helpers ---

    def _send(self, request: HttpRequest, pk: int, *, sending_permission: bool = False) -> NewsletterSend:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if sending_permission and not request.user.has_perm(SEND_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(NewsletterSend.objects.select_related("newsletter"), pk=pk)

    def _back(self, send: NewsletterSend) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:newsletters_newslettersend_change", args=[send.pk]))

    def _page(self, request, template: str, send: NewsletterSend, **context) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/newsletters/newslettersend/{template}",
            {**self.admin_site.each_context(request), "opts": self.model._meta, "send": send, **context},
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context |= {
                "send": obj,
                "can_send": request.user.has_perm(SEND_PERMISSION),
                "variants": self._variants(obj),
                "scheduled_text": local_time.datetime_text(obj.scheduled_for),
            }
        return super().render_change_form(request, context, add=add, change=change, form_url=form_url, obj=obj)

    @staticmethod
    def _variants(send: NewsletterSend) -> list[tuple[str, str]]:
        """The audiences to preview: a non-member, and a member of each tier the newsletter names (or of any)."""
        tiers = list(send.newsletter.tiers.all()) or list(Tier.objects.filter(is_active=True)[:3])
        return [(READER, _("A reader who is not a member"))] + [
            (member_variant(tier.pk), _("A member (%(tier)s)") % {"tier": tier.name}) for tier in tiers
        ]

    # --- views ---

    def preview_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        send = self._send(request, pk)
        variant = request.GET.get("as", READER)
        if variant not in dict(self._variants(send)):
            variant = READER
        address = getattr(request.user, "email", "") or "staff@example.org"
        html = services.preview_html(send=send, variant=variant, address=address)
        response = HttpResponse(html)
        response["Content-Security-Policy"] = "default-src 'none'; img-src * data:; style-src 'unsafe-inline'"
        return response

    def test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        send = self._send(request, pk, sending_permission=True)
        if request.method == "POST":
            variant = request.POST.get("as", READER)
            tier_id = int(variant.split(":", 1)[1]) if variant.startswith("member:") else None
            address = getattr(request.user, "email", "")
            services.send_test(send=send, to=address, member_tier_id=tier_id)
            messages.success(request, _("A test was sent to %(address)s.") % {"address": address})
        return self._back(send)

    def schedule_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        send = self._send(request, pk, sending_permission=True)
        form = ScheduleForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.schedule_send(send=send, when=form.cleaned_data["when"])
            except services.NewsletterError as error:
                form.add_error("when", str(error))
            else:
                messages.success(
                    request,
                    _("Scheduled for %(when)s.") % {"when": local_time.datetime_text(send.scheduled_for)},
                )
                return self._back(send)
        return self._page(request, "schedule.html", send, form=form, zone=local_time.zone_label())

    def send_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Sending is one click away from thousands of inboxes: a page that says to whom, then a second button."""
        send = self._send(request, pk, sending_permission=True)
        if request.method == "POST" and request.POST.get("confirmed") == "yes":
            try:
                services.send_now(send=send)
            except services.NewsletterError as error:
                messages.error(request, str(error))
                return self._back(send)
            return HttpResponseRedirect(reverse("admin:newsletters_send_progress", args=[send.pk]))
        return self._page(request, "send_confirm.html", send, stories=send.story_rows.count())

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        send = self._send(request, pk, sending_permission=True)
        if request.method == "POST" and services.cancel_send(send=send):
            messages.success(request, _("Cancelled. Nothing more of this issue will be sent."))
            if send.status == NewsletterSend.Status.SENDING:  # stopped mid-way: its progress shows what went
                return HttpResponseRedirect(reverse("admin:newsletters_send_progress", args=[send.pk]))
        return self._back(send)

    def progress_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        send = self._send(request, pk)
        running = send.status in (NewsletterSend.Status.SENDING, NewsletterSend.Status.SCHEDULED)
        return self._page(
            request,
            "progress.html",
            send,
            counts=sending.progress(send),
            running=running,
            can_send=request.user.has_perm(SEND_PERMISSION),
            started_text=local_time.datetime_text(send.started_at),
            finished_text=local_time.datetime_text(send.finished_at),
        )

    def progress_json(self, request: HttpRequest, pk: int) -> JsonResponse:
        send = self._send(request, pk)
        return JsonResponse({"status": send.status, "status_text": send.get_status_display(), **sending.progress(send)})


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """Read-only: who got which issue, and why someone did not."""

    list_display = ["address", "send", "status", "sent", "attempts", "error"]
    list_filter = ["status"]
    search_fields = ["address"]
    list_select_related = ["send"]
    sent = time_column("sent_at", "Sent")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
