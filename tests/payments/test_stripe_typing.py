"""Guards that make a Stripe SDK upgrade (or a typo) fail loudly here instead of in production:

- `mypy --strict` over the Stripe adapter: stripe's TypedDict params reject misspelt keys at any depth and wrong
  value types; its typed resources reject misspelt response attributes.
- the drift guard: every field of Stripe's example objects we build payloads and responses from is an attribute
  the installed SDK declares on the matching class, recursively through nested objects and lists.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import stripe
import stripe.billing_portal
import stripe.checkout
from stripe._util import convert_to_stripe_object  # stripe's own JSON -> resource mapping (by "object")

from tests.payments import stripe_objects as so

ROOT = Path(__file__).resolve().parents[2]
ADAPTER = "outlet/payments/providers/stripe/adapter.py"


def _mypy(target: str) -> subprocess.CompletedProcess[str]:
    # --follow-imports=silent: imported modules (base.py, Django code of other apps) are analysed for their types
    # but only the adapter's own errors are reported; the adapter is the one module that imports stripe.
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-error-summary", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_stripe_adapter_passes_mypy_strict():
    result = _mypy(ADAPTER)
    assert result.returncode == 0, f"mypy --strict {ADAPTER} failed:\n{result.stdout}{result.stderr}"


def test_mypy_rejects_a_misspelt_stripe_parameter(tmp_path):
    """Proves the guard above has teeth: the adapter with one nested key misspelt must not type-check."""
    source = (ROOT / ADAPTER).read_text()
    needle = '"subscription_data"] = {"metadata": metadata}'
    assert needle in source, "update this test: the adapter no longer builds subscription_data this way"
    broken = tmp_path / "stripe_adapter_with_typo.py"
    broken.write_text(source.replace(needle, '"subscription_data"] = {"metdata": metadata}'))
    result = _mypy(str(broken))
    assert result.returncode != 0
    assert '"metdata"' in result.stdout


# --- Drift guard --------------------------------------------------------------------------------------------

SDK_CLASSES: dict[str, type[stripe.StripeObject]] = {
    "checkout.session": stripe.checkout.Session,
    "subscription": stripe.Subscription,
    "invoice": stripe.Invoice,
    "charge": stripe.Charge,
    "dispute": stripe.Dispute,
    "billing_portal.session": stripe.billing_portal.Session,
    "price": stripe.Price,
    "refund": stripe.Refund,
    "event": stripe.Event,
    "invoice_payment": stripe.InvoicePayment,
    "payment_intent": stripe.PaymentIntent,
}

# Fields holding a list (or another top-level resource) whose element class is not one of the SDK's inner classes.
LIST_ELEMENTS: dict[tuple[type[stripe.StripeObject], str], type[stripe.StripeObject]] = {
    (stripe.Subscription, "items"): stripe.SubscriptionItem,
    (stripe.Invoice, "lines"): stripe.InvoiceLineItem,
    (stripe.Charge, "refunds"): stripe.Refund,
}
RESOURCE_FIELDS: dict[tuple[type[stripe.StripeObject], str], type[stripe.StripeObject]] = {
    (stripe.SubscriptionItem, "price"): stripe.Price,
    (stripe.SubscriptionItem, "plan"): stripe.Plan,
}

# Fields Stripe's fixture file carries that the SDK genuinely no longer declares. Keep this list short, and say why.
KNOWN_FIXTURE_ONLY_FIELDS = {
    # Removed in API 2025-03-31.basil: an invoice names its subscription in parent.subscription_details.subscription
    # (which the adapter reads). The fixture still carries the old top-level field, set to null.
    "invoice.subscription",
}


def _declared(cls: type) -> set[str]:
    names: set[str] = set()
    for klass in cls.__mro__:
        names |= set(getattr(klass, "__annotations__", {}))
    return names


def _undeclared_fields(obj: dict[str, Any], cls: type[stripe.StripeObject], path: str) -> list[str]:
    missing: list[str] = []
    declared = _declared(cls)
    inner_types: dict[str, type[stripe.StripeObject]] = getattr(cls, "_inner_class_types", {})
    for key, value in obj.items():
        if key not in declared:
            missing.append(f"{path}.{key}")
            continue
        if isinstance(value, dict) and (cls, key) in LIST_ELEMENTS:
            for index, element in enumerate(value.get("data") or []):
                missing += _undeclared_fields(element, LIST_ELEMENTS[(cls, key)], f"{path}.{key}.data[{index}]")
            continue
        nested = inner_types.get(key) or RESOURCE_FIELDS.get((cls, key))
        if nested is None:
            continue
        if isinstance(value, dict):
            missing += _undeclared_fields(value, nested, f"{path}.{key}")
        elif isinstance(value, list):
            for index, element in enumerate(value):
                if isinstance(element, dict):
                    missing += _undeclared_fields(element, nested, f"{path}.{key}[{index}]")
    return missing


@pytest.mark.parametrize("name", sorted(SDK_CLASSES))
def test_every_field_of_stripes_example_object_is_declared_by_the_installed_sdk(name):
    missing = set(_undeclared_fields(so.stripe_object(name), SDK_CLASSES[name], name)) - KNOWN_FIXTURE_ONLY_FIELDS
    assert not missing, (
        f"stripe {stripe.VERSION} does not declare these fields of the {name!r} fixture: {sorted(missing)}. "
        "The SDK (or the fixture file) changed shape: update the adapter's translation and the builders."
    )


def test_the_known_exceptions_are_still_needed():
    """An exception that no longer applies is removed, so the list cannot quietly grow stale."""
    for dotted in KNOWN_FIXTURE_ONLY_FIELDS:
        name, _, field = dotted.rpartition(".")
        assert field in so.stripe_object(name), f"{dotted} is gone from the fixture: drop it from the exceptions"
        assert field not in _declared(SDK_CLASSES[name]), f"the SDK declares {dotted} again: drop the exception"


BUILT = {
    "subscription_payload": ("subscription", so.subscription_payload),
    "invoice_paid_payload": ("invoice", so.invoice_paid_payload),
    "invoice_failed_payload": ("invoice", so.invoice_failed_payload),
    "checkout_completed_payload": ("checkout.session", so.checkout_completed_payload),
    "checkout_session_payload": ("checkout.session", so.checkout_session_payload),
    "charge_payload (refunded)": ("charge", lambda: so.charge_payload(amount_refunded=500)),
    "dispute_payload": ("dispute", so.dispute_payload),
    "portal_session_payload": ("billing_portal.session", so.portal_session_payload),
    "price_payload": ("price", so.price_payload),
    "refund_payload": ("refund", so.refund_payload),
    "invoice_payment_payload": ("invoice_payment", so.invoice_payment_payload),
    "stripe_event": ("event", lambda: so.stripe_event("invoice.paid", so.invoice_paid_payload())),
}


@pytest.mark.parametrize("builder", sorted(BUILT))
def test_the_builders_add_no_field_the_sdk_does_not_declare(builder):
    """The builders set nested fields by hand (invoice.parent, invoice_payment.payment, ...): same check."""
    name, build = BUILT[builder]
    missing = set(_undeclared_fields(build(), SDK_CLASSES[name], name)) - KNOWN_FIXTURE_ONLY_FIELDS
    assert not missing, f"{builder} builds fields stripe {stripe.VERSION} does not declare: {sorted(missing)}"


@pytest.mark.parametrize("builder", sorted(BUILT))
def test_the_sdk_reads_what_the_builders_build(builder):
    """stripe's own deserialiser accepts each built object and yields the declared class."""
    name, build = BUILT[builder]
    obj = convert_to_stripe_object(build())
    assert isinstance(obj, SDK_CLASSES[name])
