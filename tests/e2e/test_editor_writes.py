"""An editor writes a story in the admin's rich-text editor, with a picture from the media library, publishes it, and
readers see it formatted; a story cannot go out without text."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth.models import Group
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from outlet.publishing.models import EMPTY_BODY_MESSAGE, Article, MediaImage
from outlet.staff.roles import EDITOR
from tests.e2e import click_that_closes_its_window
from tests.factories import SectionFactory, UserFactory
from tests.staff import give_authenticator_app, sign_in_staff_in_browser

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_editor_writes_and_publishes_with_the_rich_text_editor(page, live_server):
    SectionFactory(name="Society", slug="society")
    desk = UserFactory(username="desk", email="desk@example.org", is_staff=True, is_superuser=True)
    EmailAddress.objects.create(user=desk, email=desk.email, verified=True, primary=True)

    # Staff sign in with email, password and an authenticator code (outlet/staff/admin_site.py).
    sign_in_staff_in_browser(
        page, live_server.url, desk, give_authenticator_app(desk), next_path="/admin/outlet/article/add/"
    )

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


# --- Pictures from the media library, and a story that cannot go out empty -------------------------------------

PICTURE_ALT = "Miners at the gate of the Chiatura plant at dawn"
SCREENSHOTS = os.environ.get("OUTLET_SCREENSHOTS", "")


def a_photo() -> bytes:
    """A 1600 × 900 JPEG with some shapes in it, so a screenshot shows where the picture sits."""
    photo = Image.new("RGB", (1600, 900), (196, 170, 130))
    drawing = ImageDraw.Draw(photo)
    drawing.rectangle((0, 560, 1600, 900), fill=(90, 80, 70))
    drawing.ellipse((1150, 90, 1400, 340), fill=(240, 220, 160))
    buffer = io.BytesIO()
    photo.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def editor_in_browser(page, live_server, *, next_path: str):
    desk = UserFactory(username="newsdesk", email="newsdesk@example.org", is_staff=True)
    desk.groups.add(Group.objects.get(name=EDITOR))  # the Editor role alone, no superuser
    EmailAddress.objects.create(user=desk, email=desk.email, verified=True, primary=True)
    sign_in_staff_in_browser(page, live_server.url, desk, give_authenticator_app(desk), next_path=next_path)


@pytest.fixture
def library_files():
    """The live server serves uploads from the configured MEDIA_ROOT: remove what the test uploaded there."""
    yield
    for picture in MediaImage.objects.all():
        picture.file.delete(save=False)


def test_an_editor_puts_a_library_picture_in_a_story(page, live_server, library_files):
    SectionFactory(name="Economy", slug="economy")
    editor_in_browser(page, live_server, next_path="/admin/outlet/mediaimage/add/")

    # Upload once to the media library, with the description readers who cannot see it will hear.
    page.set_input_files("#id_file", files=[{"name": "miners.jpg", "mimeType": "image/jpeg", "buffer": a_photo()}])
    page.fill("#id_alt_text", PICTURE_ALT)
    page.fill("#id_caption", "The morning shift.")
    page.fill("#id_credit", "Photo: Nino K.")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator("img.library-thumb")).to_have_count(1)

    # Write the story and put the picture in it from the editor: picture button, Browse…, Insert.
    page.goto(live_server.url + "/admin/outlet/article/add/")
    page.fill("#id_title", "The mine town wakes up")
    editor = page.locator("div.prose-editor > .ProseMirror")
    editor.click()
    page.keyboard.type("The first shift starts before the sun is up.")
    page.keyboard.press("Enter")
    page.keyboard.type("By seven the square is full.")
    editor.locator("p").first.click()
    page.keyboard.press("End")
    page.locator('.prose-menubar__button[title="figure"]').click()
    dialog = page.locator("dialog.prose-editor-dialog")
    with page.expect_popup() as opened:
        dialog.get_by_role("button", name="Browse...").click()
    picker = opened.value
    picker.wait_for_load_state()
    expect(picker.locator("h1")).to_have_text("Choose a picture for the story")
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        picker.screenshot(path=f"{SCREENSHOTS}/media-library-picker.png")
    click_that_closes_its_window(picker, picker.locator(f'[data-library-pick][data-alt="{PICTURE_ALT}"]'))
    expect(dialog.locator("input[name=altText]")).to_have_value(PICTURE_ALT)
    expect(dialog.locator("input[name=caption]")).to_have_value("The morning shift. Photo: Nino K.")
    dialog.get_by_role("button", name="Insert").click()
    expect(editor.locator("figure img")).to_have_attribute("alt", PICTURE_ALT)
    if SCREENSHOTS:
        page.screenshot(path=f"{SCREENSHOTS}/story-editor-with-picture.png")

    page.select_option("#id_section", label="Economy")
    page.select_option("#id_status", "published")
    page.fill("#id_published_at_0", "2026-01-05")
    page.fill("#id_published_at_1", "08:00:00")
    page.locator("input[name=_save]").first.click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    article = Article.objects.get(slug="the-mine-town-wakes-up")
    picture = MediaImage.objects.get()
    assert f'src="{picture.file.url}" alt="{PICTURE_ALT}" width="1600" height="900"' in article.body
    assert article.body.index("before the sun") < article.body.index("<figure") < article.body.index("By seven")

    # Readers see it with its description, caption and credit, at any width, with no sideways scroll.
    for width in (375, 1280):
        reader = page.context.browser.new_page(viewport={"width": width, "height": 812 if width < 600 else 900})
        reader.goto(live_server.url + article.get_absolute_url())
        shown = reader.locator(".story__body figure img")
        expect(shown).to_have_attribute("alt", PICTURE_ALT)
        expect(shown).to_have_attribute("loading", "lazy")
        expect(reader.locator(".story__body figcaption")).to_have_text("The morning shift. Photo: Nino K.")
        shown.scroll_into_view_if_needed()
        reader.wait_for_function("img => img.complete && img.naturalWidth === 1600", arg=shown.element_handle())
        box = shown.bounding_box()
        assert box["width"] <= width and abs(box["height"] / box["width"] - 900 / 1600) < 0.01
        assert reader.evaluate("document.documentElement.scrollWidth") <= width
        if SCREENSHOTS:
            reader.screenshot(path=f"{SCREENSHOTS}/story-with-picture-{width}.png", full_page=True)
        reader.close()


def test_a_published_story_with_an_empty_body_is_refused_in_the_browser(page, live_server):
    SectionFactory(name="Society", slug="society")
    editor_in_browser(page, live_server, next_path="/admin/outlet/article/add/")

    page.fill("#id_title", "Headline first, story later")
    page.fill("#id_dek", "The standfirst is already written.")
    expect(page.locator("div.prose-editor > .ProseMirror")).to_be_visible()
    page.select_option("#id_section", label="Society")
    page.select_option("#id_status", "published")
    page.fill("#id_published_at_0", "2026-01-05")
    page.fill("#id_published_at_1", "08:00:00")
    page.locator("input[name=_save]").first.click()

    expect(page.locator(".field-body .errorlist")).to_have_text(EMPTY_BODY_MESSAGE)
    expect(page.locator("#id_title")).to_have_value("Headline first, story later")
    expect(page.locator("#id_dek")).to_have_value("The standfirst is already written.")
    expect(page.locator("#id_status")).to_have_value("published")
    assert not Article.objects.exists()

    # As a draft it saves, empty, to be written later.
    page.select_option("#id_status", "draft")
    page.fill("#id_published_at_0", "")
    page.fill("#id_published_at_1", "")
    page.locator("input[name=_save]").first.click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    assert Article.objects.get().body == ""
