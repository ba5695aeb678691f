"""Staff's need-to-know about donors who chose privacy (gave anonymously, or did not ask to be named on the donor
wall): staff without Finance's permission (privacy.see_private_donors) see their name and email masked in the gift
list, on the gift's page and in the export, as "A••• B•••" and "a•••@g•••.com". A "Reveal donor…" button on the
gift's page shows them, and logs who saw whose details and when: on the member's timeline for a member, and always
as a DonorReveal row listed on the gift's page (a guest donor has no timeline).

This replaces donations' gift admin with a subclass, from the top layer: donations knows nothing of roles or of
this app, and its admin's masks_private_donors() hook says "never" on its own."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Value
from django.http import Http404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import donations.admin  # noqa: F401  (registers the gift admin this one replaces)
from donations.admin_gifts import DonationAdmin
from donations.models import Donation
from donations.personal_data import chose_privacy
from members.models import MemberEvent
from members.services import record_member_event
from outlet.common.admin_columns import EMPTY
from outlet.common.local_time import datetime_text
from outlet.common.personal_data import mask_email, mask_name
from outlet.privacy.models import DonorReveal

SEE_PRIVATE_DONORS = "privacy.see_private_donors"
# The gift page's donor fields that are the model's own columns, shown through methods that can mask them (the admin
# reads a model field straight from the row, whatever the admin defines under its name).
SHOWN_AS = {"display_name": "wall_name", "email": "donor_email", "message": "donor_message"}


def _masked(gift: Donation) -> bool:
    sees_all = getattr(gift, "staff_sees_private_donors", True)
    return not sees_all and chose_privacy(anonymous=gift.anonymous, show_on_wall=gift.show_on_wall)


class PrivateDonorAdmin(DonationAdmin):
    def masks_private_donors(self, request) -> bool:
        return not request.user.has_perm(SEE_PRIVATE_DONORS)

    def get_queryset(self, request):
        # Who is looking travels with each row (a per-request value on a shared admin instance would not be safe).
        sees_all = Value(not self.masks_private_donors(request), output_field=BooleanField())
        return super().get_queryset(request).annotate(staff_sees_private_donors=sees_all)

    def get_fieldsets(self, request, obj=None):
        fieldsets = []
        for title, options in super().get_fieldsets(request, obj):
            fields = [SHOWN_AS.get(name, name) for name in options["fields"]]
            if "donor_email" in fields:
                fields.append("reveals")
            fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [SHOWN_AS.get(name, name) for name in super().get_readonly_fields(request, obj)] + ["reveals"]

    # --- What a masked donor looks like ---

    @admin.display(description=gettext_lazy("Donor"))
    def donor(self, obj: Donation) -> str:
        if not _masked(obj) or obj.anonymised_at:
            return super().donor(obj)
        shown = mask_name(obj.display_name or obj.name) or "—"
        donor = f"{shown} <{mask_email(obj.email)}>" if obj.email else shown
        return _("%(donor)s · private") % {"donor": donor}

    @admin.display(description=gettext_lazy("Donor's name"))
    def donor_name(self, obj: Donation) -> str:
        return mask_name(obj.name) or EMPTY if _masked(obj) else super().donor_name(obj)

    @admin.display(description=gettext_lazy("Name on the donor wall"))
    def wall_name(self, obj: Donation) -> str:
        return mask_name(obj.display_name) if _masked(obj) else obj.display_name

    @admin.display(description=gettext_lazy("Email"))
    def donor_email(self, obj: Donation) -> str:
        return mask_email(obj.email) if _masked(obj) else obj.email

    @admin.display(description=gettext_lazy("Message"))
    def donor_message(self, obj: Donation) -> str:
        return (_("(hidden: reveal the donor to read it)") if obj.message else "") if _masked(obj) else obj.message

    @admin.display(description=gettext_lazy("Account"))
    def user_link(self, obj: Donation) -> str:
        if _masked(obj) and obj.user_id:
            return mask_email(obj.user.email) if obj.user else ""
        return super().user_link(obj)

    @admin.display(description=gettext_lazy("Who revealed this donor"))
    def reveals(self, obj: Donation):
        rows = DonorReveal.objects.filter(donation=obj).select_related("staff_user")[:20]
        if not rows:
            return _("Nobody outside Finance has revealed this donor.")
        return format_html_join(
            "\n",
            "<div>{} · {}</div>",
            ((datetime_text(r.revealed_at), r.staff_user.get_username() if r.staff_user else "—") for r in rows),
        )

    # --- The reveal ---

    def get_urls(self):
        reveal = path(
            "<int:donation_id>/reveal/",
            self.admin_site.admin_view(self.reveal_view),
            name="donations_donation_reveal",
        )
        return [reveal, *super().get_urls()]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        gift = self.get_object(request, object_id)
        reveal_url = reverse("admin:donations_donation_reveal", args=[gift.pk]) if gift and _masked(gift) else ""
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "reveal_url": reveal_url})

    def reveal_view(self, request, donation_id: int):
        """GET asks to confirm (the reveal is logged); POST logs it and shows the donor's details once."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        gift = Donation.objects.select_related("campaign", "user").filter(pk=donation_id).first()
        if gift is None:
            raise Http404("No such gift.")
        revealed = request.method == "POST"
        if revealed:
            reveal_donor(donation=gift, staff_user=request.user)
        return TemplateResponse(
            request,
            "admin/privacy/reveal_donor.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "original": gift,
                "gift": gift,
                "donation": gift,
                "revealed": revealed,
                "title": _("Reveal this donor?") if not revealed else _("The donor of this gift"),
                "change_url": reverse("admin:donations_donation_change", args=[gift.pk]),
            },
        )


def reveal_donor(*, donation: Donation, staff_user) -> DonorReveal:
    """Log that `staff_user` saw who gave this gift: a DonorReveal row always, and a line on the member's timeline
    when the donor has an account."""
    reveal = DonorReveal.objects.create(donation=donation, staff_user=staff_user)
    if donation.user_id:
        record_member_event(
            user_id=donation.user_id,
            membership=None,
            kind=MemberEvent.Kind.STAFF_ACTION,
            staff_user=staff_user,
            reader_visible=False,
            summary=f"Staff revealed the private donor's name and email on gift {donation.pk}",
        )
    return reveal


admin.site.unregister(Donation)
admin.site.register(Donation, PrivateDonorAdmin)
