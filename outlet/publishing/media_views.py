"""Uploads served by the app itself (SERVE_MEDIA: locally, or on a small site with no proxy in front of /media/).

Django's `serve` checks that a path stays inside MEDIA_ROOT but hands anything else to the file system, which
raises on names no file can have (a NUL byte; a name longer than the file system allows): those are a 404 here,
not a 500."""

from __future__ import annotations

import errno
import os

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.static import serve

NAME_MAX = 255  # bytes in one file or folder name (Linux, macOS)
PATH_MAX = 1024  # bytes in the whole path below MEDIA_ROOT; far above any upload's name


def _could_be_a_file(path: str) -> bool:
    try:
        encoded = os.fsencode(path)
    except UnicodeError:
        return False
    return (
        b"\x00" not in encoded
        and len(encoded) <= PATH_MAX
        and all(len(part) <= NAME_MAX for part in encoded.split(b"/"))
    )


def serve_media(request: HttpRequest, path: str) -> HttpResponse | FileResponse:
    if not _could_be_a_file(path):
        raise Http404("No such file.")
    try:
        # MEDIA_ROOT is a Path, which serve() joins like a str (the stubs ask for str).
        return serve(request, path, document_root=settings.MEDIA_ROOT)  # type: ignore[arg-type]
    except OSError as error:
        if error.errno == errno.ENAMETOOLONG:  # a file system with shorter limits than the ones above
            raise Http404("No such file.") from None
        raise
