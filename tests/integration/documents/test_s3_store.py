"""Rendered documents in an S3-compatible bucket: a real S3 API server (moto's, started as its
own process on a free port), the documents storage pointed at it, letters rendered and
e-mailed from it, the admin downloading from it, a changed object refused."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from documents_factories import account_with_former
from mail_server import Mailbox, free_port
from vool.domain.documents.models import Letter
from vool.integrations.pdf.content_store import ContentStore
from vool.usecases import letters, render_invoices

pytestmark = pytest.mark.django_db

BUCKET = "vool-documents"
KIND = "new-reference-number"
TODAY = dt.date(2026, 11, 20)
NOW = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def s3(settings) -> Iterator[object]:  # type: ignore[no-untyped-def]
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("moto_server")), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the S3 server did not start"
                time.sleep(0.1)
        endpoint = f"http://127.0.0.1:{port}"
        keys = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
        client = boto3.client("s3", endpoint_url=endpoint, region_name="eu-north-1", **keys)
        client.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-north-1"}
        )
        settings.STORAGES = {
            **settings.STORAGES,
            "documents": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": BUCKET,
                    "endpoint_url": endpoint,
                    "region_name": "eu-north-1",
                    "access_key": "test",
                    "secret_key": "test",
                    "location": "bills",
                    "file_overwrite": True,
                    "default_acl": None,
                },
            },
        }
        yield client
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_store_writes_once_reads_checked_and_refuses_a_changed_object(s3, settings) -> None:  # type: ignore[no-untyped-def]
    store = render_invoices.store()
    assert store.blobs is not None
    stored = store.put(b"%PDF-1.7 one")
    assert store.put(b"%PDF-1.7 one") == stored
    key = f"bills/{stored.relative_path}"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == b"%PDF-1.7 one"
    assert store.read(stored.relative_path) == b"%PDF-1.7 one"
    assert not (Path(settings.VOOL_DOCUMENTS_DIR) / stored.relative_path).exists()

    s3.put_object(Bucket=BUCKET, Key=key, Body=b"%PDF-1.7 two")
    with pytest.raises(ValueError, match="has changed"):
        store.read(stored.relative_path)
    assert isinstance(store, ContentStore)


def test_letters_are_rendered_to_the_bucket_sent_and_downloaded(  # type: ignore[no-untyped-def]
    s3, mailbox: Mailbox, supplier, client
) -> None:
    account = account_with_former(1, language="et", channel="EMAIL", email="mari@example.ee")
    report = letters.send_letters(kind=KIND, accounts="all", today=TODAY, as_of=NOW)
    assert (report.rendered, report.emailed, report.failures) == (1, 1, [])
    letter = Letter.objects.get(billing_account=account)
    body = s3.get_object(Bucket=BUCKET, Key=f"bills/{letter.path}")["Body"].read()
    assert body.startswith(b"%PDF-") and len(body) == letter.size_bytes
    ((_, message),) = mailbox.messages
    (attachment,) = message.iter_attachments()
    assert attachment.get_content() == body

    client.force_login(get_user_model().objects.create_superuser("admin", "a@example.ee", "pw"))
    response = client.get(reverse("admin:documents_letter_pdf", args=[letter.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == body
    s3.delete_object(Bucket=BUCKET, Key=f"bills/{letter.path}")
    assert client.get(reverse("admin:documents_letter_pdf", args=[letter.pk])).status_code == 404
