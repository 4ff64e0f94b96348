"""Where dataset files live on the datasets volume, and how they go when their row goes."""
import logging
import os
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import Dataset, DatasetVersion

# Uploads are written under this prefix in the partner's folder and renamed when complete.
TEMP_PREFIX = ".incoming-"
# How Django names an upload it spools to FILE_UPLOAD_TEMP_DIR (tmpXXXXXXXX.upload.csv).
SPOOLED_UPLOADS = "tmp*.upload*"
# An upload waiting for its partner to confirm its preview, and its preview's facts (pending.py).
PENDING_PREFIX = ".pending-"
# Lock files in FILE_UPLOAD_TEMP_DIR that bound how many ingest children run at once (ingest.py).
SLOT_PREFIX = ".ingest-slot-"

log = logging.getLogger(__name__)


def new_path(partner_slug):
    """A fresh relative path: a new file per upload, so readers of the old one are never disturbed."""
    return f"{partner_slug}/{uuid.uuid4().hex}.parquet"


def fsync_dir(folder):
    # Makes a rename in the folder durable, not only the file's content.
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def remove_after_commit(relative_path):
    """Removes the file once the transaction dropping its row commits; a rollback keeps it."""

    def remove():
        try:
            (settings.DATASETS_DIR / relative_path).unlink(missing_ok=True)
        except OSError:
            log.exception("Could not remove %s; sweepdatasets will retry", relative_path)

    transaction.on_commit(remove)


@receiver(post_delete, sender=Dataset)
@receiver(post_delete, sender=DatasetVersion)
def _remove_file(sender, instance, **kwargs):
    # Covers every way a row goes: the portal's delete, the admin, a deleted partner's cascade, a
    # dataset's versions going with it, a version pruned.
    remove_after_commit(instance.path)


def strays(older_than_seconds):
    """Files in partners' folders that no dataset points at, and uploads spooled to the upload
    folder, that are older than the bound: the leftovers of an upload whose process died, or
    whose row never committed. The files of kept versions are no strays."""
    known = set(Dataset.objects.values_list("path", flat=True))
    known.update(DatasetVersion.objects.values_list("path", flat=True))
    cutoff = time.time() - older_than_seconds
    root = settings.DATASETS_DIR
    found = []
    for path in sorted(root.glob("*/*")):
        ours = path.name.startswith(TEMP_PREFIX) or path.suffix == ".parquet"
        if ours and path.is_file() and path.relative_to(root).as_posix() not in known:
            if path.stat().st_mtime < cutoff:
                found.append(path)
    spooled = Path(settings.FILE_UPLOAD_TEMP_DIR)
    for path in sorted([*spooled.glob(SPOOLED_UPLOADS), *spooled.glob(f"{PENDING_PREFIX}*")]):
        if path.is_file() and path.stat().st_mtime < cutoff:
            found.append(path)
    return found
