"""Sending an issue: one Delivery row per recipient, each sent once with its one-click unsubscribe; a dead worker's
rows are taken over; what changed since the rows were made is skipped; a scheduled issue starts when due."""

from __future__ import annotations

import re
import smtplib
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.test import Client
from django.utils import timezone

from outlet.common import email_preferences
from outlet.newsletters import sending, services
from outlet.newsletters.models import Delivery, NewsletterSend
from outlet.publishing.models import Article
from tests.factories import ArticleFactory, MembershipFactory, UserFactory
from tests.newsletters.conftest import make_issue

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast(settings):
    settings.NEWSLETTER_SEND_RATE = 0  # no pacing in tests
    settings.SITE_URL = "https://ledger.example"


def sign_up(newsletter, *addresses):
    for address in addresses:
        email_preferences.set_choice(address=address, topic=newsletter.topic, subscribed=True, source="test")


def test_an_address_has_one_delivery_row_per_send(weekly):
    send = make_issue(weekly)
    Delivery.objects.create(send=send, address="nino@example.org")
    with pytest.raises(IntegrityError):
        Delivery.objects.create(send=send, address="nino@example.org")


def test_making_the_rows_again_after_a_crash_adds_only_the_missing(weekly):
    sign_up(weekly, "a@example.org", "b@example.org")
    send = make_issue(weekly)
    Delivery.objects.create(send=send, address="a@example.org")  # made before the crash
    assert sending.materialise(send) == 1
    assert sending.materialise(send) == 0
    assert sorted(Delivery.objects.values_list("address", flat=True)) == ["a@example.org", "b@example.org"]


