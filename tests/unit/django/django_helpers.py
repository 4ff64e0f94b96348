"""Helpers for the portal's unit tests. Files to upload are made from bytes here, never kept as
blobs in the repository."""
import io
import os
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from partners.models import Membership

PASSWORD = "a long and fine password 42"


def files_in(folder):
    """Every file under the folder, hidden temporary ones included."""
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def make_user(username, partner=None, **fields):
    user = get_user_model().objects.create_user(username, password=PASSWORD, **fields)
    if partner is not None:
        Membership.objects.create(user=user, partner=partner)
    return user


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def parquet_bytes(table):
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def spooled(content, suffix=".upload.csv"):
    """A file of these bytes where Django spools an upload, as ingest gets it."""
    fd, name = tempfile.mkstemp(suffix=suffix, dir=settings.FILE_UPLOAD_TEMP_DIR)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    return Path(name)


def upload(client, content, filename="data.csv", **fields):
    """Posts the upload form with a file of these bytes and the other fields given."""
    data = {"file": SimpleUploadedFile(filename, content), **fields}
    return client.post("/datasets/upload/", data)


