"""Staff upload a picture to the media library once, with its description, and place it in any story from the editor;
the story page shows it with that description, its caption and credit, lazily and at its real size."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from outlet.publishing.models import Article, MediaImage
from outlet.staff.roles import EDITOR, FINANCE, MEMBERSHIP_MANAGER
from tests.factories import ArticleFactory, AuthorFactory, SectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def jpeg(name: str = "miners.jpg", size: tuple[int, int] = (1600, 900)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def picture(**fields) -> MediaImage:
    return MediaImage.objects.create(
        **(
            {
                "file": jpeg(),
                "alt_text": "Miners at the gate of the plant at dawn",
                "caption": "The morning shift in Chiatura.",
                "credit": "Photo: Nino K.",
            }
            | fields
        )
    )


def staff(role: str, username: str = "desk") -> tuple[object, Client]:
    user = UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    client = Client()
    client.force_login(user)  # with the second factor (tests.staff)
    return user, client


@pytest.fixture
def editor() -> Client:
    return staff(EDITOR)[1]


def figure(item: MediaImage, *, alt: str | None = None, src: str | None = None) -> str:
    return (
        f'<figure class="figure"><img src="{src or item.file.url}" alt="{item.alt_text if alt is None else alt}" '
        f'data-file="{item.pk}"><figcaption class="figure-caption">{item.caption_with_credit()}</figcaption>'
        "</figure>"
    )


def article_form(body: str, **changes) -> dict:
    form = {
        "title": "The mine town",
        "slug": "the-mine-town",
        "body": body,
        "section": SectionFactory().pk,
        "status": "published",
        "published_at_0": "2026-01-05",
        "published_at_1": "08:00:00",
        "access": "public",
        "language": "en",  # the form's language menu, as a browser posts it
        "bylines-TOTAL_FORMS": "1",
        "bylines-INITIAL_FORMS": "0",
        "bylines-0-author": AuthorFactory().pk,
        "bylines-0-role": "author",
        "bylines-0-position": "0",
    }
    return form | changes


# --- The library ----------------------------------------------------------------------------------------------


def test_an_editor_uploads_a_picture_with_its_description():
    user, client = staff(EDITOR)
    response = client.post(
        "/admin/outlet/mediaimage/add/",
        {
            "file": jpeg(),
            "alt_text": "Miners at the gate",
            "caption": "The morning shift.",
            "credit": "Photo: Nino K.",
        },
    )

    assert response.status_code == 302
    saved = MediaImage.objects.get()
    assert (saved.alt_text, saved.uploaded_by, saved.width, saved.height) == ("Miners at the gate", user, 1600, 900)
    assert saved.file.name.startswith("library/")
    assert str(saved) == "Miners at the gate"


def test_a_picture_without_a_description_is_refused(editor):
    response = editor.post("/admin/outlet/mediaimage/add/", {"file": jpeg(), "alt_text": "  "})

    assert response.status_code == 200
    assert "alt_text" in response.context["adminform"].form.errors
    assert not MediaImage.objects.exists()


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile(
            "drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', content_type="image/svg+xml"
        ),
        SimpleUploadedFile("notes.jpg", b"not a picture at all", content_type="image/jpeg"),
    ],
)
def test_only_real_pictures_in_web_formats_are_accepted(editor, upload):
    response = editor.post("/admin/outlet/mediaimage/add/", {"file": upload, "alt_text": "Something"})

    assert response.status_code == 200
    assert "file" in response.context["adminform"].form.errors
    assert not MediaImage.objects.exists()


def test_the_library_lists_thumbnails_and_finds_a_picture_by_its_words(editor):
    picture(alt_text="Miners at the gate", credit="Photo: Nino K.")
    picture(alt_text="A bus at midnight", caption="Night route", credit="Photo: Levan")

    page = editor.get("/admin/outlet/mediaimage/", {"q": "Nino"}).content.decode()

    assert "Miners at the gate" in page and "A bus at midnight" not in page
    thumbnail = re.search(
        r'<img src="/media/library/[^"]+" alt="" width="(\d+)" height="(\d+)" class="library-thumb"', page
    )
    assert thumbnail and (int(thumbnail[1]), int(thumbnail[2])) == (120, 68)  # 1600 × 900 into 120 × 80


def test_from_the_story_editor_the_library_opens_as_a_picker(editor):
    item = picture()

    response = editor.get("/admin/outlet/mediaimage/", {"CKEditorFuncNum": "-1"})

    assert response.status_code == 200  # the callback number is not taken for a filter
    page = response.content.decode()
    assert "Choose a picture for the story" in page
    assert (
        f'data-src="{item.file.url}" data-id="{item.pk}" data-alt="Miners at the gate of the plant at dawn" '
        'data-caption="The morning shift in Chiatura. Photo: Nino K."'
    ) in page
    assert 'name="CKEditorFuncNum" value="-1"' in page  # searching keeps the list a picker
    assert response.context["action_form"] is None  # no bulk delete in the picker
    assert "admin_extra/media_picker.js" in page


def test_a_picture_uploaded_from_the_picker_leads_back_to_the_picker(editor):
    picker = editor.get("/admin/outlet/mediaimage/", {"CKEditorFuncNum": "-2"}).content.decode()
    add_link = re.search(r'href="(/admin/outlet/mediaimage/add/\?[^"]+)"', picker)[1].replace("&amp;", "&")

    response = editor.post(add_link, {"file": jpeg(), "alt_text": "A bus at midnight"})

    assert response.status_code == 302
    assert response["Location"] == "/admin/outlet/mediaimage/?CKEditorFuncNum=-2"


def test_a_picture_a_story_shows_cannot_be_deleted(editor):
    shown, unused = picture(), picture(alt_text="Spare")
    story = ArticleFactory(title="The mine town", body="<p>Words.</p>" + figure(shown))

    delete_page = editor.get(f"/admin/outlet/mediaimage/{shown.pk}/delete/").content.decode()
    editor.post(f"/admin/outlet/mediaimage/{shown.pk}/delete/", {"post": "yes"})
    editor.post(f"/admin/outlet/mediaimage/{unused.pk}/delete/", {"post": "yes"})

    assert "Cannot delete" in delete_page and "The mine town" in delete_page
    assert list(MediaImage.objects.all()) == [shown]
    change_page = editor.get(f"/admin/outlet/mediaimage/{shown.pk}/change/").content.decode()
    assert f'href="/admin/outlet/article/{story.pk}/change/">The mine town</a>' in change_page  # "Used in"


@pytest.mark.parametrize("role", [MEMBERSHIP_MANAGER, FINANCE])
def test_the_revenue_team_has_no_media_library(role):
    picture()
    _, client = staff(role, username=role.lower().replace(" ", "-"))
    assert client.get("/admin/outlet/mediaimage/").status_code == 403
    assert client.get("/admin/outlet/mediaimage/", {"CKEditorFuncNum": "-1"}).status_code == 403
    assert client.get("/admin/outlet/mediaimage/add/").status_code == 403


# --- Pictures in stories ------------------------------------------------------------------------------------------


def test_the_story_editor_offers_pictures_from_the_library(editor):
    page = editor.get("/admin/outlet/article/add/").content.decode()
    assert "&quot;Figure&quot;:{&quot;pickerUrl&quot;:&quot;/admin/outlet/mediaimage/&quot;}" in page


def test_a_story_shows_a_library_picture_with_its_description_size_and_caption(editor):
    item = picture()

    response = editor.post("/admin/outlet/article/add/", article_form("<p>Dawn in Chiatura.</p>" + figure(item)))

    assert response.status_code == 302, response.context["adminform"].form.errors
    body = Article.objects.get().body
    assert 'width="1600" height="900"' in body  # from the library: the page keeps the picture's place
    page = Client().get(Article.objects.get().get_absolute_url()).content.decode()
    shown = re.search(
        r'<figure class="figure"><img ([^>]+)><figcaption class="figure-caption">([^<]+)</figcaption>', page
    )
    assert shown, page
    assert (
        f'src="{item.file.url}" alt="Miners at the gate of the plant at dawn" width="1600" height="900" '
        'loading="lazy" decoding="async"'
    ) in shown[1]
    assert shown[2] == "The morning shift in Chiatura. Photo: Nino K."


@pytest.mark.parametrize(
    "src",
    [
        "https://elsewhere.example/photo.jpg",
        "/static/img/logo.png",
        "/media/authors/someone.jpg",
        "data:image/png;base64,iVBORw0KGgo=",
    ],
)
def test_a_picture_from_anywhere_else_is_refused_with_a_message(editor, src):
    item = picture()

    response = editor.post("/admin/outlet/article/add/", article_form("<p>Words.</p>" + figure(item, src=src)))

    assert response.status_code == 200
    [problem] = response.context["adminform"].form.errors["body"]
    assert problem.startswith("A picture in the story is not from the media library")
    assert "Browse…" in problem
    assert not Article.objects.exists()


def test_a_library_picture_without_its_description_is_refused_with_a_message(editor):
    item = picture()

    response = editor.post("/admin/outlet/article/add/", article_form("<p>Words.</p>" + figure(item, alt=" ")))

    assert response.context["adminform"].form.errors["body"] == [
        "The picture “Miners at the gate of the plant at dawn” has no description: click it, press the picture "
        "button and fill in “Alternative Text”."
    ]
    assert not Article.objects.exists()


def test_a_picture_deleted_from_the_library_meanwhile_is_refused(editor):
    item = picture()
    body = "<p>Words.</p>" + figure(item)
    item.delete()

    response = editor.post("/admin/outlet/article/add/", article_form(body))

    assert "no longer in the media library" in response.context["adminform"].form.errors["body"][0]


def test_a_library_picture_alone_is_no_story(editor):
    response = editor.post("/admin/outlet/article/add/", article_form(figure(picture())))

    assert response.context["adminform"].form.errors["body"] == [
        "A published or scheduled story needs its text: write the story here, or set the status to Draft to save it "
        "unfinished."
    ]
