"""An editor writes a story in the admin's rich-text editor, publishes it, and readers see it formatted."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from allauth.account.models import EmailAddress

from outlet.models import Article
from tests.factories import SectionFactory, UserFactory
from tests.staff import give_authenticator_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_editor_writes_and_publishes_with_the_rich_text_editor(page, live_server):
    SectionFactory(name="Society", slug="society")
    desk = UserFactory(username="desk", email="desk@example.org", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=desk, email=desk.email, verified=True, primary=True)

    # Staff sign in with email, password and an authenticator code (outlet/admin_site.py).
    sign_in_staff_in_browser(page, live_server.url, desk, give_authenticator_app(desk), next_path="/admin/outlet/article/add/")

    page.fill("#id_title", "Night buses return to the valley")
    editor = page.locator("div.prose-editor > .ProseMirror")
    expect(editor).to_be_visible()
    editor.click()
    page.keyboard.type("The first bus left at midnight. ")
    page.keyboard.press("Control+b")
    page.keyboard.type("Nobody expected it.")
    page.keyboard.press("Control+b")
    page.keyboard.press("Enter")
    page.keyboard.type("Drivers say the route will stay.")
    page.select_option("#id_section", label="Society")
    page.select_option("#id_status", "published")
    page.fill("#id_published_at_0", "2026-01-05")
    page.fill("#id_published_at_1", "08:00:00")
    page.locator("input[name=_save]").first.click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    article = Article.objects.get(slug="night-buses-return-to-the-valley")
    assert "<strong>Nobody expected it.</strong>" in article.body
    assert article.body.count("<p>") == 2

    reader = page.context.browser.new_page()
    reader.goto(live_server.url + article.get_absolute_url())
    expect(reader.locator(".story__body strong")).to_have_text("Nobody expected it.")
    reader.close()
