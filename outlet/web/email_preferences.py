"""The reader's email choices: the page in their account, the same page from the link in every email (no sign-in:
the signed address in the link is the authority), and the unsubscribe link of each optional email, which one POST
with no cookie honours (RFC 8058), as mail clients' Unsubscribe buttons send it."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from outlet.common import email_preferences
from outlet.common.page_cache import keep_private, keep_url_secret


class ChoicesForm(forms.Form):
    """One tick box per topic offered to the address; unticked is a no."""

    def __init__(self, *args, topics: list[email_preferences.Topic], current: dict[str, bool], **kwargs):
        super().__init__(*args, **kwargs)
        self.topics = topics
        for topic in topics:
            self.fields[_field(topic.key)] = forms.BooleanField(
                required=False,
                label=str(topic.label),  # rendered in this request's language
                help_text=str(topic.description),
                initial=current.get(topic.key, topic.default),
            )

    def rows(self):
        return [(self[_field(topic.key)], topic) for topic in self.topics]


def _field(topic: str) -> str:
    return "topic_" + topic.replace(":", "__")


def _choices_page(request, *, address: str, source: str, template_context: dict, back: str):
    topics = email_preferences.topics_for(address)
    current = email_preferences.choices_for(address)
    form = ChoicesForm(request.POST or None, topics=topics, current=current)
    if request.method == "POST" and form.is_valid():
        for topic in topics:
            email_preferences.set_choice(
                address=address, topic=topic.key, subscribed=form.cleaned_data[_field(topic.key)], source=source
            )
        messages.success(request, _("Saved. We will only send you the emails you ticked."))
        return HttpResponseRedirect(back)
    context = {
        "form": form,
        "address": address,
        "suppressed": email_preferences.is_suppressed(address),
        **template_context,
    }
    return _private(render(request, "web/email_preferences.html", context))


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def account_email_preferences(request):
    return _choices_page(
        request,
        address=request.user.email,
        source="account page",
        template_context={"in_account": True, "action": reverse("account_email_preferences")},
        back=reverse("account_email_preferences"),
    )


@csrf_exempt  # the signed link is the proof; a mail client's preview has no cookie to carry a CSRF token
@never_cache
@require_http_methods(["GET", "POST"])
def email_preferences_by_link(request, token: str):
    address = email_preferences.read_preferences_token(token)
    if address is None:
        return _broken_link(request)
    here = reverse("email_preferences_link", args=[token])
    return _choices_page(
        request, address=address, source="email link", template_context={"in_account": False, "action": here}, back=here
    )


@csrf_exempt  # RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no cookie and no second click
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks (link scanners open links; they must not unsubscribe anyone); POST unsubscribes."""
    found = email_preferences.read_unsubscribe_token(token)
    if found is None:
        return _broken_link(request)
    address, topic = found
    context = {
        "topic_label": email_preferences.topic_label(address, topic),
        "address": address,
        "action": reverse("email_unsubscribe", args=[token]),
        "preferences_url": reverse("email_preferences_link", args=[email_preferences.preferences_token(address)]),
    }
    if request.method == "POST":
        one_click = request.POST.get("List-Unsubscribe") == "One-Click"
        email_preferences.set_choice(
            address=address, topic=topic, subscribed=False, source="one-click" if one_click else "email link"
        )
        return _private(render(request, "web/unsubscribed.html", context))
    return _private(render(request, "web/unsubscribe.html", context))


def _broken_link(request):
    return _private(render(request, "web/email_link_broken.html", status=404))


def _private(response):
    """A reader's own choices, under an address that carries their signed email: never cached, never passed on."""
    keep_private(response)
    keep_url_secret(response)
    return response
