"""Steps a reader takes through the sandbox provider's pages, via the Django test client."""

from __future__ import annotations

from outlet.payments.models import SandboxObject


def join(client, *, tier: str = "supporter", interval: str = "month", currency: str = "GEL"):
    """POST the join form; returns the response (a redirect to the sandbox checkout for a signed-in reader)."""
    return client.post("/membership/join/", {"tier": tier, "interval": interval, "currency": currency})


def pay(client, checkout_url: str, choice: str = "pay"):
    return client.post(checkout_url, {"choice": choice})


def join_and_pay(client, **choice):
    response = join(client, **choice)
    assert response.status_code == 302 and "/payments/sandbox/checkout/" in response["Location"], response
    return pay(client, response["Location"])


def portal(client):
    """Open the card portal from the account page; returns its URL."""
    response = client.post("/accounts/membership/billing/")
    assert response.status_code == 302 and "/payments/sandbox/portal/" in response["Location"], response
    return response["Location"]


def subscription_id() -> str:
    return SandboxObject.objects.filter(kind="subscription").latest("created_at").object_id
