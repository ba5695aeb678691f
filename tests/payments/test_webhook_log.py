"""Finance staff read the provider's events in the admin: a list that never loads payloads, filters, each event's
payload pretty-printed (and escaped) with its error, and a confirmed "process again" that is safe: an applied event
changes nothing, a failed one is applied."""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from donations import services as donation_services
from donations.models import AllocationEntry, CampaignTotal, Donation
from outlet.payments.models import WebhookEvent
from outlet.receipts.models import Receipt
from tests.donations.conftest import give, make_campaign
from tests.donations.factories_gift_admin import staff_with

pytestmark = pytest.mark.django_db(transaction=True)

LOG = "/admin/payments/webhookevent/"
FINANCE_LOG = ("payments.view_webhookevent", "payments.reprocess_webhookevent")


@pytest.fixture
def campaign(db):
    return make_campaign()


def stored_event(**fields) -> WebhookEvent:
    defaults = {
        "provider": "sandbox",
        "event_id": "evt_1",
        "type": "payment.succeeded",
        "created_at_provider": timezone.now(),
        "payload": {"id": "evt_1", "data": {"amount": 5000}},
        "status": WebhookEvent.Status.PROCESSED,
    }
    return WebhookEvent.objects.create(**(defaults | fields))


def reprocess(client, events, *, confirmed: bool):
    data = {"action": "reprocess", "_selected_action": [event.pk for event in events]}
    return client.post(LOG, data | ({"confirmed": "yes"} if confirmed else {}), follow=confirmed)


def test_the_list_shows_events_with_their_errors_and_never_reads_payloads():
    stored_event(event_id="evt_ok")
    stored_event(
        event_id="evt_bad",
        type="charge.refunded",
        status=WebhookEvent.Status.FAILED,
        last_error="KeyError: 'amount'\nTraceback line two",
    )
    _, client = staff_with(*FINANCE_LOG)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(LOG).content.decode()
    assert "evt_ok" in html and "evt_bad" in html and "KeyError: &#x27;amount&#x27;" in html
    assert "Traceback line two" not in html, "the list shows the error's first line only"
    whole_payload = re.compile(
        r'"payments_webhookevent"\."payload"\s*(,\s*"|FROM)'
    )  # the column itself, not a key of it
    assert not any(whole_payload.search(query["sql"]) for query in queries.captured_queries)


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("status__exact=failed", "evt_bad", "evt_ok"),
        ("type=charge.refunded", "evt_bad", "evt_ok"),
        ("provider=stripe", "evt_stripe", "evt_ok"),
        ("via__exact=reconciliation", "evt_stripe", "evt_bad"),
        ("q=evt_bad", "evt_bad", "evt_ok"),
    ],
)
def test_staff_filter_the_log_by_status_type_provider_and_via(query, shown, hidden):
    stored_event(event_id="evt_ok")
    stored_event(event_id="evt_bad", type="charge.refunded", status=WebhookEvent.Status.FAILED, last_error="boom")
    stored_event(event_id="evt_stripe", provider="stripe", type="invoice.paid", via="reconciliation")
    _, client = staff_with(*FINANCE_LOG)
    html = client.get(f"{LOG}?{query}").content.decode()
    assert shown in html and hidden not in html


