"""Staff import members from a Ghost member export: upload -> preview with the tier mapping (nothing changes; a
changed mapping plans the preview again) -> apply (confirmed) -> result. Mounted under the membership admin
(MembershipAdmin.get_urls adds `*import_urls(self)`); every view needs the members.import_members permission. The
rules live in members.ghost_import, ghost_plan and ghost_tiers."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from members import ghost_import, ghost_sync, ghost_tiers
from members.ghost_csv import MAX_ROWS, MAX_UPLOAD_BYTES, GhostFileError
from members.ghost_plan import ACTIONS
from members.models import GhostMember, MemberImport, Tier
from outlet.common.admin_readonly import ReadOnlyMixin
from outlet.common.local_time import date_text

PERMISSION = "members.import_members"
ROWS_PER_PAGE = 200
ACTION_LABELS = {
    "create": gettext_lazy("New accounts"),
    "update": gettext_lazy("Existing accounts updated"),
    "unchanged": gettext_lazy("Already imported, unchanged"),
    "link": gettext_lazy("Stripe customers linked"),
    "comp": gettext_lazy("Complimentary memberships"),
    "gift": gettext_lazy("Gift memberships (open-ended comps)"),
    "provisional": gettext_lazy("Paid members: provisional access until Stripe confirms"),
    "skip": gettext_lazy("Skipped (deleted in Ghost)"),
    "error": gettext_lazy("Rows with errors (not imported)"),
}
# What a member was in Ghost, in the preview's rows ("paid: Insider").
STANDING_TEXT = {
    "free": pgettext_lazy("Ghost member", "free"),
    "paid": pgettext_lazy("Ghost member", "paid"),
    "comped": pgettext_lazy("Ghost member", "complimentary"),
    "gift": pgettext_lazy("Ghost member", "gift"),
}


# What the import does to one row, in the preview's Actions column (several are joined with ", ").
ROW_ACTION_TEXT = {
    "create": gettext_lazy("new account"),
    "update": gettext_lazy("update account"),
    "unchanged": gettext_lazy("no change"),
    "link": gettext_lazy("link Stripe customer"),
    "comp": gettext_lazy("complimentary membership"),
    "gift": gettext_lazy("gift → complimentary"),
    "provisional": gettext_lazy("provisional paid access"),
    "skip": pgettext_lazy("import a row", "skip"),
    "error": gettext_lazy("not imported"),
}


class GhostUploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Ghost member export"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "In Ghost admin: Members → ⚙ → Export all members. The .csv file as downloaded (up to %(megabytes)s MB "
            "and %(rows)s members). Nothing changes until you confirm the preview."
        ) % {"megabytes": MAX_UPLOAD_BYTES // 1_048_576, "rows": f"{MAX_ROWS:,}"}


class TierMappingForm(forms.Form):
    """One choice per Ghost tier name in the file: one of our tiers, or a free account with no membership."""

    def __init__(self, *args, names: list[str], tiers: list[Tier], mapping: ghost_tiers.Mapping, **kwargs):
        super().__init__(*args, **kwargs)
        self.names = names
        choices = [("", _("— choose —")), (ghost_tiers.FREE_ACCOUNT, _("Free account, no membership"))]
        choices += [
            (str(tier.pk), tier.name if tier.is_active else _("%(tier)s (inactive)") % {"tier": tier.name})
            for tier in tiers
        ]
        for index, name in enumerate(names):
            self.fields[f"tier_{index}"] = forms.ChoiceField(
                label=name, choices=choices, required=False, initial=str(mapping.get(name, ""))
            )

    def mapping(self, tiers: list[Tier]) -> ghost_tiers.Mapping:
        chosen = {name: self.cleaned_data.get(f"tier_{index}", "") for index, name in enumerate(self.names)}
        return ghost_tiers.clean_mapping(chosen, names=self.names, tiers=tiers)


class ApplyForm(forms.Form):
    confirm = forms.BooleanField(label=gettext_lazy("I have checked the preview: import these members."))
    only_valid_rows = forms.BooleanField(
        required=False, label=gettext_lazy("Import only the valid rows and leave the rows with errors out.")
    )
    plan_fingerprint = forms.CharField(
        widget=forms.HiddenInput,
        error_messages={
            "required": gettext_lazy(
                "The preview was not sent with the form: open the preview again and apply from there."
            )
        },
    )

    def __init__(self, *args, error_count: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_count = error_count
        if not error_count:
            del self.fields["only_valid_rows"]

    def clean(self):
        data = super().clean()
        if self.error_count and not data.get("only_valid_rows"):
            raise forms.ValidationError(
                ngettext(
                    '%(count)s row(s) have errors. Fix them and upload the file again, or tick "Import only the valid '
                    'rows".',
                    '%(count)s row(s) have errors. Fix them and upload the file again, or tick "Import only the valid '
                    'rows".',
                    self.error_count,
                )
                % {"count": self.error_count}
            )
        return data


def _require_permission(request) -> None:
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied("You do not have permission to import members.")


def _context(model_admin, request, **extra) -> dict:
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta, **extra}


def _log(user, member_import: MemberImport, flag: int, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=user.pk, queryset=[member_import], action_flag=flag, change_message=message, single_object=True
    )


def upload_view(request, *, model_admin):
    _require_permission(request)
    form = GhostUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > MAX_UPLOAD_BYTES:
                raise GhostFileError(
                    _(
                        "The file is %(size)s MB; the limit is %(limit)s MB. Export fewer members at a time (filter "
                        "by label in Ghost) and import each file."
                    )
                    % {"size": f"{upload.size / 1_048_576:.1f}", "limit": MAX_UPLOAD_BYTES // 1_048_576}
                )
            member_import = ghost_import.preview_import(
                filename=upload.name, data=upload.read(), staff_user=request.user
            )
        except GhostFileError as exc:
            form.add_error("file", str(exc))
        else:
            _log(request.user, member_import, ADDITION, f"Previewed Ghost import of {member_import.row_count} rows")
            return redirect("admin:members_membership_ghost_import_preview", member_import.pk)
    recent = MemberImport.objects.select_related("uploaded_by").defer("content", "preview_rows")[:5]
    return TemplateResponse(
        request,
        "admin/members/import/upload.html",
        _context(model_admin, request, form=form, title=_("Import members from Ghost"), recent=recent),
    )


def _tier_names(preview_rows: list[dict]) -> list[dict]:
    """Each Ghost tier name in the file with how many members carry it, and how many of those (not deleted) have a
    Stripe customer, a comp or a gift in Ghost: whatever the mapping, a hint that the tier is one people pay for."""
    names: dict[str, dict] = {}
    for row in preview_rows:
        for name in row.get("ghost_tiers", []):
            entry = names.setdefault(name, {"name": name, "members": 0, "with_access": 0})
            entry["members"] += 1
            entry["with_access"] += bool(row.get("access_signal")) and "skip" not in row["actions"]
    return list(names.values())


def _row_for_page(row: dict) -> dict:
    since = datetime.fromisoformat(row["since"]) if row.get("since") else None
    return {
        **row,
        "action_text": ", ".join(str(ROW_ACTION_TEXT[action]) for action in row["actions"]),
        "since_text": date_text(since),
        "standing_text": STANDING_TEXT.get(row.get("standing", ""), ""),
        "ghost_tiers_text": ", ".join(row.get("ghost_tiers", [])),
    }


def preview_view(request, import_id: int, *, model_admin, mapping_form: TierMappingForm | None = None):
    _require_permission(request)
    member_import = get_object_or_404(
        MemberImport.objects.select_related("uploaded_by", "applied_by").defer("content"), pk=import_id
    )
    rows = member_import.preview_rows
    show = request.GET.get("show", "errors" if member_import.error_count else "all")
    listed = [row for row in rows if "error" in row["actions"]] if show == "errors" else rows
    page = Paginator(listed, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    counts = [(ACTION_LABELS[action], member_import.counts.get(action, 0), action) for action in ACTIONS]
    tier_names = _tier_names(rows)
    tiers = list(Tier.objects.order_by("-is_active", "position", "name"))
    mapping = ghost_tiers.mapping_of(member_import)
    mapping_form = mapping_form or TierMappingForm(
        names=[entry["name"] for entry in tier_names], tiers=tiers, mapping=mapping
    )
    mapping_rows = [
        {**entry, "field": mapping_form[f"tier_{index}"], "chosen": _choice_text(mapping.get(entry["name"]), tiers)}
        for index, entry in enumerate(tier_names)
    ]
    return TemplateResponse(
        request,
        "admin/members/import/preview.html",
        _context(
            model_admin,
            request,
            member_import=member_import,
            page=page,
            page_rows=[_row_for_page(row) for row in page],
            show=show,
            counts=counts,
            free_accounts=member_import.counts.get("free_accounts", 0),
            mapping_form=mapping_form,
            mapping_rows=mapping_rows,
            applied=member_import.status == MemberImport.Status.APPLIED,
            apply_form=ApplyForm(
                error_count=member_import.error_count, initial={"plan_fingerprint": member_import.plan_fingerprint}
            ),
            title=_("Ghost import: %(filename)s") % {"filename": member_import.filename},
        ),
    )


def _choice_text(choice, tiers: list[Tier]) -> str:
    if choice == ghost_tiers.FREE_ACCOUNT:
        return _("Free account, no membership")
    return next((tier.name for tier in tiers if tier.pk == choice), _("not chosen"))


def tier_mapping_view(request, import_id: int, *, model_admin):
    """Staff changed the tier mapping: plan the preview again with it (nothing else changes)."""
    _require_permission(request)
    if request.method != "POST":
        return redirect("admin:members_membership_ghost_import_preview", import_id)
    member_import = get_object_or_404(
        MemberImport.objects.only("pk", "preview_rows", "status", "filename"), pk=import_id
    )
    tiers = list(Tier.objects.order_by("-is_active", "position", "name"))
    names = [entry["name"] for entry in _tier_names(member_import.preview_rows)]
    form = TierMappingForm(request.POST, names=names, tiers=tiers, mapping={})
    if not form.is_valid():
        return preview_view(request, import_id, model_admin=model_admin, mapping_form=form)
    mapping = form.mapping(tiers)
    try:
        remapped = ghost_import.remap_import(import_id=import_id, tier_mapping=mapping)
    except (ghost_import.ImportRefused, GhostFileError) as exc:
        messages.error(request, str(exc))
        return redirect("admin:members_membership_ghost_import_preview", import_id)
    _log(
        request.user,
        remapped,
        CHANGE,
        f"Ghost tier mapping: {ghost_tiers.describe(mapping, {tier.pk: tier for tier in tiers})}",
    )
    errors = remapped.counts.get("error", 0)
    messages.success(
        request,
        ngettext(
            "The preview now uses your tier mapping: %(count)s row(s) with errors. Check it, then import.",
            "The preview now uses your tier mapping: %(count)s row(s) with errors. Check it, then import.",
            errors,
        )
        % {"count": errors},
    )
    return redirect("admin:members_membership_ghost_import_preview", import_id)


def apply_view(request, import_id: int, *, model_admin):
    _require_permission(request)
    if request.method != "POST":
        return redirect("admin:members_membership_ghost_import_preview", import_id)
    member_import = get_object_or_404(MemberImport.objects.only("pk", "error_count", "status"), pk=import_id)
    form = ApplyForm(request.POST, error_count=member_import.error_count)
    if not form.is_valid():
        for error in form.errors.values():
            messages.error(request, " ".join(error))  # type: ignore[arg-type]  # ErrorList's items read as str
        return redirect("admin:members_membership_ghost_import_preview", import_id)
    try:
        applied = ghost_import.apply_import(
            import_id=import_id,
            staff_user=request.user,
            only_valid_rows=form.cleaned_data.get("only_valid_rows", False),
            expected_fingerprint=form.cleaned_data["plan_fingerprint"],
        )
    except (ghost_import.ImportRefused, GhostFileError) as exc:
        messages.error(request, str(exc))
        return redirect("admin:members_membership_ghost_import_preview", import_id)
    counts = applied.counts
    _log(
        request.user,
        applied,
        CHANGE,
        f"Applied Ghost import: {counts.get('create', 0)} created, {counts.get('update', 0)} updated, "
        f"{counts.get('error', 0)} rows with errors left out",
    )
    messages.success(
        request,
        _(
            "Imported: %(new)s new and %(updated)s updated members. Stripe is being asked about %(linked)s linked "
            "customers."
        )
        % {"new": counts.get("create", 0), "updated": counts.get("update", 0), "linked": counts.get("link", 0)},
    )
    return redirect("admin:members_membership_ghost_import_preview", import_id)


def import_urls(model_admin) -> list:
    """URL patterns the membership admin mounts under its own URLs (upload, preview/result, apply)."""
    view = model_admin.admin_site.admin_view
    return [
        path("import/", view(partial(upload_view, model_admin=model_admin)), name="members_membership_ghost_import"),
        path(
            "import/<int:import_id>/",
            view(partial(preview_view, model_admin=model_admin)),
            name="members_membership_ghost_import_preview",
        ),
        path(
            "import/<int:import_id>/tiers/",
            view(partial(tier_mapping_view, model_admin=model_admin)),
            name="members_membership_ghost_import_tiers",
        ),
        path(
            "import/<int:import_id>/apply/",
            view(partial(apply_view, model_admin=model_admin)),
            name="members_membership_ghost_import_apply",
        ),
    ]


# --- History and follow-up -------------------------------------------------------------------------------

if TYPE_CHECKING:  # what the mixin below's super() reaches: the ModelAdmin it is mixed into
    _MixedIntoModelAdmin = admin.ModelAdmin[Any]
else:
    _MixedIntoModelAdmin = object


class _ImportPermissionMixin(ReadOnlyMixin, _MixedIntoModelAdmin):
    """Read-only pages for whoever may import members (or view these records)."""

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(PERMISSION) or super().has_view_permission(request, obj)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)


@admin.register(MemberImport)
class MemberImportAdmin(_ImportPermissionMixin, admin.ModelAdmin):
    list_display = [
        "created_at",
        "filename",
        "uploaded_by",
        "status",
        "row_count",
        "error_count",
        "applied_by",
        "applied_at",
        "preview_link",
    ]
    list_filter = ["status"]
    list_select_related = ["uploaded_by", "applied_by"]
    exclude = ["content", "preview_rows"]
    readonly_fields = [
        "filename",
        "content_sha256",
        "uploaded_by",
        "created_at",
        "status",
        "row_count",
        "error_count",
        "counts",
        "only_valid_rows",
        "applied_by",
        "applied_at",
        "failure",
        "preview_link",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("content", "preview_rows")

    @admin.display(description=gettext_lazy("Preview / result"))
    def preview_link(self, obj: MemberImport) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:members_membership_ghost_import_preview", args=[obj.pk]), _("Open")
        )


@admin.register(GhostMember)
class GhostMemberAdmin(_ImportPermissionMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "user",
        "ghost_id",
        "complimentary",
        "gift_id",
        "stripe_customer_id",
        "sync_status",
        "synced_at",
        "sync_note",
    ]
    list_filter = ["sync_status", "complimentary", ("gift_id", admin.EmptyFieldListFilter), "last_import"]
    search_fields = ["email", "ghost_id", "stripe_customer_id", "user__email"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in GhostMember._meta.fields]
    actions = ["ask_provider_again"]

    @admin.action(description=gettext_lazy("Ask the payment provider again about the selected members"))
    def ask_provider_again(self, request, queryset):
        _require_permission(request)
        ids = list(queryset.exclude(stripe_customer_id="").values_list("pk", flat=True))
        GhostMember.objects.filter(pk__in=ids).update(sync_status=GhostMember.SyncStatus.PENDING)
        ghost_sync.enqueue_syncs(ids)
        for ghost in queryset.filter(pk__in=ids):
            self.log_change(request, ghost, "Asked the payment provider again")
        self.message_user(
            request,
            ngettext(
                "Asking the payment provider about %(count)s member(s).",
                "Asking the payment provider about %(count)s member(s).",
                len(ids),
            )
            % {"count": len(ids)},
            messages.SUCCESS,
        )
