"""An upload that meets trouble on the portal's side (a full volume, a failing disk) gets plain
words, without error numbers or server paths, and leaves nothing behind."""
import errno
import os

import pytest
from django_helpers import files_in, upload

from datasets import ingest
from datasets.models import Dataset

pytestmark = pytest.mark.django_db(transaction=True)

CSV = b"city,amount\nSeoul,1\nBusan,2\n"


@pytest.mark.parametrize(
    "number, words",
    [
        (errno.ENOSPC, "The portal's storage is full"),
        (errno.EDQUOT, "The portal's storage is full"),
        (errno.EIO, "The portal could not store your file just now"),
    ],
    ids=["volume full", "quota exceeded", "disk error"],
)
def test_storage_trouble_during_an_upload_gets_plain_words_and_leaves_nothing(
    alice_client, datasets_dir, monkeypatch, number, words
):
    def write_half(f, layout, path):
        with open(path, "wb") as out:
            out.write(b"PAR1 half a file")
        raise OSError(number, os.strerror(number), path)

    monkeypatch.setattr(ingest, "_convert", write_half)

    response = upload(alice_client, CSV, name="sales")

    assert response.status_code == 200, "back at the preview, which says why"
    (error,) = response.context["form"].non_field_errors()
    assert error.startswith(words) and "nothing was saved" in error
    page = response.content.decode()
    assert "Errno" not in page and str(datasets_dir) not in page
    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []
