"""The management commands operators run: partners, their users, datasets, and sweeping up."""
import io
import os
import time

import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_helpers import files_in, make_user

from datasets.models import Dataset
from partners.models import Membership, Partner

pytestmark = pytest.mark.django_db(transaction=True)


def run(*args, stdin=None):
    out = io.StringIO()
    options = {"stdout": out}
    if stdin is not None:
        options["stdin"] = io.StringIO(stdin)
    call_command(*args, **options)
    return out.getvalue()


def test_createpartner_creates_then_is_safe_to_rerun_and_renames():
    assert "Created partner acme" in run("createpartner", "acme", "--name", "Acme")
    assert "already exists; it is active" in run("createpartner", "acme", "--name", "Acme")
    assert "renamed to Acme Korea" in run("createpartner", "acme", "--name", "Acme Korea")

    assert list(Partner.objects.values_list("slug", "name", "active")) == [("acme", "Acme Korea", True)]


@pytest.mark.parametrize("slug", ["Acme", "acme corp", "../etc", "-acme", "a" * 51])
def test_createpartner_refuses_a_slug_unfit_for_a_folder(slug):
    with pytest.raises(CommandError, match="slug"):
        run("createpartner", slug, "--name", "X")
    assert not Partner.objects.exists()


def test_addpartneruser_reads_the_password_from_stdin(acme):
    out = run("addpartneruser", "acme", "kim", "--password-stdin", stdin="a long and fine password 42\n")

    assert "Created user kim of partner acme" in out
    user = get_user_model().objects.get(username="kim")
    assert user.check_password("a long and fine password 42")
    assert user.membership.partner == acme
    assert not user.is_staff


def test_addpartneruser_is_safe_to_rerun(acme):
    run("addpartneruser", "acme", "kim", "--password-stdin", stdin="a long and fine password 42\n")

    out = run("addpartneruser", "acme", "kim", "--password-stdin", stdin="another password entirely 7\n")

    assert "already a user of acme; the password is unchanged" in out
    assert get_user_model().objects.get(username="kim").check_password("a long and fine password 42")


def test_addpartneruser_links_an_existing_user_without_a_partner(acme):
    make_user("kim")

    assert "Added existing user kim" in run("addpartneruser", "acme", "kim")
    assert Membership.objects.get().partner == acme


@pytest.mark.parametrize(
    "args, stdin, message",
    [
        (["nobody", "kim", "--password-stdin"], "a long and fine password 42\n", "No partner 'nobody'"),
        (["acme", "kim", "--password-stdin"], "\n", "No password on standard input"),
        (["acme", "kim", "--password-stdin"], "password\n", "Password refused: This password is too common"),
        (["acme", "kim"], "", "No terminal to ask for the password: use --password-stdin"),
        (["acme", "kim lee", "--password-stdin"], "a long and fine password 42\n", "Enter a valid username"),
        (["acme", "김철수", "--password-stdin"], "a long and fine password 42\n", "Enter a valid username"),
    ],
    ids=["unknown partner", "empty password", "weak password", "no terminal", "space", "not ascii"],
)
def test_addpartneruser_refuses_clearly(acme, args, stdin, message):
    with pytest.raises(CommandError, match=message):
        run("addpartneruser", *args, stdin=stdin)
    assert not get_user_model().objects.exists()


def test_addpartneruser_refuses_a_user_of_another_partner_or_staff(acme, globex):
    make_user("kim", globex)
    make_user("root", is_staff=True)

    with pytest.raises(CommandError, match="kim already belongs to partner globex"):
        run("addpartneruser", "acme", "kim")
    with pytest.raises(CommandError, match="root is staff"):
        run("addpartneruser", "acme", "root")


def test_deactivatepartner_and_undo(acme):
    assert "now inactive" in run("deactivatepartner", "acme")
    assert "already inactive" in run("deactivatepartner", "acme")
    assert not Partner.objects.get().active

    assert "now active" in run("deactivatepartner", "acme", "--undo")
    assert Partner.objects.get().active


def test_deactivatepartner_of_an_unknown_partner_fails():
    with pytest.raises(CommandError, match="No partner 'nobody'"):
        run("deactivatepartner", "nobody")


