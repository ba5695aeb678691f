"""Whose is a stored provider event? The label the webhook log shows staff: "Membership", "Donation", "A reader's
payment (no product named)", or "Not ours" only when nothing in it is ours.

Processing answers a narrower question, "did a product change something?", and records NOT_OURS when none did,
so a card declined on our own membership checkout (Stripe copies no metadata onto a subscription's first payment)
was listed as another product's event. This module reads only, for the log; it changes nothing in processing.

An event is ours, in this order, by:
1. our marker (OUR_MARKER) in the metadata of its object, or of the subscription an invoice belongs to;
2. the marker on the sandbox checkout session it names (the sandbox's declined payment names its session);
3. a payment we recorded, by its id or its subscription's;
4. a subscription a product follows (products register a lookup: members/admin.py, donations/admin*.py);
5. a customer that is one of our readers (the product is then not known: "A reader's payment").

The facts are read with JSON key lookups for a whole page of events in one query (never the whole payloads, which
are the bulk of the table), then a few queries for the page's unresolved ids, whatever its length."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.fields.json import KT

from outlet.payments.models import Payment, ProviderCustomer, SandboxObject, WebhookEvent
from outlet.payments.providers.base import OUR_MARKER

NOT_OURS = "Not ours"
A_READERS = "A reader's payment (no product named)"
OURS = "Ours (no product named)"
PRODUCT_LABELS = {"membership": "Membership", "donation": "Donation"}

# Where providers put metadata on the objects their events carry (Stripe invoices: on the subscription details).
_MARKER_PATHS = {
    "marker_object": "payload__data__object__metadata__" + OUR_MARKER,
    "marker_invoice_parent": "payload__data__object__parent__subscription_details__metadata__" + OUR_MARKER,
    "marker_invoice_old": "payload__data__object__subscription_details__metadata__" + OUR_MARKER,
}
# The ids an object may name that our own rows can recognise.
_ID_PATHS = {
    f"id_{key}": f"payload__data__object__{key}"
    for key in ("id", "customer", "subscription", "checkout", "payment_intent", "charge", "invoice")
} | {"id_parent_subscription": "payload__data__object__parent__subscription_details__subscription"}

# label -> function(provider, ids) -> the ids among them that the product follows (a subscription, ...).
_product_lookups: dict[str, Callable[[str, set[str]], set[str]]] = {}


def register_product_lookup(label: str, lookup: Callable[[str, set[str]], set[str]]) -> None:
    """Products tell the log which ids are theirs; the platform never imports a product."""
    _product_lookups[label] = lookup


@dataclass(frozen=True)
class Owner:
    label: str  # "Membership", "Donation", A_READERS or NOT_OURS
    reason: str  # how we know, for the event's page

    @property
    def is_ours(self) -> bool:
        return self.label != NOT_OURS


def owners_of(events: Iterable[WebhookEvent]) -> dict[int, Owner]:
    """The owner of each event, by primary key."""
    pks = [event.pk for event in events]
    if not pks:
        return {}
    rows = list(
        WebhookEvent.objects.filter(pk__in=pks)
        .order_by()
        .annotate(**{name: KT(path) for name, path in (_MARKER_PATHS | _ID_PATHS).items()})
        .values("pk", "provider", "status", *_MARKER_PATHS, *_ID_PATHS)
    )
    owners: dict[int, Owner] = {}
    unresolved: dict[int, tuple[str, set[str]]] = {}
    for row in rows:
        marker = next((row[name] for name in _MARKER_PATHS if _is_id(row[name])), None)
        if marker:
            owners[row["pk"]] = Owner(_product_label(marker), "our marker on the provider's object")
            continue
        ids = {value for name in _ID_PATHS if _is_id(value := row[name])}
        unresolved[row["pk"]] = (row["provider"], ids)
    if unresolved:
        owners |= _owners_by_our_rows(unresolved)
    for row in rows:
        if row["pk"] in owners:
            continue
        if row["status"] == WebhookEvent.Status.PROCESSED:  # a product acted on it, by what it knows of its objects
            owners[row["pk"]] = Owner(OURS, "a product acted on it")
        else:
            owners[row["pk"]] = Owner(
                NOT_OURS, "nothing in it is ours: no marker, and no payment, subscription or customer we know"
            )
    return owners


def _is_id(value: object) -> bool:
    """A plain string from the payload (SQLite reads a JSON null or boolean as the text "null", "true", "false";
    an expanded object comes back as JSON text)."""
    return isinstance(value, str) and value not in ("", "null", "true", "false") and not value.startswith(("{", "["))


def owner_of(event: WebhookEvent) -> Owner:
    return owners_of([event])[event.pk]


def _product_label(marker: str) -> str:
    return PRODUCT_LABELS.get(marker, marker.replace("_", " ").capitalize())


def _owners_by_our_rows(unresolved: dict[int, tuple[str, set[str]]]) -> dict[int, Owner]:
    by_provider: dict[str, set[str]] = defaultdict(set)
    for provider, ids in unresolved.values():
        by_provider[provider] |= ids
    known: dict[tuple[str, str], Owner] = {}  # (provider, id) -> owner; the first, most specific, finding wins
    for provider, ids in by_provider.items():
        if not ids:
            continue
        if provider == "sandbox":  # its declined payment names the checkout session, which carries our metadata
            sessions = SandboxObject.objects.filter(kind="checkout", object_id__in=ids).values_list("object_id", "data")
            for session_id, data in sessions:
                marker = ((data or {}).get("metadata") or {}).get(OUR_MARKER)
                if marker:
                    known.setdefault(
                        (provider, session_id),
                        Owner(_product_label(marker), "our marker on the checkout session it names"),
                    )
        payments = Payment.objects.filter(provider=provider).filter(
            Q(provider_ref__in=ids) | Q(subscription_id__in=ids)
        )
        for ref, subscription_id, purpose in payments.values_list("provider_ref", "subscription_id", "purpose"):
            owner = Owner(_product_label(purpose), "a payment we recorded")
            for found in (ref, subscription_id):
                if found in ids:
                    known.setdefault((provider, found), owner)
        for label, lookup in _product_lookups.items():
            for found in lookup(provider, ids):
                known.setdefault((provider, found), Owner(label, "a subscription we follow"))
        for customer_id in ProviderCustomer.objects.filter(provider=provider, customer_id__in=ids).values_list(
            "customer_id", flat=True
        ):
            known.setdefault((provider, customer_id), Owner(A_READERS, "its customer is one of our readers"))
    owners = {}
    for pk, (provider, ids) in unresolved.items():
        # A product's own finding (checkout, payment, subscription) beats "one of our readers" (the customer).
        findings = [known[(provider, found)] for found in sorted(ids) if (provider, found) in known]
        specific = [owner for owner in findings if owner.label != A_READERS]
        if specific or findings:
            owners[pk] = (specific or findings)[0]
    return owners
