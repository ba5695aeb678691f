"""Behind the TLS proxy every donor arrives from the proxy's address: the checkout limits count the reader the
proxy names (the site's one client-address rule), so one busy card tester never locks out every donor."""

from __future__ import annotations

import pytest
from django.test import Client

from donations.models import DonationCheckout

pytestmark = pytest.mark.django_db(transaction=True)

GIVE = "/fundraisers/safety-fund/give/"


def gift(n: int) -> dict:
    return {
        "currency": "GEL",
        "amount": "5000",
        "interval": "once",
        "email": f"donor{n}@example.org",
        "split": "default",
    }


def test_donors_behind_one_proxy_each_have_their_own_allowance(campaign, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.DONATION_RATE_LIMITS = {"ip": (2, 600), "email": (100, 600)}
    proxy = Client(REMOTE_ADDR="10.0.0.1")

    tester = [proxy.post(GIVE, gift(n), HTTP_X_FORWARDED_FOR="203.0.113.7").status_code for n in range(3)]
    forged = proxy.post(GIVE, gift(3), HTTP_X_FORWARDED_FOR="198.51.100.99, 203.0.113.7").status_code
    donor = proxy.post(GIVE, gift(4), HTTP_X_FORWARDED_FOR="198.51.100.4").status_code

    assert tester == [302, 302, 429] and forged == 429
    assert donor == 302
    assert DonationCheckout.objects.count() == 3
