"""Settings for bench/hung_provider.py: the benchmark settings with Stripe as the provider (keys and provider come
from the environment the bench sets) and the Stripe adapter's API address pointed at the bench's silent server."""

import functools
import os

from bench.settings import *  # noqa: F403
from outlet.payments import providers
from outlet.payments.providers.stripe.adapter import StripeProvider

STRIPE_API_BASE = os.environ["BENCH_STRIPE_API_BASE"]
_build_the_usual_way = providers._build


@functools.cache
def _build_pointed_at_the_silent_server(provider_id: str):
    """The real adapter with its real call limits; only the address of Stripe's API differs."""
    if provider_id == "stripe":
        return StripeProvider(
            secret_key=os.environ["STRIPE_SECRET_KEY"],
            webhook_secret=os.environ["STRIPE_WEBHOOK_SECRET"],
            api_base=STRIPE_API_BASE,
        )
    return _build_the_usual_way(provider_id)


providers._build = _build_pointed_at_the_silent_server
