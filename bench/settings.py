"""Benchmark-only settings: the real settings plus a bare view to compare the article page against."""

from outlet.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
