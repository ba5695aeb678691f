"""Shared pieces of the Ghost import tests: the fixture files, a staff user, and the real Stripe provider talking to
the recording HTTP client (so the provider sync never reaches the network)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import Permission

from outlet.payments import providers
from outlet.payments.providers.stripe.adapter import StripeProvider
from tests.factories import UserFactory
from tests.payments import stripe_objects as so

EXPORTS = Path(__file__).parent


def export(name: str) -> bytes:
    return (EXPORTS / name).read_bytes()


def ghost_subscription(**overrides) -> dict:
    """A subscription as Ghost created it at Stripe: Ghost's metadata (none of ours), no lookup key of ours."""
    overrides.setdefault("metadata", {"ghost_member": "imported"})
    overrides.setdefault("lookup_key", None)
    return so.subscription_payload(**overrides)


def subscriptions_of(*subscriptions: dict) -> dict:
    return so.list_payload(list(subscriptions), url="/v1/subscriptions")


@pytest.fixture
def stripe_http(settings):
    settings.STRIPE_SECRET_KEY = "sk_test_ghost_import_not_a_real_key"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_test_ghost_import"
    http = so.RecordingHTTPClient()
    providers.reset_providers()
    real_build = providers._build
    provider = StripeProvider(
        secret_key=settings.STRIPE_SECRET_KEY, webhook_secret=settings.STRIPE_WEBHOOK_SECRET, http_client=http
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            providers, "_build", lambda provider_id: provider if provider_id == "stripe" else real_build(provider_id)
        )
        yield http
    providers.reset_providers()
    assert http.pending == 0, "a canned Stripe response was never requested"


@pytest.fixture
def importer(db):
    """A membership manager with exactly the import permission (and staff access to the admin)."""
    user = UserFactory(username="importer", email="importer@example.org", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="import_members", content_type__app_label="members"))
    return user
