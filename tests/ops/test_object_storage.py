"""Uploaded files through django-storages' S3 backend, against a local S3-compatible fake (moto's server)."""

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tickets import services
from tickets.models import Attachment

pytestmark = pytest.mark.django_db
BUCKET = "portal-uploads"


@pytest.fixture
def s3_server(monkeypatch):
    """An S3-compatible server on a free loopback port, for this test only; its address."""
    from moto.server import ThreadedMotoServer

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test-key")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test-secret")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_server, settings, tmp_path):
    """STORAGES as production sets it when AWS_STORAGE_BUCKET_NAME is given; the bucket's client."""
    client = boto3.client("s3", endpoint_url=s3_server, region_name="us-east-1")
    client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_ROOT = tmp_path / "local-disk"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_server,
                "region_name": "us-east-1",
                "default_acl": "private",
                "file_overwrite": False,
            },
        },
    }
    return client


def test_an_attachment_is_stored_in_the_bucket_and_served_only_through_the_portal(
    s3_storage, client, standard, settings
):
    organization, customer = standard
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="Export fails",
        description="See the log.",
        attachments=[SimpleUploadedFile("log.txt", b"error 500 at 10:02")],
    )
    attachment = Attachment.objects.get(ticket=ticket)
    assert type(default_storage._wrapped).__name__ == "S3Storage"
    keys = [item["Key"] for item in s3_storage.list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert keys == [attachment.file.name]
    assert s3_storage.get_object(Bucket=BUCKET, Key=attachment.file.name)["Body"].read() == b"error 500 at 10:02"
    assert not settings.MEDIA_ROOT.exists()  # nothing was written to the local disk
    client.force_login(customer)
    response = client.get(reverse("tickets:attachment", args=[attachment.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"error 500 at 10:02"


def test_another_organization_cannot_read_a_file_in_the_bucket(s3_storage, client, standard, enterprise):
    organization, customer = standard
    ticket = services.ticket_open(
        organization=organization,
        requester=customer,
        subject="Private",
        description="d",
        attachments=[SimpleUploadedFile("secret.txt", b"secret")],
    )
    client.force_login(enterprise[1])
    assert client.get(reverse("tickets:attachment", args=[ticket.attachments.get().pk])).status_code == 404


def test_the_same_file_name_twice_keeps_both_files(s3_storage):
    first = default_storage.save("attachments/1/report.csv", SimpleUploadedFile("report.csv", b"one"))
    second = default_storage.save("attachments/1/report.csv", SimpleUploadedFile("report.csv", b"two"))
    assert first != second
    assert default_storage.open(first).read() == b"one" and default_storage.open(second).read() == b"two"
