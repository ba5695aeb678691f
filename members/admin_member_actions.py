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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members import services, staff
from members.models import Membership, Tier
from outlet.common.local_time import date_text, short_date_text, site_today, site_zone
from outlet.common.money import format_money

if TYPE_CHECKING:
    from django.contrib.admin import AdminSite
    from django.contrib.admin.models import LogEntry
    from django.http import HttpRequest
    from django_stubs_ext import StrOrPromise

# Staff pages and messages name days as "05 March 2027", in the site's calendar (outlet.common.local_time).
STAFF_DATE = "d F Y"

# --- Forms --------------------------------------------------------------------------------------------------


def _clean_until(until):
    if until and until < site_today():
        raise forms.ValidationError(_("The end date is in the past."))
    return until


def end_of_day(until) -> datetime | None:
    """Access lasts through the last day staff chose."""
    return timezone.make_aware(datetime.combine(until, time.max), site_zone()) if until else None


class MemberCompForm(forms.Form):
    tier = forms.ModelChoiceField(queryset=Tier.objects.all(), label=gettext_lazy("Tier"))
    until = forms.DateField(
        required=False,
        label=gettext_lazy("Until"),
        help_text=gettext_lazy("Last day of access. Leave empty for no end date."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_until(self):
        return _clean_until(self.cleaned_data.get("until"))


class CompForm(MemberCompForm):
    """The member list's "Comp a membership": for any reader with an account, member or not yet."""

    email = forms.EmailField(label=gettext_lazy("Email"), help_text=gettext_lazy("The reader's account email."))
    field_order = ["email", "tier", "until"]

    def clean_email(self):
        user = get_user_model().objects.filter(email__iexact=self.cleaned_data["email"]).first()
        if user is None:
            raise forms.ValidationError(_("No account has this email. The reader must sign up first."))
        self.cleaned_data["user"] = user
        return self.cleaned_data["email"]


class RefundForm(forms.Form):
    payment_id = forms.IntegerField(widget=forms.HiddenInput)


class ReceiptChoiceForm(forms.Form):
    receipt = forms.TypedChoiceField(coerce=int, widget=forms.RadioSelect, label=gettext_lazy("Receipt to send again"))

    def __init__(self, *args, receipts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["receipt"].choices = [(r.pk, _receipt_choice(r)) for r in receipts]


def _receipt_choice(receipt) -> str:
    """ "2026-000123 — GEL 15, 6 Dec 2026, to nino@example.org" (with "(void)" after the date for a void one)."""
    values = {
        "number": receipt.number,
        "amount": format_money(receipt.amount_minor, receipt.currency),
        "date": short_date_text(receipt.issued_at),
        "email": receipt.donor_email or _("no address"),
    }
    if receipt.is_void:
        return _("%(number)s — %(amount)s, %(date)s (void), to %(email)s") % values
    return _("%(number)s — %(amount)s, %(date)s, to %(email)s") % values


# --- The actions --------------------------------------------------------------------------------------------


def _date(moment) -> str:
    return date_text(moment, STAFF_DATE) if moment else _("the end of the paid-for period")


class MemberAction:
    slug = ""
    title: StrOrPromise = ""  # the button and the confirmation page's heading
    confirm_label: StrOrPromise = ""
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
        # Translators: "comp" is a complimentary membership, given free by staff
        gettext_lazy("Comp this membership"),
        gettext_lazy("Give complimentary membership"),
        "members.comp_membership",
    )

    def refusal(self, membership):
        if membership.source == Membership.Source.PAID and membership.status != Membership.Status.LAPSED:
            return _("This member pays for their membership: cancel it before giving a complimentary one.")
        return None

    def description(self, membership):
        return [
            _(
                "%(email)s gets members-only access at the tier you choose, free, until the end date you choose (or "
                "with no end date)."
            )
            % {"email": membership.user.email},
            _("Nothing is charged. It is recorded on the member's timeline with your name."),
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
        values = {"email": comped.user.email, "tier": comped.tier.name}
        if until:
            return _("%(email)s now has a complimentary %(tier)s membership until %(date)s.") % {
                **values,
                "date": date_text(until, STAFF_DATE),
            }
        return _("%(email)s now has a complimentary %(tier)s membership with no end date.") % values


class EndComp(MemberAction):
    slug, title, confirm_label, permission = (
        "end-comp",
        # Translators: "comp" is a complimentary membership, given free by staff
        gettext_lazy("End the comp"),
        gettext_lazy("End complimentary membership now"),
        "members.comp_membership",
    )

    def refusal(self, membership):
        if membership.source != Membership.Source.COMP:
            return _("This is a paid membership, not a complimentary one: cancel it instead.")
        if membership.status == Membership.Status.LAPSED:
            return _("This complimentary membership has already ended.")
        return None

    def description(self, membership):
        return [
            _("Access to members-only articles stops now, and the member counts as lapsed."),
            _("Nothing is charged or refunded."),
        ]

    def perform(self, request, membership, form):
        services.end_comp(membership_id=membership.pk, staff_user=request.user)
        return _("The complimentary membership of %(email)s has ended.") % {"email": membership.user.email}


class CancelNow(MemberAction):
    slug, title, confirm_label, permission = (
        "cancel-now",
        gettext_lazy("Cancel now"),
        gettext_lazy("Cancel the subscription now"),
        "members.cancel_membership",
    )

    def refusal(self, membership):
        return staff.cancel_refusal(membership)

    def description(self, membership):
        return [
            _("The subscription ends at the payment provider (%(provider)s) today: no further charges.")
            % {"provider": membership.provider},
            _("Access stops as soon as the provider confirms, although it is paid until %(date)s.")
            % {"date": _date(membership.current_period_end)},
            _("Nothing is refunded: refund the last payment separately if that was agreed."),
        ]

    def perform(self, request, membership, form):
        staff.cancel_membership_now(membership_id=membership.pk, staff_user=request.user)
        return _(
            "Asked the payment provider to cancel the subscription of %(email)s now. The membership shows as ended "
            "once the provider confirms (usually within seconds)."
        ) % {"email": membership.user.email}


class CancelAtPeriodEnd(MemberAction):
    slug, title, confirm_label, permission = (
        "cancel-at-period-end",
        gettext_lazy("Cancel at period end"),
        gettext_lazy("End at the period end"),
        "members.cancel_membership",
    )

    def refusal(self, membership):
        return staff.renewal_refusal(membership, renew=False)

    def description(self, membership):
        return [
            _("The membership stays active until %(date)s, then ends.")
            % {"date": _date(membership.current_period_end)},
            _("No further charges. It can be resumed before then."),
        ]

    def perform(self, request, membership, form):
        staff.set_renewal_by_staff(membership_id=membership.pk, renew=False, staff_user=request.user)
        return _("Asked the payment provider to end the membership of %(email)s on %(date)s.") % {
            "email": membership.user.email,
            "date": _date(membership.current_period_end),
        }


class Resume(MemberAction):
    slug, title, confirm_label, permission = (
        "resume",
        gettext_lazy("Resume renewal"),
        gettext_lazy("Resume renewal"),
        "members.cancel_membership",
    )

    def refusal(self, membership):
        return staff.renewal_refusal(membership, renew=True)

    def description(self, membership):
        amount = format_money(membership.amount_minor, membership.currency) or _("the current price")
        return [
            _("The membership renews again on %(date)s, charging %(amount)s to the card on file.")
            % {"date": _date(membership.current_period_end), "amount": amount}
        ]

    def perform(self, request, membership, form):
        staff.set_renewal_by_staff(membership_id=membership.pk, renew=True, staff_user=request.user)
        return _("Asked the payment provider to resume renewal for %(email)s.") % {"email": membership.user.email}


class RefundLastPayment(MemberAction):
    slug, title, confirm_label, permission = (
        "refund",
        gettext_lazy("Refund last payment"),
        gettext_lazy("Refund the payment"),
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
            _(
                "%(left)s of the payment of %(paid)s made on %(date)s (%(payment)s) goes back to the member through "
                "the payment provider (%(provider)s)."
            )
            % {
                "left": left,
                "paid": paid,
                "date": _date(payment.paid_at),
                "payment": payment.description or payment.provider_ref,
                "provider": payment.provider,
            },
            _("Its receipt is voided (a partly refunded payment gets a corrected receipt) once the provider confirms."),
            _("The membership itself does not change: cancel it separately if that was agreed."),
        ]

    def form(self, membership, data=None):
        payment = self._payment(membership)
        return RefundForm(data, initial={"payment_id": payment.pk if payment else None})

    def perform(self, request, membership, form):
        refund_id = staff.refund_membership_payment(
            membership_id=membership.pk, payment_id=form.cleaned_data["payment_id"], staff_user=request.user
        )
        return _(
            "Asked the payment provider to refund the payment (refund %(refund)s). The payment shows as refunded once "
            "the provider confirms."
        ) % {"refund": refund_id}


class ResendReceipt(MemberAction):
    slug, title, confirm_label, permission = (
        "resend-receipt",
        gettext_lazy("Resend a receipt"),
        gettext_lazy("Send the receipt again"),
        "members.email_member",
    )

    def _receipts(self, membership):
        if not hasattr(membership, "_receipts"):
            membership._receipts = list(staff.member_receipts(user_id=membership.user_id)[:50])
        return membership._receipts

    def refusal(self, membership):
        return None if self._receipts(membership) else _("This member has no receipts yet.")

    def description(self, membership):
        return [
            _(
                "The receipt you choose is emailed again, with its PDF, to the address on it. Each request sends a "
                "new email."
            )
        ]

    def form(self, membership, data=None):
        receipts = self._receipts(membership)
        return ReceiptChoiceForm(data, receipts=receipts, initial={"receipt": receipts[0].pk if receipts else None})

    def perform(self, request, membership, form):
        receipt = staff.resend_member_receipt(
            membership_id=membership.pk, receipt_id=form.cleaned_data["receipt"], staff_user=request.user
        )
        return _("Receipt %(number)s will be emailed again to %(email)s within a minute.") % {
            "number": receipt.number,
            "email": receipt.donor_email,
        }


class ResendVerification(MemberAction):
    slug, title, confirm_label, permission = (
        "resend-verification",
        gettext_lazy("Resend verification email"),
        gettext_lazy("Send the email"),
        "members.email_member",
    )

    def refusal(self, membership):
        if staff.email_is_verified(membership.user):
            return _("%(email)s is already verified: there is nothing to confirm.") % {"email": membership.user.email}
        return None

    def description(self, membership):
        return [
            _(
                "%(email)s gets an email asking them to confirm the address: they sign in, and type the short code we "
                "then email them."
            )
            % {"email": membership.user.email}
        ]

    def perform(self, request, membership, form):
        email = staff.resend_verification_email(request=request, membership_id=membership.pk, staff_user=request.user)
        return _("Sent %(email)s an email asking them to confirm the address.") % {"email": email}


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


def _not_done(spec: MemberAction, reason) -> str:
    # Translators: an action on a member was refused, e.g. "End the comp: not done. This complimentary membership has
    # already ended."
    return _("%(action)s: not done. %(reason)s") % {"action": spec.title, "reason": reason}


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
                messages.error(request, _not_done(spec, refusal))
                return self._member_page(membership)
            if form is None or form.is_valid():
                try:
                    done = spec.perform(request, membership, form)
                except services.MembershipError as exc:
                    messages.error(request, _not_done(spec, exc))
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
                done = _("%(email)s now has a complimentary %(tier)s membership.") % {
                    "email": membership.user.email,
                    "tier": membership.tier,
                }
                self.log_change(request, membership, done)
                messages.success(request, done)
                return self._member_page(membership)
        return TemplateResponse(
            request,
            "admin/members/membership/comp.html",
            {
                **self.admin_site.each_context(request),
                "form": form,
                "title": _("Comp a membership"),
                "opts": self.model._meta,
            },
        )
