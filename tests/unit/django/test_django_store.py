"""Storing is one step: the file is renamed into place inside the transaction that saves its row,
and whatever fails on the way, neither a row nor a file (temporary or final) stays behind."""
import os

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django_helpers import files_in, spooled

from datasets import ingest
from datasets.models import Dataset

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"city,amount\nSeoul,1\nBusan,2\n"


def store(partner, name="sales", content=CSV):
    path = spooled(content)
    return ingest.store(path, ingest.inspect(path), partner, name=name)


def test_a_stored_file_and_its_row_arrive_together(acme, datasets_dir):
    dataset = store(acme)

    assert Dataset.objects.get() == dataset
    assert files_in(datasets_dir) == [dataset.path]


def test_a_failure_while_writing_leaves_no_temporary_file(acme, datasets_dir, monkeypatch):
    def write_half(f, layout, path):
        with open(path, "wb") as out:
            out.write(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ingest, "_convert", write_half)

    with pytest.raises(OSError, match="No space left"):
        store(acme)

    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []


def test_a_failed_rename_leaves_no_row_and_no_file(acme, datasets_dir, monkeypatch):
    def refuse(source, target):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(ingest.os, "replace", refuse)

    with pytest.raises(OSError, match="Input/output error"):
        store(acme)

    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []


def test_a_failed_insert_leaves_no_file(acme, datasets_dir):
    first = store(acme)

    with pytest.raises(IntegrityError):
        store(acme, name="sales", content=b"other\n1\n")

    assert list(Dataset.objects.all()) == [first]
    assert files_in(datasets_dir) == [first.path]


def test_a_failed_commit_removes_the_renamed_file(acme, datasets_dir, monkeypatch):
    def fail():
        raise DatabaseError("disk I/O error")

    monkeypatch.setattr(connection, "commit", fail)

    with pytest.raises(DatabaseError, match="disk I/O error"):
        store(acme)
    monkeypatch.undo()

    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []


def test_storing_inside_another_transaction_is_refused(acme, datasets_dir):
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        store(acme)

    assert files_in(datasets_dir) == []


def test_a_replaced_file_kept_as_no_version_goes_only_after_the_commit(acme, datasets_dir, settings):
    settings.DATASET_VERSIONS_KEPT = 0
    old = store(acme)
    old_path = old.path

    path = spooled(b"x\n9\n")
    new = ingest.store(path, ingest.inspect(path), acme, name="sales", replacing=old)

    assert files_in(datasets_dir) == [new.path]
    assert new.path != old_path
    assert not os.path.exists(datasets_dir / old_path)
    assert not new.versions.exists()
