"""An editor composes an issue in the admin, previews it as a reader and as a member, sends a test to themselves,
schedules it in the newsroom's zone or sends it now after confirming, and follows its progress."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from outlet.common import email_preferences
from outlet.newsletters.models import NewsletterSend
from outlet.publishing.models import Article
from outlet.staff.roles import EDITOR, FINANCE
from tests.factories import ArticleFactory, MembershipFactory, UserFactory
from tests.newsletters.conftest import make_issue

pytestmark = pytest.mark.django_db


def staff(role: str, email: str) -> Client:
    user = UserFactory(username=email.split("@")[0], email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor():
    return staff(EDITOR, "tamar@example.org")


def test_an_editor_composes_an_issue_with_ordered_stories(editor, weekly):
    first, second = ArticleFactory(title="First story"), ArticleFactory(title="Second story")
    response = editor.post(
        "/admin/newsletters/newslettersend/add/",
        {
            "newsletter": weekly.pk,
            "subject": "This week",
            "introduction": "<p>Dear readers</p><script>alert(1)</script>",
            "story_rows-TOTAL_FORMS": "2",
            "story_rows-INITIAL_FORMS": "0",
            "story_rows-0-position": "2",
            "story_rows-0-article": first.pk,
            "story_rows-1-position": "1",
            "story_rows-1-article": second.pk,
            "_continue": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    send = NewsletterSend.objects.get()
    assert send.introduction == "<p>Dear readers</p>" and send.created_by.email == "tamar@example.org"
    assert [row.article.title for row in send.story_rows.all()] == ["Second story", "First story"]
    page = editor.get(response["Location"]).content.decode()
    assert "Preview as" in page and "Send a test to myself" in page and "Send now" in page


def test_the_preview_shows_each_audience_what_it_will_get(editor, weekly, supporter):
    send = make_issue(weekly, stories=[ArticleFactory(title="Locked story", access=Article.Access.MEMBERS)])
    as_reader = editor.get(f"/admin/newsletters/newslettersend/{send.pk}/preview/?as=reader").content.decode()
    as_member = editor.get(
        f"/admin/newsletters/newslettersend/{send.pk}/preview/?as=member:{supporter.pk}"
    ).content.decode()
    assert "Locked story" in as_reader and "For members" in as_reader and "Become a member" in as_reader
    assert "Locked story" in as_member and "For members" not in as_member


def test_the_test_send_goes_to_the_editor_marked_test(editor, weekly, mailoutbox):
    send = make_issue(weekly, subject="Draft")
    response = editor.post(f"/admin/newsletters/newslettersend/{send.pk}/test/", {"as": "reader"})
    assert response.status_code == 302
    [message] = mailoutbox
    assert message.to == ["tamar@example.org"] and message.subject == "[Test] Draft"
    assert NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.DRAFT


@pytest.mark.date_sensitive
def test_scheduling_takes_the_time_as_the_newsroom_reads_it(editor, weekly):
    send = make_issue(weekly)
    response = editor.post(f"/admin/newsletters/newslettersend/{send.pk}/schedule/", {"when": "2099-03-06T09:00"})
    assert response.status_code == 302
    send.refresh_from_db()
    assert send.status == NewsletterSend.Status.SCHEDULED
    assert send.scheduled_for == datetime(2099, 3, 6, 9, 0, tzinfo=ZoneInfo("Asia/Tbilisi"))
    page = editor.get(response["Location"]).content.decode()
    assert "09:00 Tbilisi time" in page
    form = editor.get(f"/admin/newsletters/newslettersend/{send.pk}/schedule/").content.decode()
    assert "Tbilisi time" in form
    past = editor.post(f"/admin/newsletters/newslettersend/{send.pk}/schedule/", {"when": "2001-01-01T09:00"})
    assert past.status_code == 200 and "Choose a moment in the future" in past.content.decode()


def test_send_now_asks_first_then_sends_and_shows_progress(
    editor, weekly, supporter, mailoutbox, django_capture_on_commit_callbacks, settings
):
    settings.NEWSLETTER_SEND_RATE = 0
    MembershipFactory(tier=supporter, user=UserFactory(email="member@example.org"))
    email_preferences.set_choice(address="reader@example.org", topic=weekly.topic, subscribed=True, source="t")
    send = make_issue(weekly)
    url = f"/admin/newsletters/newslettersend/{send.pk}/send/"
    asked = editor.get(url).content.decode()
    assert "Yes, send it now" in asked and mailoutbox == []

    with django_capture_on_commit_callbacks(execute=True):
        response = editor.post(url, {"confirmed": "yes"})
    assert response["Location"] == f"/admin/newsletters/newslettersend/{send.pk}/progress/"
    assert sorted(m.to[0] for m in mailoutbox) == ["member@example.org", "reader@example.org"]
    progress = editor.get(response["Location"]).content.decode()
    assert 'data-field="sent">2<' in progress and 'data-field="remaining">0<' in progress
    data = editor.get(f"/admin/newsletters/newslettersend/{send.pk}/progress.json").json()
    assert data == {
        "status": "sent",
        "status_text": "Sent",
        "sent": 2,
        "failed": 0,
        "skipped": 0,
        "remaining": 0,
        "total": 2,
    }
    # Sent is sent: no second send, no more editing of its stories.
    with django_capture_on_commit_callbacks(execute=True):
        editor.post(url, {"confirmed": "yes"})
    assert len(mailoutbox) == 2


def test_a_running_send_reloads_its_progress_page_without_javascript(editor, weekly):
    send = make_issue(weekly)
    NewsletterSend.objects.filter(pk=send.pk).update(status=NewsletterSend.Status.SENDING)
    page = editor.get(f"/admin/newsletters/newslettersend/{send.pk}/progress/").content.decode()
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert "newsletter_progress.js" in page


def test_finance_staff_may_not_send_newsletters(weekly):
    client = staff(FINANCE, "keti@example.org")
    send = make_issue(weekly)
    assert client.post(f"/admin/newsletters/newslettersend/{send.pk}/send/", {"confirmed": "yes"}).status_code == 403
    assert NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.DRAFT


def test_an_editor_stops_the_rest_of_an_issue_being_sent(editor, weekly, mailoutbox, settings):
    from outlet.newsletters import sending

    settings.NEWSLETTER_SEND_RATE = 0
    for n in range(3):
        email_preferences.set_choice(address=f"r{n}@example.org", topic=weekly.topic, subscribed=True, source="t")
    send = make_issue(weekly)
    NewsletterSend.objects.filter(pk=send.pk).update(status=NewsletterSend.Status.SENDING)
    progress = editor.get(f"/admin/newsletters/newslettersend/{send.pk}/progress/").content.decode()
    assert "Stop sending the rest" in progress
    response = editor.post(f"/admin/newsletters/newslettersend/{send.pk}/cancel/")
    assert response["Location"] == f"/admin/newsletters/newslettersend/{send.pk}/progress/"
    assert NewsletterSend.objects.get(pk=send.pk).status == NewsletterSend.Status.CANCELLED
    assert sending.run(send.pk, seconds=5) == sending.DONE and mailoutbox == []
