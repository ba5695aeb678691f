"""Every URL pattern Django's resolver knows, and the world tests/outlet/test_no_500_from_input.py's visitors meet in:
one of everything a pattern can point at (a story, a fundraiser with gifts and receipts, a member, a monthly gift,
a staff enrolment link, a picture), a valid value for every path parameter, and a signed-in client per visitor."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.factories import ArticleFactory, AuthorFactory, PromptFactory, UserFactory

# --- Every URL pattern, as a template with {slots} ---------------------------------------------------------


@dataclass(frozen=True)
class Pattern:
    template: str  # "/articles/{slug}/"
    slots: tuple[str, ...]


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _template(route: str) -> str:
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route)  # re_path(r"^media/(?P<path>.*)$")
    route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)  # path("articles/<slug:slug>/")
    return "/" + route.replace("^", "").replace("$", "").replace("\\", "")


def every_pattern() -> list[Pattern]:
    templates = sorted({_template(route) for route in _walk(get_resolver().url_patterns)})
    return [Pattern(template, tuple(re.findall(r"\{(\w+)\}", template))) for template in templates]


# --- The world the visitors meet ---------------------------------------------------------------------------


@dataclass
class World:
    # "{start of a template}|{slot}" (the longest start that fits wins) or "{slot}" -> a valid value
    values: dict[str, str] = field(default_factory=dict)
    clients: dict[str, Client] = field(default_factory=dict)
    fields: dict[tuple[str, str], tuple[set, set]] = field(default_factory=dict)  # names seen: (form fields, files)
    forms: dict[tuple[str, str], dict[str, str]] = field(
        default_factory=dict
    )  # (visitor, path it posts to) -> filled in
    query_names: dict[tuple[str, str], set] = field(default_factory=dict)

    def value(self, template: str, slot: str) -> str:
        fitting = [
            key
            for key in self.values
            if "|" in key and key.endswith(f"|{slot}") and template.startswith(key.split("|")[0])
        ]
        if fitting:
            return self.values[max(fitting, key=len)]
        if slot == "object_id":
            match = re.match(r"/admin/(\w+)/(\w+)/", template)
            if match:
                model = apps.get_model(match[1], match[2])
                item = model._default_manager.order_by("pk").first()
                return quote(str(item.pk), safe="") if item is not None else "1"
        return self.values.get(slot, "1")

    def valid_path(self, pattern: Pattern) -> str:
        return self.fill(pattern, {})

    def fill(self, pattern: Pattern, replaced: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: replaced.get(m[1], self.value(pattern.template, m[1])), pattern.template)


def build_world(priced_tiers, capture_on_commit, tmp_path, settings) -> World:
    from allauth.account.forms import default_token_generator
    from allauth.account.models import EmailAddress
    from allauth.account.utils import user_pk_to_url_str

    from donations import recurring
    from donations import services as donation_services
    from donations.models import DonationCheckout, RecurringDonation
    from members import services as member_services
    from members.models import MemberImport, MembershipCheckout
    from outlet.payments.providers import get_provider
    from outlet.publishing.models import MediaImage, Region, Tag
    from outlet.receipts import services as receipts
    from outlet.receipts.models import Receipt
    from outlet.staff import staff_enrolment
    from outlet.staff.roles import ADMINISTRATOR
    from tests.donations.conftest import give, make_campaign

    settings.MEDIA_ROOT = tmp_path
    author = AuthorFactory(name="Nino B.")
    article = ArticleFactory(authors=[author])
    region, tag = Region.objects.create(name="Kakheti", slug="kakheti"), Tag.objects.create(name="Water", slug="water")
    article.region = region
    article.save()
    article.tags.add(tag)
    prompt = PromptFactory()
    image = MediaImage.objects.create(file=SimpleUploadedFile("gate.gif", ONE_PIXEL_GIF), alt_text="The gate")

    def person(name: str, **extra):
        user = UserFactory(username=name, email=f"{name}@example.org", **extra)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        return user

    reader, member, donor = person("reader"), person("member"), person("donor")
    staff = person("staff", is_staff=True, is_superuser=True)
    staff.groups.add(Group.objects.get(name=ADMINISTRATOR))
    newcomer = person("newcomer", is_staff=True)  # a colleague without an authenticator app yet: an enrolment link
    enrolment = staff_enrolment.issue_enrolment_link(user=newcomer, issued_by=staff)

    checkout_url = member_services.start_membership_checkout(
        user=member, tier=priced_tiers["supporter"], interval="month", currency="GEL"
    )
    with capture_on_commit(execute=True):
        get_provider("sandbox").complete_checkout(checkout_url.rstrip("/").rsplit("/", 1)[1])
    campaign = make_campaign()
    _, left_open = donation_services.start_donation_checkout(  # a checkout nobody paid: the sandbox's page
        request=donation_services.DonationRequest(
            campaign=campaign, email=reader.email, currency="GEL", gift_minor=3500
        ),
        success_url="http://testserver/fundraisers/thanks/{reference}/",
        cancel_url="http://testserver/fundraisers/",
    )
    with capture_on_commit(execute=True):  # the sandbox's events are processed, and receipts issued, on commit
        give(campaign, email=donor.email, user_id=donor.pk)
    with capture_on_commit(execute=True):
        give(campaign, email=donor.email, user_id=donor.pk, interval="month")
    with capture_on_commit(execute=True):
        give(campaign, email="guest@example.org", interval="month")
    guest_gift = RecurringDonation.objects.get(email="guest@example.org")
    guest_receipt = Receipt.objects.filter(payment__email="guest@example.org").order_by("pk").first()
    donor_gift = RecurringDonation.objects.get(user=donor)
    donor_receipt = Receipt.objects.filter(payment__user=donor).order_by("pk").first()
    portal_url = recurring.card_portal_url(gift=guest_gift, return_url="http://testserver/")
    member_import = MemberImport.objects.create(
        filename="ghost.csv", content="id,email\n", content_sha256="0" * 64, uploaded_by=staff
    )

    world = World()
    world.values = {
        "slug": campaign.slug,
        "/articles/{slug}/|slug": article.slug,
        "/sections/|slug": article.section.slug,
        "/regions/{slug}/|slug": region.slug,
        "/topics/{slug}/|slug": tag.slug,
        "/authors/{slug}/|slug": author.slug,
        "prompt_id": str(prompt.pk),
        "/membership/welcome/{reference}/|reference": MembershipCheckout.objects.get(user=member).reference,
        "/fundraisers/thanks/{reference}/|reference": str(DonationCheckout.objects.order_by("pk").first().reference),
        "provider_id": "sandbox",
        "session_id": left_open.session_id,
        "portal_id": portal_url.rstrip("/").rsplit("/", 1)[1],
        "gift_id": str(donor_gift.pk),
        "/fundraisers/gifts/|token": recurring.manage_token(guest_gift),
        "number": donor_receipt.number,
        "year": str(timezone.localdate().year),
        "/receipts/|token": receipts.guest_token(guest_receipt),
        "/accounts/2fa/staff-enrolment/link/{token}/|token": enrolment.token,
        "uidb36": user_pk_to_url_str(reader),
        "key": default_token_generator.make_token(reader),
        "path": image.file.name,
        "id": str(reader.pk),
        "import_id": str(member_import.pk),
        "donation_id": str(donor_receipt.payment.donation.pk),
        "receipt_id": str(donor_receipt.pk),
        "content_type_id": str(ContentType.objects.get_for_model(article).pk),
        "/admin/r/{content_type_id}/{object_id}/|object_id": str(article.pk),
        "app_label": "donations",
        "url": "no-such-page/",
    }
    for name, user in (("reader", reader), ("member", member), ("donor", donor), ("staff", staff)):
        client = Client()
        client.force_login(user)  # staff: with the second factor passed (tests.staff)
        world.clients[name] = client
    world.clients["anonymous"] = Client()
    return world


ONE_PIXEL_GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,"
    b"\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
