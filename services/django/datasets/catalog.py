"""Each partner's list of datasets, cached: the home page and Streamlit's API read it all the time.

The list is cached under a version token that changes after every commit touching the partner's
datasets. A request that read the table just before such a commit can only store its list under
the old token, which nobody asks for any more, so a stale list is never served.
"""
import uuid

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Dataset

TIMEOUT = 3600
_FIELDS = [
    "id",
    "name",
    "description",
    "path",
    "rows",
    "columns",
    "size_bytes",
    "sha256",
    "uploaded_by__username",
    "uploaded_at",
]


def _version_key(partner_id):
    return f"datasets:version:{partner_id}"


def datasets_of(partner_id):
    """The partner's datasets as dicts, newest first, in the shape the internal API returns."""
    version_key = _version_key(partner_id)
    version = cache.get(version_key)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(version_key, version, TIMEOUT)
        version = cache.get(version_key, version)
    return cache.get_or_set(
        f"datasets:list:{partner_id}:{version}",
        lambda: [_entry(row) for row in Dataset.objects.filter(partner_id=partner_id).values(*_FIELDS)],
        TIMEOUT,
    )


def _entry(row):
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "path": row["path"],
        "rows": row["rows"],
        "columns": row["columns"],
        "size_bytes": row["size_bytes"],
        "version": row["sha256"],
        "uploaded_by": row["uploaded_by__username"],
        "uploaded_at": row["uploaded_at"],
    }


@receiver([post_save, post_delete], sender=Dataset)
def _new_version(sender, instance, **kwargs):
    partner_id = instance.partner_id
    transaction.on_commit(lambda: cache.set(_version_key(partner_id), uuid.uuid4().hex, TIMEOUT))
