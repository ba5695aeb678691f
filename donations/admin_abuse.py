"""The card-testing shield in the admin: one page showing whether the donation form asks for the proof-of-work
challenge, why, and what the counters see right now; staff choose the mode or switch the challenge off.

There is exactly one CheckoutShield row: the list view goes straight to it (creating it on first visit), and it
can be neither added nor deleted. Changes go through donations.abuse so the form's cached decision is dropped at
once."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from donations import abuse
from donations.models import CheckoutShield
from outlet.common.local_time import datetime_text


class CheckoutShieldForm(forms.ModelForm):
    switch_off_now = forms.BooleanField(
        required=False,
        label=gettext_lazy("Switch the challenge off now"),
        help_text=gettext_lazy(
            "Ends an automatic challenge at once (a forced one goes back to automatic). A new spike of declines can "
            "switch it on again unless the mode is “off”."
        ),
    )

    class Meta:
        model = CheckoutShield
        fields = ["mode"]


@admin.register(CheckoutShield)
class CheckoutShieldAdmin(admin.ModelAdmin):
    form = CheckoutShieldForm
    fieldsets = [
        (gettext_lazy("Right now"), {"fields": ["challenge_state", "current_window", "last_trigger"]}),
        (gettext_lazy("What staff decide"), {"fields": ["mode", "switch_off_now"]}),
    ]
    readonly_fields = ["challenge_state", "current_window", "last_trigger"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changelist_view(self, request, extra_context=None):
        row = abuse.shield()
        return HttpResponseRedirect(reverse("admin:donations_checkoutshield_change", args=[row.pk]))

    @admin.display(description=gettext_lazy("Challenge on the donation form"))
    def challenge_state(self, obj: CheckoutShield) -> str:
        state = abuse.attack_state()
        if state.mode == CheckoutShield.Mode.ON:
            return _("On: staff ask for it always.")
        if state.mode == CheckoutShield.Mode.OFF:
            return _("Off: staff switched it off (a spike of declines will not switch it on).")
        if state.challenge_on and state.challenge_until:
            return _("On until %(time)s, after a spike of declined payments.") % {
                "time": datetime_text(state.challenge_until)
            }
        return _("Off (switches on by itself when declines spike).")

    @admin.display(description=gettext_lazy("Current window"))
    def current_window(self, obj: CheckoutShield) -> str:
        state = abuse.attack_state()
        minutes = state.window_seconds // 60
        return _(
            "In the last %(minutes)s minutes: %(declines)s declined donation payments (%(trigger)s switch the "
            "challenge on), %(starts)s checkout starts."
        ) % {
            "minutes": minutes,
            "declines": state.declines_in_window,
            "trigger": state.declines_to_trigger,
            "starts": state.checkout_starts_in_window,
        }

    @admin.display(description=gettext_lazy("Last switched on"))
    def last_trigger(self, obj: CheckoutShield) -> str:
        if not obj.last_triggered_at:
            return _("Never.")
        reason = obj.last_trigger_reason or _("no reason recorded")
        return f"{datetime_text(obj.last_triggered_at)}: {reason}"

    def save_model(self, request, obj: CheckoutShield, form, change) -> None:
        # Through the service, never obj.save(): it locks the row and drops the cached decision.
        abuse.set_shield_mode(mode=obj.mode)
        if form.cleaned_data.get("switch_off_now"):
            abuse.switch_challenge_off_now()
            messages.info(request, _("The challenge is off now."))

    def response_change(self, request, obj):
        # One row and no list to return to: stay on the page, showing the state that was just saved.
        self.message_user(request, _("Saved."), messages.SUCCESS)
        return HttpResponseRedirect(request.path)
