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
from django.core.cache import cache
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import second_factor
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
    """A client signed in as the user; staff, who must have a second factor, have one and gave it."""
    client = Client()
    client.force_login(user)
    if user.is_staff:
        verify_second_factor(client, user)
    return client


def verify_second_factor(client, user):
    """The client's session passed the second factor, with an authenticator the user now has."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    device = device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    # A test inside a transaction never commits it, so what the commit would drop goes now.
    cache.delete(second_factor._key(user.pk))
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


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


PREVIEW = "/datasets/upload/preview/"


def upload(client, content, filename="data.csv", *, headers=None, follow=False, **fields):
    """Posts the upload form with a file of these bytes and the other fields given, then stores
    it as its preview shows it, as a partner who changes nothing there does. Returns the last
    response: the upload form again when the file was refused."""
    response = choose_file(client, content, filename, headers=headers, **fields)
    if response.status_code == 302 and response["Location"] == PREVIEW:
        response = client.post(PREVIEW, {"action": "confirm"}, headers=headers, follow=follow)
    return response


def choose_file(client, content, filename="data.csv", *, headers=None, **fields):
    """Posts the upload form only: a file that reads sends the partner to its preview."""
    data = {"file": SimpleUploadedFile(filename, content), **fields}
    return client.post("/datasets/upload/", data, headers=headers)


