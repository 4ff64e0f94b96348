"""The models: partners, memberships and datasets, and the rules the database keeps."""
import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django_helpers import make_user

from datasets.models import Dataset
from partners.models import Membership, Partner


def dataset(partner, name="sales", path=None):
    return Dataset.objects.create(
        partner=partner,
        name=name,
        path=path or f"{partner.slug}/{name}.parquet",
        rows=1,
        columns=[{"name": "a", "type": "integer"}],
        size_bytes=10,
        sha256="0" * 64,
    )


def test_a_partner_is_active_by_default_and_shows_its_name(acme):
    assert acme.active
    assert str(acme) == "Acme Korea"


@pytest.mark.parametrize("slug", ["acme", "acme-korea", "a1"])
def test_good_slugs_pass(db, slug):
    Partner(slug=slug, name="X").full_clean()


@pytest.mark.parametrize("slug", ["Acme", "acme_korea", "acme--x", "-acme", "acme/..", ""])
def test_slugs_unfit_for_a_folder_fail(db, slug):
    with pytest.raises(ValidationError):
        Partner(slug=slug, name="X").full_clean()


def test_slugs_are_unique(acme):
    with pytest.raises(IntegrityError):
        Partner.objects.create(slug="acme", name="Other")


def test_a_user_belongs_to_one_partner_at_most(alice, globex):
    with pytest.raises(IntegrityError):
        Membership.objects.create(user=alice, partner=globex)


def test_deleting_a_user_removes_the_membership(alice):
    alice.delete()

    assert not Membership.objects.exists()


def test_a_dataset_name_is_unique_per_partner_only(acme, globex):
    dataset(acme)
    dataset(globex)

    with pytest.raises(IntegrityError), transaction.atomic():
        dataset(acme, path="acme/other.parquet")


def test_a_partner_with_datasets_cannot_be_deleted(acme):
    dataset(acme)

    with pytest.raises(ProtectedError):
        acme.delete()


def test_a_dataset_knows_its_file(acme, datasets_dir):
    assert dataset(acme).file == datasets_dir / "acme" / "sales.parquet"


def test_the_uploader_may_go_and_the_dataset_stays(acme):
    uploader = make_user("gone", acme)
    stored = dataset(acme)
    stored.uploaded_by = uploader
    stored.save()

    uploader.delete()

    stored.refresh_from_db()
    assert stored.uploaded_by is None


def test_datasets_list_newest_first(acme):
    first = dataset(acme, "first")
    second = dataset(acme, "second")

    assert list(Dataset.objects.all()) == [second, first]
