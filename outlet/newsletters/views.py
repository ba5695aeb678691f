"""The reader's side of newsletters: the sign-up form's endpoint, its thank-you page and the confirmation link."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from outlet.common.client_address import client_address
from outlet.common.page_cache import keep_private, keep_url_secret
from outlet.newsletters import services
from outlet.newsletters.forms import SignupForm
from outlet.newsletters.models import Newsletter


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """The sign-up form posts here from articles and the home page, which the page cache serves whole to anonymous
    readers, so it cannot carry a per-reader CSRF token. It needs none: a forged post can only make us send one
    confirmation email to the address typed (at most one a day per address and newsletter, and a limited number
    per hour from one connection), and nothing is subscribed until the owner of that address follows the link in
    it. It signs nobody in and changes no account. GET shows the form on a page of its own (and the errors of a
    post without JavaScript)."""
    form = SignupForm(request.POST or None, initial={"newsletter": request.GET.get("newsletter")})
    status = 200
    if request.method == "POST":
        if not services.signup_allowed(client=client_address(request)):
            response = render(request, "newsletters/signup.html", {"form": form, "too_many": True}, status=429)
            keep_private(response)
            return response
        if form.is_valid():
            newsletter: Newsletter = form.cleaned_data["newsletter"]
            if not form.cleaned_data["website"]:
                services.request_signup(address=form.cleaned_data["email"], newsletter=newsletter)
            query = urlencode({"newsletter": newsletter.slug})
            return HttpResponseRedirect(f"{reverse('newsletters:thanks')}?{query}", status=303)
        status = 400
    response = render(
        request, "newsletters/signup.html", {"form": form, "newsletters": services.signup_newsletters()}, status=status
    )
    keep_private(response)
    return response


@require_GET
def thanks(request: HttpRequest) -> HttpResponse:
    newsletter = Newsletter.objects.filter(slug=request.GET.get("newsletter", ""), active=True).first()
    response = render(request, "newsletters/thanks.html", {"newsletter": newsletter})
    keep_private(response)
    return response


@csrf_exempt  # the signed link is the proof: a mail client or another browser has no cookie to carry a token
@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (link scanners in mail services open links; only a person presses the button), POST confirms."""
    found = services.read_confirm_token(token)
    if found is None:
        response = render(request, "newsletters/confirm_broken.html", status=400)
    else:
        address, newsletter = found
        if request.method == "POST":
            services.confirm_signup(address=address, newsletter=newsletter)
            template = "newsletters/confirmed.html"
        else:
            template = "newsletters/confirm.html"
        response = render(request, template, {"address": address, "newsletter": newsletter})
    keep_private(response)
    keep_url_secret(response)
    return response