def test_importdataset_stores_a_file_like_an_upload(acme, tmp_path, datasets_dir):
    source = tmp_path / "sales.csv"
    source.write_bytes("지역\t매출\n서울\t120\n".encode("cp949"))

    out = run("importdataset", "acme", str(source), "--name", "Sales", "--description", "From ops")

    dataset = Dataset.objects.get()
    assert "Imported 'Sales' for acme: 1 rows, 2 columns (tab-separated text in CP949/EUC-KR)" in out
    assert (dataset.partner, dataset.description, dataset.uploaded_by) == (acme, "From ops", None)
    assert pq.read_table(datasets_dir / dataset.path).to_pylist() == [{"지역": "서울", "매출": 120}]


def test_importdataset_refuses_a_bad_file_and_leaves_nothing(acme, tmp_path, datasets_dir):
    source = tmp_path / "bad.csv"
    source.write_bytes(b"a,b\n1,2,3\n")

    with pytest.raises(CommandError, match="Line 2, column 3: this row has 3 values"):
        run("importdataset", "acme", str(source), "--name", "Bad")

    assert not Dataset.objects.exists()
    assert files_in(datasets_dir) == []


def test_importdataset_of_a_missing_file_or_partner_fails(acme, tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("importdataset", "acme", str(tmp_path / "missing.csv"), "--name", "X")
    with pytest.raises(CommandError, match="No partner 'nobody'"):
        run("importdataset", "nobody", str(tmp_path / "missing.csv"), "--name", "X")


def test_importdataset_replaces_only_when_asked(acme, tmp_path, datasets_dir):
    source = tmp_path / "data.csv"
    source.write_bytes(b"a\n1\n")
    run("importdataset", "acme", str(source), "--name", "Data", "--description", "Kept")
    first = Dataset.objects.get()

    with pytest.raises(CommandError, match="pass --replace"):
        run("importdataset", "acme", str(source), "--name", "Data")

    source.write_bytes(b"a\n1\n2\n")
    assert "Stored a new version of 'Data'" in run("importdataset", "acme", str(source), "--name", "Data", "--replace")

    replaced = Dataset.objects.get()
    assert (replaced.id, replaced.description, replaced.rows) == (first.id, "Kept", 2)
    assert replaced.sha256 != first.sha256 and replaced.path != first.path
    # The replaced data stays as the dataset's earlier version.
    assert [(v.number, v.path, v.rows) for v in replaced.versions.all()] == [(1, first.path, 1)]
    assert files_in(datasets_dir) == sorted([first.path, replaced.path])


def test_the_version_stays_when_the_same_data_comes_again(acme, tmp_path):
    source = tmp_path / "data.csv"
    source.write_bytes(b"a,b\n1,x\n")
    run("importdataset", "acme", str(source), "--name", "Data")
    first = Dataset.objects.get().sha256

    run("importdataset", "acme", str(source), "--name", "Data", "--replace")

    assert Dataset.objects.get().sha256 == first


def test_sweepdatasets_removes_old_strays_only(acme, tmp_path, datasets_dir):
    source = tmp_path / "data.csv"
    source.write_bytes(b"a\n1\n")
    run("importdataset", "acme", str(source), "--name", "Data")
    kept = Dataset.objects.get().path
    old = time.time() - 2 * 3600
    strays = {"acme/.incoming-x1.parquet": old, "acme/0123abcd.parquet": old, "acme/.incoming-new.parquet": None}
    for name, mtime in strays.items():
        (datasets_dir / name).write_bytes(b"partial")
        if mtime:
            os.utime(datasets_dir / name, (mtime, mtime))
    os.utime(datasets_dir / kept, (old, old))
    (datasets_dir / "acme" / "notes.txt").write_text("not ours")
    os.utime(datasets_dir / "acme" / "notes.txt", (old, old))

    assert "Would remove" in run("sweepdatasets", "--dry-run")
    assert len(files_in(datasets_dir)) == 5

    out = run("sweepdatasets")

    assert "2 stray file(s)" in out
    assert files_in(datasets_dir) == sorted(["acme/.incoming-new.parquet", kept, "acme/notes.txt"])
