"""Uploads served by the app (SERVE_MEDIA): a real file is served; a path no file can have is a 404, not the
OSError the file system raises (a name longer than it allows), and a path out of the folder is refused."""

from __future__ import annotations

import pytest
from django.test import Client

from outlet.publishing.media_views import serve_media

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "library").mkdir()
    (tmp_path / "library" / "gate.txt").write_text("a picture, say")
    return tmp_path


def test_a_real_upload_is_served(media):
    response = Client().get("/media/library/gate.txt")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"a picture, say"


@pytest.mark.parametrize(
    "path",
    [
        "a" * 3000,  # OSError: File name too long (a 500 before)
        "library/" + "b" * 300,  # one name over 255 bytes
        "/".join(["c" * 200] * 30),  # every name fits, the whole path does not
        "ქ" * 100,  # 300 bytes in UTF-8
        "library/gate.txt/more",
        "no-such-file.jpg",
    ],
)
def test_a_path_no_file_can_have_is_not_found(media, path):
    assert Client().get(f"/media/{path}").status_code == 404


def test_a_nul_in_the_path_is_not_found_even_without_the_request_guard(media, rf):
    from django.http import Http404

    with pytest.raises(Http404):
        serve_media(rf.get("/media/x"), "library/gate.txt\x00.jpg")


@pytest.mark.parametrize("path", ["..%2F..%2Fetc%2Fpasswd", "%2E%2E/%2E%2E/etc/passwd", "library/../../outside.txt"])
def test_a_path_out_of_the_folder_is_refused(media, path):
    assert Client().get(f"/media/{path}").status_code in (400, 404)
