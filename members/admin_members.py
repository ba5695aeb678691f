"""Staff views of tiers, memberships and the member timeline. Every change to a membership goes through
members.services (comp included), so it is recorded on the timeline with the staff user."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from members import services
from members.models import MemberEvent, Membership, MembershipCheckout, Tier, TierPrice


class TierPriceInline(admin.TabularInline):
    model = TierPrice
    extra = 0
    fields = ["interval", "currency", "amount_minor", "is_active"]


@admin.register(Tier)
class TierAdmin(admin.ModelAdmin):
    list_display = ["name", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [TierPriceInline]


class MemberEventInline(admin.TabularInline):
    model = MemberEvent
    fk_name = "membership"
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "summary", "from_status", "to_status", "cause", "reader_visible"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Cause")
    def cause(self, event: MemberEvent) -> str:
        return event.cause


class CompForm(forms.Form):
    email = forms.EmailField(help_text="The reader's account email.")
    tier = forms.ModelChoiceField(queryset=Tier.objects.all())
    until = forms.DateField(required=False, help_text="Last day of access. Leave empty for no end date.",
                            widget=forms.DateInput(attrs={"type": "date"}))

    def clean_email(self):
        user = get_user_model().objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError("No account has this email. The reader must sign up first.")
        self.cleaned_data["user"] = user
        return self.cleaned_data["email"]

    def clean_until(self):
        until = self.cleaned_data.get("until")
        if until and until < timezone.localdate():
            raise forms.ValidationError("The end date is in the past.")
        return until


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tier", "status", "source", "interval", "currency", "started_at", "current_period_end"]
    list_filter = ["status", "source", "tier", "interval", "currency"]
    search_fields = ["user__email", "user__first_name", "user__last_name", "provider_customer_id", "provider_subscription_id"]
    list_select_related = ["user", "tier"]
    inlines = [MemberEventInline]
    # State comes from the provider or from services (comp): staff never edit these fields by hand.
    readonly_fields = [f.name for f in Membership._meta.fields]
    change_list_template = "admin/members/membership/change_list.html"

    def has_add_permission(self, request) -> bool:
        return False

    def get_urls(self):
        return [path("comp/", self.admin_site.admin_view(self.comp_view), name="members_membership_comp"), *super().get_urls()]

    def comp_view(self, request):
        if not self.has_change_permission(request):
            messages.error(request, "You do not have permission to comp memberships.")
            return redirect("admin:members_membership_changelist")
        form = CompForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            until = form.cleaned_data["until"]
            end = timezone.make_aware(timezone.datetime.combine(until, timezone.datetime.max.time())) if until else None
            try:
                membership = services.comp_membership(user=form.cleaned_data["user"], tier=form.cleaned_data["tier"], until=end, staff_user=request.user)
            except services.MembershipError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, f"{membership.user.email} now has a complimentary {membership.tier} membership.")
                return redirect(reverse("admin:members_membership_change", args=[membership.pk]))
        return TemplateResponse(request, "admin/members/membership/comp.html", {
            **self.admin_site.each_context(request), "form": form, "title": "Comp a membership", "opts": self.model._meta,
        })


@admin.register(MemberEvent)
class MemberEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "kind", "summary", "staff_user", "webhook_event"]
    list_filter = ["kind", "reader_visible"]
    search_fields = ["user__email", "summary"]
    list_select_related = ["user", "staff_user", "webhook_event"]
    readonly_fields = [f.name for f in MemberEvent._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MembershipCheckout)
class MembershipCheckoutAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "tier", "interval", "currency", "amount_minor", "provider", "completed_at"]
    list_filter = ["provider", "tier", "interval"]
    search_fields = ["user__email", "reference", "provider_session_id"]
    readonly_fields = [f.name for f in MembershipCheckout._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