def test_an_events_page_shows_its_payload_pretty_printed_and_escaped_and_its_error():
    event = stored_event(
        event_id="evt_xss",
        status=WebhookEvent.Status.FAILED,
        last_error="ValueError: <b>bad</b> amount",
        payload={"id": "evt_xss", "data": {"name": "<script>alert(1)</script>", "city": "თბილისი"}},
    )
    _, client = staff_with(*FINANCE_LOG)
    html = client.get(f"{LOG}{event.pk}/change/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "\n    &quot;name&quot;: &quot;&lt;script&gt;" in html, "nested keys are indented, one per line"
    assert "თბილისი" in html
    assert "ValueError: &lt;b&gt;bad&lt;/b&gt; amount" in html


def test_reprocessing_asks_for_confirmation_first(campaign):
    give(campaign)
    event = WebhookEvent.objects.get(type="payment.succeeded")
    _, client = staff_with(*FINANCE_LOG)
    page = reprocess(client, [event], confirmed=False)
    assert page.status_code == 200 and "Process 1 event again?" in page.content.decode()
    assert "payment.succeeded · Donation · Processed" in page.content.decode()
    event.refresh_from_db()
    assert event.attempts == 1 and not LogEntry.objects.exists()


def test_reprocessing_an_applied_event_changes_nothing(campaign, mailoutbox):
    give(campaign, gift_minor=5000)
    applied = list(WebhookEvent.objects.all())
    before = (
        Donation.objects.count(),
        AllocationEntry.objects.count(),
        Receipt.objects.count(),
        len(mailoutbox),
        list(CampaignTotal.objects.values_list("raised_minor", "donations")),
    )
    user, client = staff_with(*FINANCE_LOG)
    done = reprocess(client, applied, confirmed=True)
    assert f"Queued {len(applied)} event(s)" in done.content.decode()
    after = (
        Donation.objects.count(),
        AllocationEntry.objects.count(),
        Receipt.objects.count(),
        len(mailoutbox),
        list(CampaignTotal.objects.values_list("raised_minor", "donations")),
    )
    assert after == before
    for event in WebhookEvent.objects.all():
        assert event.status in (
            WebhookEvent.Status.PROCESSED,
            WebhookEvent.Status.IGNORED,
            WebhookEvent.Status.NOT_OURS,
        )
        assert event.attempts == 2
    assert LogEntry.objects.filter(user=user).count() == len(applied)


def test_a_failed_event_is_applied_when_processed_again(campaign, monkeypatch):
    real = donation_services.record_donation

    def broken(**kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(donation_services, "record_donation", broken)
    give(campaign, gift_minor=5000)
    failed = WebhookEvent.objects.get(type="payment.succeeded")
    assert failed.status == WebhookEvent.Status.FAILED and not Donation.objects.exists()
    _, client = staff_with(*FINANCE_LOG)
    assert "RuntimeError: database hiccup" in client.get(f"{LOG}{failed.pk}/change/").content.decode()

    monkeypatch.setattr(donation_services, "record_donation", real)
    reprocess(client, [failed], confirmed=True)
    failed.refresh_from_db()
    assert failed.status == WebhookEvent.Status.PROCESSED and failed.last_error == ""
    assert Donation.objects.get().amount_minor == 5000
    assert CampaignTotal.objects.get(currency="GEL").raised_minor == 5000


def test_without_the_reprocess_permission_the_action_is_not_offered_and_not_run(campaign):
    give(campaign)
    event = WebhookEvent.objects.get(type="payment.succeeded")
    _, client = staff_with("payments.view_webhookevent", username="reader")
    assert 'value="reprocess"' not in client.get(LOG).content.decode()
    reprocess(client, [event], confirmed=True)
    event.refresh_from_db()
    assert event.attempts == 1 and not LogEntry.objects.exists()
    _, nobody = staff_with("donations.view_donation", username="nobody")
    assert nobody.get(LOG).status_code == 403


def test_the_newest_events_come_first_and_a_long_log_is_not_counted_to_the_end(monkeypatch):
    from outlet.payments.admin import EventPaginator

    for n in range(3):
        stored_event(event_id=f"evt_{n}")
    _, client = staff_with(*FINANCE_LOG)
    html = client.get(LOG).content.decode()
    assert html.index("evt_2") < html.index("evt_1") < html.index("evt_0")
    assert "3 webhook events" in html
    monkeypatch.setattr(EventPaginator, "cap", 2)
    assert "More than 2 events" in client.get(LOG).content.decode()


def test_staff_find_payments_by_provider_id_subscription_or_email(campaign):
    from outlet.payments.models import Payment

    give(campaign, email="Nino@Example.org", gift_minor=5000)
    give(campaign, email="tamar@example.org", gift_minor=2000, interval="month")
    nino, tamar = Payment.objects.get(email__iexact="nino@example.org"), Payment.objects.get(email="tamar@example.org")
    # Finance: may see gifts, and their donors unmasked (outlet/privacy/admin_private_lists.py)
    _, client = staff_with(
        "payments.view_payment", "donations.view_donation", "privacy.see_private_donors", username="finance"
    )

    def found(term: str) -> set[str]:
        html = client.get(f"/admin/payments/payment/?q={term}").content.decode()
        return {
            payment.email for payment in (nino, tamar) if f'<td class="field-payer_email">{payment.email}</td>' in html
        }

    assert found("") == {nino.email, "tamar@example.org"}
    assert found(nino.provider_ref) == {nino.email}
    assert found(tamar.subscription_id) == {"tamar@example.org"}
    assert found("NINO@example.org") == {nino.email}
    assert found("sbx_ch_nothing0000") == set()


# --- Whose event it is --------------------------------------------------------------------------------------


def listed_row(client, event_id: str) -> str:
    html = client.get(LOG).content.decode()
    return next(row for row in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if event_id in row)


def test_our_own_declined_membership_checkout_is_labelled_membership_not_not_ours(priced_tiers):
    """Stripe (and the sandbox) put no metadata on a subscription checkout's declined payment, so no product acts on
    it and processing records NOT_OURS; the log still names its real owner, from the checkout session it names."""
    from django.test import Client

    from tests.factories import UserFactory
    from tests.members import sandbox_journey as journey

    reader = Client()
    reader.force_login(UserFactory(username="ana", email="ana@example.org"))
    journey.pay(reader, journey.join(reader)["Location"], choice="decline")
    declined = WebhookEvent.objects.get(type="payment.failed")
    assert declined.status == WebhookEvent.Status.NOT_OURS, "how the event is processed does not change"

    _, client = staff_with(*FINANCE_LOG)
    row = listed_row(client, declined.event_id)
    assert '<td class="field-owner">Membership</td>' in row and "Nothing to change" in row
    assert "Not ours" not in row
    page = client.get(f"{LOG}{declined.pk}/change/").content.decode()
    assert "Membership: our marker on the checkout session it names" in page


def test_a_declined_monthly_gift_is_labelled_donation(campaign):
    from django.test import Client

    from donations import services

    _, redirect = services.start_donation_checkout(
        request=services.DonationRequest(
            campaign=campaign, email="giver@example.org", currency="GEL", gift_minor=2000, interval="month"
        ),
        success_url="http://testserver/thanks/{reference}/",
        cancel_url="http://testserver/give/",
    )
    Client().post(redirect.url, {"choice": "decline"})
    declined = WebhookEvent.objects.get(type="payment.failed")
    _, client = staff_with(*FINANCE_LOG)
    assert '<td class="field-owner">Donation</td>' in listed_row(client, declined.event_id)


def test_every_event_of_a_gift_is_labelled_donation_and_an_event_naming_nothing_of_ours_is_not_ours(campaign):
    give(campaign)
    stored_event(
        event_id="evt_shop",
        type="customer.subscription.created",
        status=WebhookEvent.Status.NOT_OURS,
        payload={
            "id": "evt_shop",
            "data": {"object": {"id": "sub_shop1", "customer": "cus_shop1", "metadata": {"app": "shop"}}},
        },
    )
    _, client = staff_with(*FINANCE_LOG)
    for event in WebhookEvent.objects.exclude(event_id="evt_shop"):
        assert '<td class="field-owner">Donation</td>' in listed_row(client, event.event_id), event.type
    foreign = listed_row(client, "evt_shop")
    assert (
        '<td class="field-owner">Not ours</td>' in foreign
        and "Not ours (another product on the same account)" in foreign
    )


def test_a_refund_without_our_metadata_is_labelled_by_the_payment_we_recorded(campaign):
    from outlet.payments.models import Payment

    give(campaign)
    payment = Payment.objects.get()
    stored_event(
        event_id="evt_refund",
        type="charge.refunded",
        status=WebhookEvent.Status.FAILED,
        payload={"id": "evt_refund", "data": {"object": {"id": payment.provider_ref, "metadata": {}}}},
    )
    stored_event(
        event_id="evt_reader",
        type="payment.failed",
        status=WebhookEvent.Status.NOT_OURS,
        payload={"id": "evt_reader", "data": {"object": {"id": "pi_x1", "customer": "cus_reader1", "metadata": {}}}},
    )
    from outlet.payments.models import ProviderCustomer
    from tests.factories import UserFactory

    ProviderCustomer.objects.create(provider="sandbox", customer_id="cus_reader1", user=UserFactory(username="reader1"))
    _, client = staff_with(*FINANCE_LOG)
    assert '<td class="field-owner">Donation</td>' in listed_row(client, "evt_refund")
    assert "A reader&#x27;s payment (no product named)" in listed_row(client, "evt_reader")


def test_the_owner_column_costs_the_same_queries_for_one_page_of_few_or_many_unlabelled_events():
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(LOG).status_code == 200
        return len(queries.captured_queries)

    _, client = staff_with(*FINANCE_LOG)
    stored_event(
        event_id="evt_a",
        payload={"id": "evt_a", "data": {"object": {"id": "pi_a1", "customer": "cus_a1"}}},
        status=WebhookEvent.Status.NOT_OURS,
    )
    client.get(LOG)  # the filters' choices are cached on the first view
    few = page_queries()
    for n in range(8):
        stored_event(
            event_id=f"evt_b{n}",
            payload={"id": f"evt_b{n}", "data": {"object": {"id": f"pi_b{n}", "customer": f"cus_b{n}"}}},
            status=WebhookEvent.Status.NOT_OURS,
        )
    assert page_queries() == few
