"""The payment pipeline in the admin: the webhook event log (what each provider told us, whose it is, what became
of it, and a confirmed "process again"), payments, provider customers and the reconciliation cursor. All read only:
rows here change only through the pipeline (outlet/payments/services.py). Money reads "GEL 15.50" and times are the
site's, with the zone named (outlet.common.admin_columns)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.views.main import ChangeList
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Q
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext

from outlet.common.admin_columns import money_column, time_column, time_field
from outlet.common.admin_readonly import ReadOnlyMixin
from outlet.payments import event_owners, registry, services
from outlet.payments.models import Payment, ProviderCustomer, ReconciliationCursor, WebhookEvent

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet
    from django.http import HttpRequest
    from django.utils.safestring import SafeString
    from django_stubs_ext import StrOrPromise

# Paginator and ModelAdmin are generic only in django-stubs: subscripting them fails at runtime.
if TYPE_CHECKING:
    _Paginator = Paginator[Model]
    _WebhookEventModelAdmin = admin.ModelAdmin[WebhookEvent]
    _PaymentModelAdmin = admin.ModelAdmin[Payment]
    _ProviderCustomerModelAdmin = admin.ModelAdmin[ProviderCustomer]
    _ReconciliationCursorModelAdmin = admin.ModelAdmin[ReconciliationCursor]
else:
    _Paginator = Paginator
    _WebhookEventModelAdmin = _PaymentModelAdmin = _ProviderCustomerModelAdmin = _ReconciliationCursorModelAdmin = (
        admin.ModelAdmin
    )

REPROCESS_PERMISSION = "payments.reprocess_webhookevent"
REPROCESS_AT_ONCE = 500  # one confirmation lists (and queues) at most this many events


class CappedCountPaginator(_Paginator):
    """Counts at most `cap` + 1 rows: past that, staff narrow a list rather than page through it, and an exact
    COUNT(*) over a million rows cost 50-300 ms on every page view at the bench. The admin's pagination.html
    shows `capped_summary` instead of the count when capped."""

    cap = 10_000
    # One sentence per list, naming what it lists; %(cap)s is the cap written out ("10,000").
    capped_text: StrOrPromise = gettext_lazy(
        "More than %(cap)s rows: the newest are shown first; narrow the list with the filters or search."
    )
    object_list: QuerySet[Model]  # the admin pages a queryset

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    @property
    def capped_summary(self) -> str:
        return str(self.capped_text) % {"cap": f"{self.cap:,}"}


class EventPaginator(CappedCountPaginator):
    capped_text = gettext_lazy(
        "More than %(cap)s events: the newest are shown first; narrow the list with the filters or search."
    )


class CachedValuesFilter(admin.SimpleListFilter):
    """Choices from a DISTINCT over a big table, remembered for ten minutes: the event log and the payments grow
    with every event, and Django's plain field filter would scan them on every page view."""

    model: type[WebhookEvent] | type[Payment] = WebhookEvent
    field = ""

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        key = f"admin:{self.model._meta.label_lower}:{self.field}-choices"
        values = cache.get(key)
        if values is None:
            values = list(self.model.objects.order_by(self.field).values_list(self.field, flat=True).distinct()[:200])
            cache.set(key, values, 600)
        return [(value, value) for value in values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(**{self.field: self.value()}) if self.value() else queryset


class TypeFilter(CachedValuesFilter):
    title = gettext_lazy("type")
    parameter_name = field = "type"


class ProviderFilter(CachedValuesFilter):
    title = gettext_lazy("provider")
    parameter_name = field = "provider"


class PaymentProviderFilter(CachedValuesFilter):
    model = Payment
    title = gettext_lazy("provider")
    parameter_name = field = "provider"


class PaymentCurrencyFilter(CachedValuesFilter):
    model = Payment
    title = gettext_lazy("currency")
    parameter_name = field = "currency"


class PaymentPaginator(CappedCountPaginator):
    capped_text = gettext_lazy(
        "More than %(cap)s payments: the newest are shown first; narrow the list with the filters or search."
    )


Status = WebhookEvent.Status
# What became of an event, in words that do not guess whose it was (its owner column says that). Other statuses
# read as the model names them.
STATUS_WORDS: dict[str, StrOrPromise] = {
    Status.RECEIVED: gettext_lazy("Waiting for the worker"),
    Status.IGNORED: gettext_lazy("Ignored (a type we do not act on)"),
    Status.NOT_OURS: gettext_lazy("Nothing to change"),
}


def status_words(status: str) -> str:
    if status in STATUS_WORDS:
        return str(STATUS_WORDS[status])
    return dict(Status.choices).get(status, status)


class StatusFilter(admin.SimpleListFilter):
    title = gettext_lazy("status")
    parameter_name = "status__exact"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin[Any]) -> list[tuple[str, str]]:
        return [
            (value, _("Nothing to change (or not ours)") if value == Status.NOT_OURS else status_words(value))
            for value in Status.values
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.filter(status=self.value()) if self.value() in Status.values else queryset


class EventChangeList(ChangeList):
    """Finds the owner of every event on the page at once (a few queries, however long the page)."""

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        self.result_list = list(self.result_list)
        owners = event_owners.owners_of(self.result_list)
        for event in self.result_list:
            event.found_owner = owners[event.pk]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, _WebhookEventModelAdmin):
    list_display = [
        "received",
        "type",
        "owner",
        "status_words",
        "provider",
        "via",
        "attempts",
        "event_id",
        "error_summary",
    ]
    list_filter = [StatusFilter, TypeFilter, ProviderFilter, "via", "livemode"]
    search_fields = ["=event_id"]
    search_help_text = gettext_lazy("The provider's event id (evt_…), whole.")
    show_full_result_count = False
    paginator = EventPaginator
    # Newest first by id (the order they were received in): sorting by received_at had no index and took 0.6 s
    # over 300,000 events at the bench.
    ordering = ["-pk"]
    actions = ["reprocess", "set_aside"]
    fields = [
        "provider",
        "event_id",
        "type",
        "owner_and_reason",
        "status_words",
        "via",
        "live",
        "created_at_provider_text",
        "received_text",
        "processed_text",
        "requeued_text",
        "waiting_for_words",
        "next_check_text",
        "attempts",
        "error",
        "pretty_payload",
    ]
    readonly_fields = cast("list[str]", fields)  # the fields are plain names, no groups

    # outlet.common.admin_columns types the titles `str`; a lazy translation works the same.
    received = time_column("received_at", gettext_lazy("Received"))  # type: ignore[arg-type]
    created_at_provider_text = time_field("created_at_provider", gettext_lazy("Created at the provider"))  # type: ignore[arg-type]
    received_text = time_field("received_at", gettext_lazy("Received"))  # type: ignore[arg-type]
    processed_text = time_field("processed_at", gettext_lazy("Processed"))  # type: ignore[arg-type]
    requeued_text = time_field("requeued_at", gettext_lazy("Queued again by the sweep"))  # type: ignore[arg-type]
    next_check_text = time_field("retry_at", gettext_lazy("Next check for its payment"))  # type: ignore[arg-type]

    @admin.display(description=gettext_lazy("waiting for"))
    def waiting_for_words(self, obj: WebhookEvent) -> str:
        return obj.waiting_for.replace(",", ", ") if obj.waiting_for else "—"

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return EventChangeList

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_words(self, obj: WebhookEvent) -> str:
        if obj.status == Status.NOT_OURS and not self._owner(obj).is_ours:
            return _("Not ours (another product on the same account)")
        return status_words(obj.status)

    @admin.display(description=gettext_lazy("Live (not a test)"), boolean=True)
    def live(self, obj: WebhookEvent) -> bool:
        return obj.livemode

    @admin.display(description=gettext_lazy("owner"))
    def owner(self, obj: WebhookEvent) -> str:
        return self._owner(obj).label

    @admin.display(description=gettext_lazy("owner"))
    def owner_and_reason(self, obj: WebhookEvent) -> str:
        owner = self._owner(obj)
        return f"{owner.label}: {owner.reason}"

    @staticmethod
    def _owner(obj: WebhookEvent) -> event_owners.Owner:
        if not hasattr(obj, "found_owner"):
            obj.found_owner = event_owners.owner_of(obj)
        return obj.found_owner

    def get_queryset(self, request: HttpRequest) -> QuerySet[WebhookEvent]:
        # The payloads are the bulk of the table: the list never reads them; the event's own page does.
        queryset = super().get_queryset(request)
        return (
            queryset
            if request.resolver_match and request.resolver_match.url_name.endswith("_change")  # type: ignore[union-attr]  # admin URLs are all named
            else queryset.defer("payload")
        )

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(REPROCESS_PERMISSION)

    @admin.display(description=gettext_lazy("error"))
    def error_summary(self, obj: WebhookEvent) -> str:
        first_line = obj.last_error.strip().splitlines()[0] if obj.last_error.strip() else ""
        return first_line[:120] + ("…" if len(first_line) > 120 else "")

    @admin.display(description=gettext_lazy("error"))
    def error(self, obj: WebhookEvent) -> str:
        if not obj.last_error:
            return pgettext("webhook event error", "None")
        return format_html('<pre class="event-error">{}</pre>', obj.last_error)

    @admin.display(description=gettext_lazy("payload"))
    def pretty_payload(self, obj: WebhookEvent) -> SafeString:
        text = json.dumps(obj.payload, indent=2, sort_keys=True, ensure_ascii=False)
        return format_html('<pre class="event-payload">{}</pre>', text)

    @admin.action(description=gettext_lazy("Process the selected events again…"), permissions=["reprocess"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> TemplateResponse | None:
        """Confirmed first. Safe by design: handlers are idempotent, so an applied event changes nothing and a
        failed one is applied now."""
        chosen = list(queryset.defer("payload").order_by("received_at")[:REPROCESS_AT_ONCE])
        if request.POST.get("confirmed") != "yes":
            owners = event_owners.owners_of(chosen)
            for event in chosen:
                event.found_owner = owners[event.pk]
                event.status_text = self.status_words(event)
            return TemplateResponse(
                request,
                "admin/payments/webhookevent/reprocess_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Process these events again?"),
                    "events": chosen,
                    "count": len(chosen),
                    "opts": self.model._meta,
                    "action": "reprocess",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        count = services.reprocess_events(webhook_event_pks=[event.pk for event in chosen])
        for event in chosen:
            self.log_change(request, event, "Asked to process this event again.")
        self.message_user(
            request,
            ngettext(
                "Queued %(count)s event(s) for processing again. Events already applied change nothing.",
                "Queued %(count)s event(s) for processing again. Events already applied change nothing.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return None

    @admin.action(
        description=gettext_lazy("Set aside: refunds or disputes settled by hand…"), permissions=["reprocess"]
    )
    def set_aside(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> TemplateResponse | None:
        """For a refund or dispute whose payment never arrived, once staff settled it with the provider by hand: it
        stops being flagged (admin, /healthz). Confirmed first; only events flagged as unmatched are touched."""
        chosen = list(
            queryset.defer("payload").filter(status=Status.UNMATCHED).order_by("received_at")[:REPROCESS_AT_ONCE]
        )
        if not chosen:
            self.message_user(
                request, _("None of the selected events is waiting for staff: nothing was set aside."), messages.WARNING
            )
            return None
        if request.POST.get("confirmed") != "yes":
            owners = event_owners.owners_of(chosen)
            for event in chosen:
                event.found_owner = owners[event.pk]
                event.status_text = self.status_words(event)
            return TemplateResponse(
                request,
                "admin/payments/webhookevent/set_aside_confirm.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Set these events aside?"),
                    "events": chosen,
                    "count": len(chosen),
                    "opts": self.model._meta,
                    "action": "set_aside",
                    "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                },
            )
        count = services.set_aside_unmatched(
            webhook_event_pks=[event.pk for event in chosen],
            staff_user_id=request.user.pk,  # type: ignore[arg-type]  # the admin serves signed-in staff only
            note=request.POST.get("note", ""),
        )
        for event in chosen:
            self.log_change(request, event, "Set aside: settled by hand.")
        self.message_user(
            request,
            ngettext(
                "Set aside %(count)s event(s). If a payment ever arrives for one, it is still applied.",
                "Set aside %(count)s event(s). If a payment ever arrives for one, it is still applied.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )
        return None


@admin.register(Payment)
class PaymentAdmin(ReadOnlyMixin, _PaymentModelAdmin):
    list_display = ["paid", "purpose", "user", "email", "amount", "refunded", "status", "provider"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Payment]:
        """Only the payments of products this staff member may see (a gift's payer may have asked for privacy)."""
        hidden = registry.purposes_hidden_from(request.user)
        queryset = super().get_queryset(request)
        return queryset.exclude(purpose__in=hidden) if hidden else queryset

    list_filter = ["purpose", "status", PaymentProviderFilter, PaymentCurrencyFilter]
    search_fields = ["provider_ref", "other_refs", "email", "user__email", "customer_id", "subscription_id"]
    list_select_related = ["user"]
    fields = [
        "purpose",
        "status",
        "amount",
        "refunded",
        "paid_text",
        "description",
        "user",
        "email",
        "provider",
        "provider_ref",
        "other_refs",
        "customer_id",
        "subscription_id",
        "provider_receipt_url",
        "metadata",
    ]
    readonly_fields = cast("list[str]", fields)  # the fields are plain names, no groups
    show_full_result_count = False
    search_help_text = gettext_lazy(
        "A payment, invoice or subscription id (pi_…, in_…, sub_…) or a whole email finds payments at once."
    )
    paginator = PaymentPaginator
    ordering = ["-pk"]  # recorded order; paid_at alone has no index (0.33 s to sort 1M payments at the bench)

    paid = time_column("paid_at", gettext_lazy("Paid"))  # type: ignore[arg-type]
    paid_text = time_field("paid_at", gettext_lazy("Paid"))  # type: ignore[arg-type]
    amount = money_column("amount_minor", gettext_lazy("Amount"))  # type: ignore[arg-type]
    refunded = money_column("amount_refunded_minor", gettext_lazy("Refunded"), zero_as_empty=True)  # type: ignore[arg-type]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Payment], bool]:
        """Ids are matched whole on their indexes and an email whole (Django's substring search over six columns
        took 1.2 s over a million payments); anything else falls back to that search."""
        term = search_term.strip()
        if services.PROVIDER_ID.fullmatch(term):  # an id matches whole or not at all
            return queryset.filter(pk__in=services.payment_ids_for_ref(ref=term)), False
        if "@" in term and " " not in term:
            # Two index lookups (payment_email_upper_idx, account_email_upper_idx); an OR across the join would scan.
            accounts = get_user_model().objects.filter(email__iexact=term).values("pk")
            return queryset.filter(Q(email__iexact=term) | Q(user_id__in=accounts)), False
        return super().get_search_results(request, queryset, search_term)


@admin.register(ProviderCustomer)
class ProviderCustomerAdmin(_ProviderCustomerModelAdmin):
    list_display = ["customer_id", "provider", "user", "created"]
    search_fields = ["customer_id", "user__email"]
    raw_id_fields = ["user"]

    created = time_column("created_at", gettext_lazy("Linked"))  # type: ignore[arg-type]


@admin.register(ReconciliationCursor)
class ReconciliationCursorAdmin(_ReconciliationCursorModelAdmin):
    list_display = ["provider", "synced", "last_run", "found"]
    fields = ["provider", "synced_text", "last_run_text", "found"]
    readonly_fields = cast("list[str]", fields)  # the fields are plain names, no groups

    synced = time_column("synced_until", gettext_lazy("Compared up to"))  # type: ignore[arg-type]
    last_run = time_column("last_run_at", gettext_lazy("Last run"))  # type: ignore[arg-type]
    synced_text = time_field("synced_until", gettext_lazy("Compared with the provider's events up to"))  # type: ignore[arg-type]
    last_run_text = time_field("last_run_at", gettext_lazy("Last run"))  # type: ignore[arg-type]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # the reconciliation task keeps this row; a hand-made one would have no time to compare from

    @admin.display(description=gettext_lazy("Events the last run found missing"))
    def found(self, obj: ReconciliationCursor) -> int:
        return obj.last_run_ingested
