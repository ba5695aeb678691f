from django.http import HttpResponse
from django.urls import path

from outlet.urls import handler404, handler500  # noqa: F401
from outlet.urls import urlpatterns as outlet_urlpatterns

FIXED_BYTES = b"<!doctype html><title>bare</title><p>" + b"x" * 2048 + b"</p>"


def bare(request):
    """The cheapest page Django can serve under the same server settings: the ceiling for the article page."""
    return HttpResponse(FIXED_BYTES)


urlpatterns = [path("__bench__/bare/", bare), *outlet_urlpatterns]
