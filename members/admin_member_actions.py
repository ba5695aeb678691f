"""Staff actions on one member, each: a button on the member page, a confirmation page (GET says what will happen,
POST does it), a services call, a MemberEvent with the staff user (by the service) and a LogEntry (the History).

Each action checks its own permission and says why it cannot be done when it cannot (a comp cannot be cancelled
at the provider, a refunded payment cannot be refunded again, ...)."""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from members import services, staff
from members.models import Membership, Tier
from outlet.common.local_time import date_text, short_date_text, site_today, site_zone
from outlet.common.money import format_money

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite
    from django.contrib.admin.models import LogEntry
    from django.http import HttpRequest

# Staff pages and messages name days as "05 March 2027", in the site's calendar (outlet.common.local_time).
STAFF_DATE = "d F Y"

# --- Forms --------------------------------------------------------------------------------------------------


def _clean_until(until):
    if until and until < site_today():
        raise forms.ValidationError("The end date is in the past.")
    return until


def end_of_day(until) -> datetime | None:
    """Access lasts through the last day staff chose."""
    return timezone.make_aware(datetime.combine(until, time.max), site_zone()) if until else None


class MemberCompForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=Tier.objects.all())
    until = forms.DateField(
        required=False,
        help_text="Last day of access. Leave empty for no end date.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_until(self):
        return _clean_until(self.cleaned_data.get("until"))


class CompForm(MemberCompForm):
    """The member list's "Comp a membership": for any reader with an account, member or not yet."""

    email = forms.EmailField(help_text="The reader's account email.")
    field_order = ["email", "tier", "until"]

    def clean_email(self):
        user = get_user_model().objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError("No account has this email. The reader must sign up first.")
        self.cleaned_data["user"] = user
        return self.cleaned_data["email"]


class RefundForm(forms.Form):
    payment_id = forms.IntegerField(widget=forms.HiddenInput)


class ReceiptChoiceForm(forms.Form):
    receipt = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label="Receipt to send again")

    def __init__(self, *args, receipts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receipt"].choices = [
            (
                r.pk,
                f"{r.number} — {format_money(r.amount_minor, r.currency)}, {short_date_text(r.issued_at)}"
                f"{' (void)' if r.is_void else ''}, to {r.donor_email or 'no address'}",
            )
            for r in receipts
        ]


# --- The actions --------------------------------------------------------------------------------------------


def _date(moment) -> str:
    return date_text(moment, STAFF_DATE) if moment else "the end of the paid-for period"


class MemberAction:
    slug = ""
    title = ""  # the button and the confirmation page's heading
    confirm_label = ""
    permission = ""

    def refusal(self, membership: Membership) -> str | None:
        """Why this cannot be done to this member now (None: it can)."""
        return None

    def description(self, membership: Membership) -> list[str]:
        return []

    def form(self, membership: Membership, data=None) -> forms.Form | None:
        return None

    def perform(self, request, membership: Membership, form) -> str:
        """Do it; return what happened, for the staff member and the History."""
        raise NotImplementedError


class Comp(MemberAction):
    slug, title, confirm_label, permission = (
        "comp",
        "Comp this membership",
        "Give complimentary membership",
        "members.comp_membership",
    )

    def refusal(self, membership):
        if membership.source == Membership.Source.PAID and membership.status != Membership.Status.LAPSED:
            return "This member pays for their membership: cancel it before giving a complimentary one."
        return None

    def description(self, membership):
        return [
            f"{membership.user.email} gets members-only access at the tier you choose, free, until the end date you "
            "choose (or with no end date).",
            "Nothing is charged. It is recorded on the member's timeline with your name.",
        ]

    def form(self, membership, data=None):
        return MemberCompForm(data, initial={"tier": membership.tier_id})

    def perform(self, request, membership, form):
        comped = services.comp_membership(
            user=membership.user,
            tier=form.cleaned_data["tier"],
            until=end_of_day(form.cleaned_data["until"]),
            staff_user=request.user,
        )
        until = form.cleaned_data["until"]
        ends = f"until {date_text(until, STAFF_DATE)}" if until else "with no end date"
        return f"{comped.user.email} now has a complimentary {comped.tier.name} membership {ends}."


class EndComp(MemberAction):
    slug, title, confirm_label, permission = (
        "end-comp",
        "End the comp",
        "End complimentary membership now",
        "members.comp_membership",
    )

    def refusal(self, membership):
        if membership.source != Membership.Source.COMP:
            return "This is a paid membership, not a complimentary one: cancel it instead."
        if membership.status == Membership.Status.LAPSED:
            return "This complimentary membership has already ended."
        return None

    def description(self, membership):
        return [
            "Access to members-only articles stops now, and the member counts as lapsed.",
            "Nothing is charged or refunded.",
        ]

    def perform(self, request, membership, form):
        services.end_comp(membership_id=membership.pk, staff_user=request.user)
        return f"The complimentary membership of {membership.user.email} has ended."


