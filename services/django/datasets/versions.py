"""A dataset's earlier files: kept when a new file replaces the current one, at most
DATASET_VERSIONS_KEPT of them (those replaced last), and made current again on request.

A version is the description of a file that was current once (DatasetVersion); the file itself
stays where it was written, under its own name. Keeping, pruning and restoring only move rows
inside the caller's transaction: a dropped version's file goes after the commit (datasets.files).
"""
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import Dataset, DatasetVersion


def _file_of(stored):
    return {field: getattr(stored, field) for field in stored.FILE_FIELDS}


def next_number(dataset):
    """The number a new file of the dataset gets: one more than any it has, kept or current."""
    kept = dataset.versions.aggregate(highest=Max("number"))["highest"] or 0
    return max(dataset.number, kept) + 1


def keep_current(dataset):
    """Keeps the dataset's current file as a version, in the transaction that gives the dataset a
    new one, and drops the versions beyond DATASET_VERSIONS_KEPT."""
    DatasetVersion.objects.create(dataset=dataset, replaced_at=timezone.now(), **_file_of(dataset))
    prune(dataset)


def prune(dataset):
    # Those replaced longest ago go first, whenever their file was uploaded.
    for version in dataset.versions.all()[settings.DATASET_VERSIONS_KEPT:]:
        version.delete()


def restore(dataset, number):
    """Makes the dataset's version `number` its current file, and keeps the current one as a
    version in its place; returns the dataset as it is now. Raises DatasetVersion.DoesNotExist
    when the dataset has no such version (any more)."""
    with transaction.atomic(durable=True):
        # Read again under the write lock: what another request committed meanwhile counts.
        dataset = Dataset.objects.get(pk=dataset.pk, partner_id=dataset.partner_id)
        version = dataset.versions.get(number=number)
        current = _file_of(dataset)
        for field, value in _file_of(version).items():
            setattr(dataset, field, value)
        for field, value in current.items():
            setattr(version, field, value)
        version.replaced_at = timezone.now()
        version.save()
        dataset.save()
        prune(dataset)
    return dataset