def test_send_now_sends_each_recipient_one_email_with_a_one_click_unsubscribe(
    weekly, supporter, mailoutbox, django_capture_on_commit_callbacks
):
    sign_up(weekly, "reader@example.org", "second@example.org")
    MembershipFactory(tier=supporter, user=UserFactory(email="member@example.org"))
    send = make_issue(weekly, subject="The week in the Caucasus")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.send_now(send=send)

    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SENT and send.sent_count == 3 and send.recipients_count == 3
    assert sorted(m.to[0] for m in mailoutbox) == ["member@example.org", "reader@example.org", "second@example.org"]
    message = next(m for m in mailoutbox if m.to == ["reader@example.org"])
    assert message.subject == "The week in the Caucasus"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert link.startswith("https://ledger.example/email/unsubscribe/")
    html = message.alternatives[0][0]
    assert re.search(r"Hello from the <strong[^>]*>desk</strong>", html) and 'role="presentation"' in html
    assert "https://ledger.example/articles/" in html and "https://ledger.example/articles/" in message.body

    # The mail client's Unsubscribe button: one POST, no cookie.
    response = Client().post(link.removeprefix("https://ledger.example"), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not email_preferences.wants(address="reader@example.org", topic=weekly.topic)
    assert len(mailoutbox) == 3
    with django_capture_on_commit_callbacks(execute=True):
        services.send_now(send=send) if send.is_editable else None  # a second click starts nothing
    assert len(mailoutbox) == 3


def test_members_only_stories_are_teasers_for_readers_and_not_for_members(
    weekly, supporter, mailoutbox, django_capture_on_commit_callbacks
):
    sign_up(weekly, "reader@example.org")
    MembershipFactory(tier=supporter, user=UserFactory(email="member@example.org"))
    locked = ArticleFactory(title="The locked one", access=Article.Access.MEMBERS)
    send = make_issue(weekly, stories=[ArticleFactory(title="The open one"), locked])
    with django_capture_on_commit_callbacks(execute=True):
        services.send_now(send=send)
    by_address = {m.to[0]: m for m in mailoutbox}
    reader_text, member_text = by_address["reader@example.org"].body, by_address["member@example.org"].body
    assert "[For members] THE LOCKED ONE" in reader_text and "Become a member" in reader_text
    assert "[For members]" not in member_text and "THE LOCKED ONE" in member_text


def test_the_newsletter_is_written_in_its_own_language(weekly, mailoutbox, django_capture_on_commit_callbacks):
    weekly.language = "ka"
    weekly.save()
    sign_up(weekly, "nino@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        services.send_now(send=make_issue(weekly))
    [message] = mailoutbox
    assert 'lang="ka"' in message.alternatives[0][0]
    assert "/ka/email/unsubscribe/" in message.extra_headers["List-Unsubscribe"]


def test_a_dead_workers_rows_are_taken_over_once_its_claim_is_stale(weekly, mailoutbox, settings):
    sign_up(weekly, *(f"r{n}@example.org" for n in range(5)))
    send = make_issue(weekly)
    NewsletterSend.objects.filter(pk=send.pk).update(status=NewsletterSend.Status.SENDING)
    sending.materialise(send)
    long_ago = timezone.now() - timedelta(seconds=settings.NEWSLETTER_CLAIM_TIMEOUT + 1)
    fresh = sending.claim_batch(send.pk, worker="busy-worker", size=1)  # a live worker's claim is respected
    rows = sending.claim_batch(send.pk, worker="dead-worker", size=3, now=long_ago)
    Delivery.objects.filter(pk=rows[0].pk).update(status=Delivery.Status.SENDING)  # its in-flight message

    assert sending.run(send.pk, worker="new-worker", seconds=30) == sending.WAIT
    assert len(mailoutbox) == 4  # the dead worker's 3 and the unclaimed one; not the live worker's
    in_flight = Delivery.objects.get(pk=rows[0].pk)
    assert in_flight.status == Delivery.Status.SENT and in_flight.attempts == 2 and "Sent again" in in_flight.error
    assert Delivery.objects.get(pk=fresh[0].pk).status == Delivery.Status.CLAIMED

    Delivery.objects.filter(pk=fresh[0].pk).update(claimed_at=long_ago)  # ... and then that one died too
    assert sending.run(send.pk, worker="new-worker", seconds=30) == sending.DONE
    assert sorted(m.to[0] for m in mailoutbox) == [f"r{n}@example.org" for n in range(5)]
    assert NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.SENT


def test_who_unsubscribed_or_was_suppressed_after_the_rows_were_made_is_skipped(weekly, mailoutbox):
    sign_up(weekly, "stays@example.org", "leaves@example.org", "bounces@example.org")
    send = make_issue(weekly)
    NewsletterSend.objects.filter(pk=send.pk).update(status=NewsletterSend.Status.SENDING)
    sending.materialise(send)
    email_preferences.set_choice(address="leaves@example.org", topic=weekly.topic, subscribed=False, source="link")
    email_preferences.suppress(address="bounces@example.org", reason="bounce")
    assert sending.run(send.pk, seconds=30) == sending.DONE
    assert [m.to[0] for m in mailoutbox] == ["stays@example.org"]
    send.refresh_from_db()
    assert (send.sent_count, send.skipped_count, send.failed_count) == (1, 2, 0)


def test_a_refused_recipient_fails_and_the_others_still_go(weekly, mailoutbox, monkeypatch):
    sign_up(weekly, "a@example.org", "refused@example.org", "z@example.org")
    send = make_issue(weekly)
    NewsletterSend.objects.filter(pk=send.pk).update(status=NewsletterSend.Status.SENDING)
    from django.core.mail.backends.locmem import EmailBackend

    real = EmailBackend.send_messages

    def refuse(self, messages):
        if messages[0].to == ["refused@example.org"]:
            raise smtplib.SMTPRecipientsRefused({"refused@example.org": (550, b"No such user")})
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", refuse)
    assert sending.run(send.pk, seconds=30) == sending.DONE
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "z@example.org"]
    assert Delivery.objects.get(address="refused@example.org").status == Delivery.Status.FAILED


def test_a_scheduled_issue_starts_when_its_moment_comes(weekly, mailoutbox, django_capture_on_commit_callbacks):
    sign_up(weekly, "reader@example.org")
    send = make_issue(weekly)
    when = timezone.now() + timedelta(hours=2)
    services.schedule_send(send=send, when=when)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.dispatch_due_sends(now=when - timedelta(minutes=1)) == 0
    assert mailoutbox == [] and NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.SCHEDULED
    with django_capture_on_commit_callbacks(execute=True):
        assert services.dispatch_due_sends(now=when + timedelta(seconds=30)) == 1
    assert [m.to[0] for m in mailoutbox] == ["reader@example.org"]
    assert NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.SENT


def test_the_sweep_hands_a_stalled_issue_to_a_worker_again(weekly, mailoutbox, django_capture_on_commit_callbacks):
    sign_up(weekly, "reader@example.org")
    send = make_issue(weekly)
    long_ago = timezone.now() - timedelta(minutes=10)
    NewsletterSend.objects.filter(pk=send.pk).update(status=NewsletterSend.Status.SENDING, last_progress_at=long_ago)
    with django_capture_on_commit_callbacks(execute=True):
        services.dispatch_due_sends()
    assert [m.to[0] for m in mailoutbox] == ["reader@example.org"]


def test_the_beat_schedule_runs_the_sweep_every_minute():
    from outlet.celery import app

    entry = app.conf.beat_schedule["dispatch-due-newsletters"]
    assert entry["task"] == "outlet.newsletters.tasks.dispatch_due_sends" and entry["schedule"] == 60.0
    assert entry["task"] in app.tasks


def test_a_test_send_goes_to_the_staff_member_marked_test(weekly, mailoutbox):
    services.send_test(send=make_issue(weekly, subject="Draft issue"), to="editor@example.org")
    [message] = mailoutbox
    assert message.subject == "[Test] Draft issue" and message.to == ["editor@example.org"]


def test_forgetting_an_address_removes_its_delivery_rows(weekly):
    send = make_issue(weekly)
    Delivery.objects.create(send=send, address="gone@example.org")
    Delivery.objects.create(send=send, address="stays@example.org")
    assert services.forget_address("Gone@Example.org") == 1
    assert list(Delivery.objects.values_list("address", flat=True)) == ["stays@example.org"]


def test_the_pacer_spaces_sends_evenly():
    now, slept = [0.0], []

    def sleep(seconds):
        slept.append(round(seconds, 3))
        now[0] += seconds

    pacer = sending.Pacer(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(5):
        pacer.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_while_one_worker_makes_the_rows_another_waits_instead_of_finishing_a_half_made_issue(real_postgres, weekly):
    """Two tasks of one issue start together: the second must not see part of the audience, send it and mark the
    issue sent while the first is still adding rows."""
    import threading

    from django.db import connection

    sign_up(weekly, "a@example.org", "b@example.org")
    send = make_issue(weekly)
    NewsletterSend.objects.filter(pk=send.pk).update(status=NewsletterSend.Status.SENDING)
    holding, release = threading.Event(), threading.Event()

    def first_worker():
        from django.db import transaction

        with transaction.atomic():  # as materialise does: the issue's row held while rows are added
            NewsletterSend.objects.select_for_update().get(pk=send.pk)
            holding.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    holding.wait(10)
    try:
        assert sending.run(send.pk, worker="second", seconds=5) == sending.WAIT
        assert NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.SENDING
    finally:
        release.set()
        thread.join()
    assert sending.run(send.pk, worker="second", seconds=30) == sending.DONE
    assert NewsletterSend.objects.get(pk=send.pk).sent_count == 2


def test_a_storys_photo_goes_in_with_its_description_and_an_absolute_address(weekly, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from outlet.newsletters import rendering
    from tests.staff.test_permission_matrix import ONE_PIXEL_GIF

    settings.MEDIA_ROOT = tmp_path
    article = ArticleFactory(hero_alt="Miners at the gate at dawn", hero_caption="The morning shift.")
    article.hero_image.save("gate.gif", SimpleUploadedFile("gate.gif", ONE_PIXEL_GIF))
    parts = rendering.render_parts(make_issue(weekly, stories=[article]), "reader")
    assert 'alt="Miners at the gate at dawn"' in parts.stories_html
    assert 'src="https://ledger.example/media/articles/' in parts.stories_html
    assert "The morning shift." in parts.stories_html
    assert f'href="https://ledger.example{article.get_absolute_url()}"' in parts.stories_html


def test_when_the_mail_server_goes_away_the_rest_of_the_batch_waits_for_the_next_try(weekly, mailoutbox, monkeypatch):
    from django.core.mail.backends.locmem import EmailBackend

    from outlet.newsletters import tasks

    sign_up(weekly, "a@example.org", "b@example.org", "c@example.org")
    send = make_issue(weekly)
    NewsletterSend.objects.filter(pk=send.pk).update(status=NewsletterSend.Status.SENDING)
    real = EmailBackend.send_messages

    def drop_at_b(self, messages):
        if messages[0].to == ["b@example.org"]:
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        return real(self, messages)

    monkeypatch.setattr(EmailBackend, "send_messages", drop_at_b)
    retried = []
    monkeypatch.setattr(tasks.send_newsletter, "apply_async", lambda **kwargs: retried.append(kwargs))
    assert tasks.send_newsletter(send.pk) == "retry" and retried[0]["countdown"] == 30
    assert [m.to[0] for m in mailoutbox] == ["a@example.org"]
    rows = dict(Delivery.objects.values_list("address", "status"))
    assert rows == {"a@example.org": "sent", "b@example.org": "pending", "c@example.org": "pending"}

    monkeypatch.setattr(EmailBackend, "send_messages", real)
    assert sending.run(send.pk, seconds=30) == sending.DONE
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.org", "b@example.org", "c@example.org"]