class CancelNow(MemberAction):
    slug, title, confirm_label, permission = (
        "cancel-now",
        "Cancel now",
        "Cancel the subscription now",
        "members.cancel_membership",
    )

    def refusal(self, membership):
        return staff.cancel_refusal(membership)

    def description(self, membership):
        return [
            f"The subscription ends at the payment provider ({membership.provider}) today: no further charges.",
            "Access stops as soon as the provider confirms, although it is paid until "
            f"{_date(membership.current_period_end)}.",
            "Nothing is refunded: refund the last payment separately if that was agreed.",
        ]

    def perform(self, request, membership, form):
        staff.cancel_membership_now(membership_id=membership.pk, staff_user=request.user)
        return (
            f"Asked the payment provider to cancel the subscription of {membership.user.email} now. "
            "The membership shows as ended once the provider confirms (usually within seconds)."
        )


class CancelAtPeriodEnd(MemberAction):
    slug, title, confirm_label, permission = (
        "cancel-at-period-end",
        "Cancel at period end",
        "End at the period end",
        "members.cancel_membership",
    )

    def refusal(self, membership):
        return staff.renewal_refusal(membership, renew=False)

    def description(self, membership):
        return [
            f"The membership stays active until {_date(membership.current_period_end)}, then ends.",
            "No further charges. It can be resumed before then.",
        ]

    def perform(self, request, membership, form):
        staff.set_renewal_by_staff(membership_id=membership.pk, renew=False, staff_user=request.user)
        return (
            f"Asked the payment provider to end the membership of {membership.user.email} on "
            f"{_date(membership.current_period_end)}."
        )


class Resume(MemberAction):
    slug, title, confirm_label, permission = "resume", "Resume renewal", "Resume renewal", "members.cancel_membership"

    def refusal(self, membership):
        return staff.renewal_refusal(membership, renew=True)

    def description(self, membership):
        amount = format_money(membership.amount_minor, membership.currency) or "the current price"
        return [
            f"The membership renews again on {_date(membership.current_period_end)}, charging {amount} to the card "
            "on file."
        ]

    def perform(self, request, membership, form):
        staff.set_renewal_by_staff(membership_id=membership.pk, renew=True, staff_user=request.user)
        return f"Asked the payment provider to resume renewal for {membership.user.email}."


class RefundLastPayment(MemberAction):
    slug, title, confirm_label, permission = (
        "refund",
        "Refund last payment",
        "Refund the payment",
        "members.refund_membership_payment",
    )

    def _payment(self, membership):
        if not hasattr(membership, "_last_payment"):
            membership._last_payment = staff.last_membership_payment(user_id=membership.user_id)
        return membership._last_payment

    def refusal(self, membership):
        return staff.refund_refusal(self._payment(membership))

    def description(self, membership):
        payment = self._payment(membership)
        left = format_money(payment.amount_minor - payment.amount_refunded_minor, payment.currency)
        paid = format_money(payment.amount_minor, payment.currency)
        return [
            f"{left} of the payment of {paid} made on {_date(payment.paid_at)} "
            f"({payment.description or payment.provider_ref}) "
            f"goes back to the member through the payment provider ({payment.provider}).",
            "Its receipt is voided (a partly refunded payment gets a corrected receipt) once the provider confirms.",
            "The membership itself does not change: cancel it separately if that was agreed.",
        ]

    def form(self, membership, data=None):
        payment = self._payment(membership)
        return RefundForm(data, initial={"payment_id": payment.pk if payment else None})

    def perform(self, request, membership, form):
        refund_id = staff.refund_membership_payment(
            membership_id=membership.pk, payment_id=form.cleaned_data["payment_id"], staff_user=request.user
        )
        return (
            f"Asked the payment provider to refund the payment (refund {refund_id}). The payment shows as refunded "
            "once the provider confirms."
        )


class ResendReceipt(MemberAction):
    slug, title, confirm_label, permission = (
        "resend-receipt",
        "Resend a receipt",
        "Send the receipt again",
        "members.email_member",
    )

    def _receipts(self, membership):
        if not hasattr(membership, "_receipts"):
            membership._receipts = list(staff.member_receipts(user_id=membership.user_id)[:50])
        return membership._receipts

    def refusal(self, membership):
        return None if self._receipts(membership) else "This member has no receipts yet."

    def description(self, membership):
        return [
            "The receipt you choose is emailed again, with its PDF, to the address on it. Each request sends a new "
            "email."
        ]

    def form(self, membership, data=None):
        receipts = self._receipts(membership)
        return ReceiptChoiceForm(data, receipts=receipts, initial={"receipt": receipts[0].pk if receipts else None})

    def perform(self, request, membership, form):
        receipt = staff.resend_member_receipt(
            membership_id=membership.pk, receipt_id=form.cleaned_data["receipt"], staff_user=request.user
        )
        return f"Receipt {receipt.number} will be emailed again to {receipt.donor_email} within a minute."


