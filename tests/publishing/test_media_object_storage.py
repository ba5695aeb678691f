"""With MEDIA_BUCKET set, uploaded pictures live in S3-compatible object storage that every web and worker machine
shares, not on one machine's disk. Tested against a real S3-compatible server (moto's, started here on a free port):
the files really travel over HTTP through boto3, and a reader's browser fetches them from the bucket's address."""

from __future__ import annotations

import json
import re
import socket
import urllib.request

import boto3
import pytest
from django.core.files.storage import storages
from django.test import Client
from moto.server import ThreadedMotoServer
from storages.backends.s3 import S3Storage

from outlet.publishing.models import Article, MediaImage
from outlet.staff.roles import EDITOR
from tests.outlet.test_settings import PRODUCTION_ENV, run_manage
from tests.publishing.test_media_library import article_form, figure, jpeg, staff

pytestmark = pytest.mark.django_db
BUCKET = "ledger-media"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    s3 = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    s3.create_bucket(Bucket=BUCKET)
    # As the README's deployment section asks: anyone may read the pictures, nobody else may write.
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/media/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(public_read))
    yield endpoint
    server.stop()


def _options(endpoint: str) -> dict:
    """What outlet/settings.py builds from MEDIA_BUCKET=ledger-media MEDIA_ENDPOINT_URL=<endpoint> (checked below)."""
    return {
        "bucket_name": BUCKET,
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "access_key": "k",
        "secret_key": "s",
        "location": "media",
        "custom_domain": endpoint.split("://", 1)[1] + f"/{BUCKET}",
        "url_protocol": "http:",
        "querystring_auth": False,
        "file_overwrite": False,
        "default_acl": None,
        "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
    }


@pytest.fixture
def object_storage(settings, s3_endpoint, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # must stay empty: nothing is written to this machine's disk
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _options(s3_endpoint)},
    }
    settings.MEDIA_URL = f"{s3_endpoint}/{BUCKET}/media/"
    yield s3_endpoint


def test_the_settings_switch_media_to_the_bucket_and_let_pages_show_its_pictures(s3_endpoint):
    script = (
        "from django.conf import settings as s; import json; "
        "print(json.dumps([s.STORAGES['default'], s.MEDIA_URL, s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'], "
        "s.SERVE_MEDIA]))"
    )
    env = PRODUCTION_ENV | {
        "MEDIA_BUCKET": BUCKET,
        "MEDIA_ENDPOINT_URL": s3_endpoint,
        "MEDIA_REGION": "us-east-1",
        "MEDIA_ACCESS_KEY_ID": "k",
        "MEDIA_SECRET_ACCESS_KEY": "s",
    }
    result = run_manage("shell", "--verbosity", "0", "-c", script, env_overrides=env)
    assert result.returncode == 0, result.stderr
    storage, media_url, img_src, serve_media = json.loads(result.stdout)
    assert storage == {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": _options(s3_endpoint)}
    assert media_url == f"{s3_endpoint}/{BUCKET}/media/"
    assert s3_endpoint in img_src, "the Content-Security-Policy lets the pages show pictures from the bucket"
    assert serve_media is False
    check = run_manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=env)
    assert check.returncode == 0, check.stdout + check.stderr
    cdn = run_manage(
        "shell", "--verbosity", "0", "-c", script, env_overrides=env | {"MEDIA_PUBLIC_URL": "https://media.example.org"}
    )
    storage, media_url, img_src, _ = json.loads(cdn.stdout)
    assert media_url == "https://media.example.org/media/" and "https://media.example.org" in img_src
    assert (storage["OPTIONS"]["custom_domain"], storage["OPTIONS"]["url_protocol"]) == ("media.example.org", "https:")


def test_an_uploaded_picture_goes_to_the_bucket_and_another_machine_reads_it(object_storage, tmp_path):
    user, client = staff(EDITOR)
    picture_bytes = jpeg().read()
    response = client.post(
        "/admin/outlet/mediaimage/add/",
        {"file": jpeg(), "alt_text": "Miners at the gate", "caption": "The morning shift."},
    )
    assert response.status_code == 302
    saved = MediaImage.objects.get()
    assert (saved.width, saved.height) == (1600, 900)
    assert not any(tmp_path.rglob("*")), "nothing on this machine's disk"

    key = f"media/{saved.file.name}"
    head = boto3.client(
        "s3", endpoint_url=object_storage, region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s"
    ).head_object(Bucket=BUCKET, Key=key)
    assert head["ContentLength"] == len(picture_bytes)
    assert head["CacheControl"] == "public, max-age=31536000, immutable"

    # Another machine: its own storage object, configured the same way, finds and reads the same file.
    elsewhere = S3Storage(**_options(object_storage))
    assert elsewhere.exists(saved.file.name)
    with elsewhere.open(saved.file.name) as handle:
        assert handle.read() == picture_bytes
    # And a reader's browser fetches it from the address the page gives.
    assert saved.file.url == f"{object_storage}/{BUCKET}/{key}"
    with urllib.request.urlopen(saved.file.url, timeout=10) as fetched:
        assert fetched.read() == picture_bytes


def test_a_story_with_a_bucket_picture_is_accepted_and_shows_it(object_storage):
    _user, editor = staff(EDITOR)
    item = MediaImage.objects.create(file=jpeg(), alt_text="Miners at the gate of the plant at dawn")
    response = editor.post("/admin/outlet/article/add/", article_form("<p>Dawn.</p>" + figure(item)))
    assert response.status_code == 302, response.context["adminform"].form.errors
    page = Client().get(Article.objects.get().get_absolute_url()).content.decode()
    assert re.search(rf'<img src="{re.escape(item.file.url)}" alt="Miners at the gate of the plant at dawn"', page)


def test_two_machines_uploading_the_same_name_keep_both(object_storage):
    first, second = S3Storage(**_options(object_storage)), S3Storage(**_options(object_storage))
    one = first.save("library/same.jpg", jpeg())
    two = second.save("library/same.jpg", jpeg())
    assert one != two and first.exists(one) and first.exists(two)
    assert storages["default"].exists(two)