class ResendVerification(MemberAction):
    slug, title, confirm_label, permission = (
        "resend-verification",
        "Resend verification email",
        "Send the email",
        "members.email_member",
    )

    def refusal(self, membership):
        if staff.email_is_verified(membership.user):
            return f"{membership.user.email} is already verified: there is nothing to confirm."
        return None

    def description(self, membership):
        return [
            f"{membership.user.email} gets an email asking them to confirm the address: they sign in, and type the "
            "short code we then email them."
        ]

    def perform(self, request, membership, form):
        email = staff.resend_verification_email(request=request, membership_id=membership.pk, staff_user=request.user)
        return f"Sent {email} an email asking them to confirm the address."


ACTIONS: dict[str, MemberAction] = {
    a.slug: a
    for a in (
        Comp(),
        EndComp(),
        CancelNow(),
        CancelAtPeriodEnd(),
        Resume(),
        RefundLastPayment(),
        ResendReceipt(),
        ResendVerification(),
    )
}


def available_actions(request, membership: Membership) -> list[dict]:
    """The buttons for this member: the actions this staff user may take that make sense now."""
    return [
        {"title": action.title, "url": reverse("admin:members_membership_action", args=[membership.pk, action.slug])}
        for action in ACTIONS.values()
        if request.user.has_perm(action.permission) and action.refusal(membership) is None
    ]


# --- The views ----------------------------------------------------------------------------------------------


class MemberActionsMixin:
    """URLs and views of the staff actions, mixed into MembershipAdmin."""

    if TYPE_CHECKING:  # what the ModelAdmin it is mixed into provides
        admin_site: AdminSite
        model: type[Membership]

        def log_change(self, request: HttpRequest, obj: Membership, message: str) -> LogEntry: ...

    def get_urls(self):
        return [
            path("comp/", self.admin_site.admin_view(self.comp_view), name="members_membership_comp"),
            path(
                "<int:object_id>/do/<slug:action>/",
                self.admin_site.admin_view(self.member_action_view),
                name="members_membership_action",
            ),
            *super().get_urls(),
        ]

    def _member_page(self, membership: Membership):
        return redirect("admin:members_membership_change", membership.pk)

    def member_action_view(self, request, object_id: int, action: str):
        spec = ACTIONS.get(action)
        if spec is None:
            raise Http404("No such action.")
        if not request.user.has_perm(spec.permission):
            raise PermissionDenied
        membership = Membership.objects.select_related("user", "tier").filter(pk=object_id).first()
        if membership is None:
            raise Http404("No such membership.")
        refusal = spec.refusal(membership)
        form = None if refusal else spec.form(membership, request.POST if request.method == "POST" else None)
        if request.method == "POST":
            if refusal:
                messages.error(request, f"{spec.title}: not done. {refusal}")
                return self._member_page(membership)
            if form is None or form.is_valid():
                try:
                    done = spec.perform(request, membership, form)
                except services.MembershipError as exc:
                    messages.error(request, f"{spec.title}: not done. {exc}")
                    return self._member_page(membership)
                self.log_change(request, membership, done)
                messages.success(request, done)
                return self._member_page(membership)
        return TemplateResponse(
            request,
            "admin/members/membership/staff_action.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": spec.title,
                "membership": membership,
                "refusal": refusal,
                "description": [] if refusal else spec.description(membership),
                "form": form,
                "confirm_label": spec.confirm_label,
            },
        )

    def comp_view(self, request):
        if not request.user.has_perm("members.comp_membership"):
            raise PermissionDenied
        form = CompForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                membership = services.comp_membership(
                    user=form.cleaned_data["user"],
                    tier=form.cleaned_data["tier"],
                    until=end_of_day(form.cleaned_data["until"]),
                    staff_user=request.user,
                )
            except services.MembershipError as exc:
                form.add_error(None, str(exc))
            else:
                done = f"{membership.user.email} now has a complimentary {membership.tier} membership."
                self.log_change(request, membership, done)
                messages.success(request, done)
                return self._member_page(membership)
        return TemplateResponse(
            request,
            "admin/members/membership/comp.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "title": "Comp a membership",
                "opts": self.model._meta,
            },
        )
