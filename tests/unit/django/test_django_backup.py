"""Backup archives without Docker: what the backup command writes, what the restore command
refuses before it touches anything, and how a restore swaps the data in (ops/backup and
ops/restore run these commands in the django image)."""
import hashlib
import io
import json
import sqlite3
import sys
import tarfile
import threading

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from datasets import backups
from datasets.models import Dataset
from partners.models import Partner

pytestmark = pytest.mark.django_db(transaction=True)

ArchiveError = backups.ArchiveError
PARQUET = b"PAR1" + bytes(range(256)) * 40 + b"PAR1"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def add_dataset(partner, name, content, folder):
    dataset = Dataset.objects.create(partner=partner, name=name, path=f"{partner.slug}/{name}.parquet", rows=1,
                                     columns=[], size_bytes=len(content), sha256=sha256(content))
    (folder / dataset.path).parent.mkdir(exist_ok=True)
    (folder / dataset.path).write_bytes(content)
    return dataset


@pytest.fixture
def live(acme, globex, alice, datasets_dir):
    """The portal's data: two partners, a user, three datasets, and an upload in progress."""
    add_dataset(acme, "a1", PARQUET, datasets_dir)
    add_dataset(acme, "a2", PARQUET[::-1], datasets_dir)
    add_dataset(globex, "g1", b"globex" * 1000, datasets_dir)
    (datasets_dir / "acme" / ".incoming-abc.parquet").write_bytes(b"half an upload")
    return datasets_dir


def run(command, *args):
    """A management command as an operator runs it: (exit status, what it said on stderr)."""
    err = io.StringIO()
    try:
        call_command(command, *args, stderr=err)
        return 0, err.getvalue()
    except SystemExit as stopped:
        return stopped.code, err.getvalue()


def take_backup(target, project="test-project"):
    status, said = run("backup", "--project", project, str(target))
    assert status == 0, said
    return said


@pytest.fixture
def archive(live, tmp_path):
    target = tmp_path / "backup.tar.gz"
    take_backup(target)
    return target


def verify(path):
    with open(path, "rb") as stream:
        return backups.read_archive(stream)


def read_copy(archive, folder):
    with tarfile.open(archive) as tar:
        tar.extract(backups.DATABASE, folder, filter="data")
    return sqlite3.connect(folder / backups.DATABASE)


def build(members, manifest=None):
    """A .tar.gz from (name, content or TarInfo) pairs, with a manifest listing the regular files
    first unless `manifest` (a dict, or bytes) is given; returns its bytes."""
    if manifest is None:
        files = {name: {"sha256": sha256(body), "size": len(body)} for name, body in members if isinstance(body, bytes)}
        manifest = {"format": backups.FORMAT, "version": 1, "created": "2026-01-01T00:00:00+00:00",
                    "project": "p", "files": files}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        body = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
        entries = [] if manifest == b"" else [(backups.MANIFEST, body)]
        for name, content in entries + list(members):
            if isinstance(content, tarfile.TarInfo):
                tar.addfile(content)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return raw.getvalue()


def good_members():
    return [(backups.DATABASE, b"SQLite format 3\0" + b"x" * 5000), ("datasets/acme/a1.parquet", PARQUET)]


def manifest_for(members, **change):
    return {"format": backups.FORMAT, "version": 1, "created": "t", "project": "p",
            "files": {n: {"sha256": sha256(b), "size": len(b)} for n, b in members}, **change}


def refused(data, match):
    with pytest.raises(ArchiveError, match=match):
        backups.read_archive(io.BytesIO(data))


def link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


# What the backup command writes --------------------------------------------------------------

def test_the_archive_holds_a_manifest_first_then_the_database_and_every_dataset_file(archive):
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(backups.MANIFEST))
    assert names == ["manifest.json", "portal.sqlite3", "datasets/acme/a1.parquet", "datasets/acme/a2.parquet",
                     "datasets/globex/g1.parquet"]
    assert manifest["format"] == backups.FORMAT and manifest["version"] == 1
    assert manifest["project"] == "test-project" and manifest["created"].endswith("+00:00")
    assert manifest["summary"] == {"partners": 2, "users": 1, "datasets": 3}
    assert manifest["files"]["datasets/acme/a1.parquet"] == {"sha256": sha256(PARQUET), "size": len(PARQUET)}
    assert set(manifest["files"]) == set(names[1:])
    assert verify(archive) == manifest


def test_the_database_copy_is_one_checked_self_contained_file(archive, tmp_path):
    db = read_copy(archive, tmp_path / "out")
    try:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        slugs = db.execute(f"SELECT slug FROM {Partner._meta.db_table} ORDER BY slug").fetchall()
    finally:
        db.close()
    assert slugs == [("acme",), ("globex",)]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [backups.DATABASE]


def test_the_archive_can_be_streamed_to_standard_output(live, capsysbinary):
    status, said = run("backup", "-")
    assert status == 0, said
    manifest = backups.read_archive(io.BytesIO(capsysbinary.readouterr().out))
    assert manifest["summary"]["datasets"] == 3 and manifest["project"] == ""


def test_the_online_copy_is_consistent_while_a_writer_commits(live, tmp_path):
    stop = threading.Event()

    def write():
        # Every transaction adds two partners: a consistent copy always holds an even number.
        number = 0
        try:
            while not stop.is_set():
                number += 2
                with transaction.atomic():
                    Partner.objects.create(slug=f"p{number}", name="one")
                    Partner.objects.create(slug=f"q{number}", name="two")
        finally:
            connection.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        counts = []
        for attempt in range(5):
            target = tmp_path / f"backup{attempt}.tar.gz"
            take_backup(target)
            db = read_copy(target, tmp_path / f"out{attempt}")
            try:
                copied = db.execute(f"SELECT count(*) FROM {Partner._meta.db_table}").fetchone()[0]
            finally:
                db.close()
            counts.append((verify(target)["summary"]["partners"], copied))
    finally:
        stop.set()
        writer.join()
    assert all(summary == copied and copied % 2 == 0 for summary, copied in counts), counts
    assert counts[-1][0] > 2, "the writer committed nothing during the backups"


def test_uploads_in_progress_are_left_out(archive):
    with tarfile.open(archive) as tar:
        assert not any(".incoming-" in name for name in tar.getnames())


def test_a_file_uploaded_after_the_datasets_pass_is_fetched_after_the_database_copy(live, acme, tmp_path,
                                                                                    monkeypatch):
    copy_database = backups.copy_database

    def upload_first(target):
        add_dataset(acme, "late", b"late", live)
        return copy_database(target)

    monkeypatch.setattr(backups, "copy_database", upload_first)
    said = take_backup(tmp_path / "backup.tar.gz")
    assert "copying 1 dataset file(s) uploaded during the backup" in said
    manifest = verify(tmp_path / "backup.tar.gz")
    assert manifest["files"]["datasets/acme/late.parquet"] == {"sha256": sha256(b"late"), "size": 4}
    assert manifest["summary"]["datasets"] == 4


def test_a_dataset_deleted_during_the_backup_does_not_stop_it(live, tmp_path, monkeypatch):
    copy_database = backups.copy_database

    def delete_first(target):
        Dataset.objects.get(name="a1").delete()
        assert not (live / "acme" / "a1.parquet").exists()
        return copy_database(target)

    monkeypatch.setattr(backups, "copy_database", delete_first)
    take_backup(tmp_path / "backup.tar.gz")
    manifest = verify(tmp_path / "backup.tar.gz")
    # The file was open already: archived whole, beside a copy that no longer names it.
    assert manifest["files"]["datasets/acme/a1.parquet"]["sha256"] == sha256(PARQUET)
    assert manifest["summary"]["datasets"] == 2


def test_a_database_naming_a_file_no_pass_found_gives_no_archive(live, acme, tmp_path):
    add_dataset(acme, "gone", b"gone", live)
    (live / "acme" / "gone.parquet").unlink()
    target = tmp_path / "backup.tar.gz"
    status, said = run("backup", str(target))
    assert status == 1
    assert "gone.parquet was deleted during the backup: run the backup again" in said
    assert not target.exists()


def test_an_existing_file_is_never_overwritten(live, tmp_path):
    target = tmp_path / "backup.tar.gz"
    target.write_bytes(b"an older backup")
    status, said = run("backup", str(target))
    assert status == 1 and "error: " in said and "File exists" in said
    assert target.read_bytes() == b"an older backup"


def test_a_link_on_the_datasets_volume_stops_the_backup(live, tmp_path):
    (live / "acme" / "escape.parquet").symlink_to("/etc/passwd")
    status, said = run("backup", str(tmp_path / "backup.tar.gz"))
    assert status == 1 and "escape.parquet is not a regular file" in said
    assert not (tmp_path / "backup.tar.gz").exists()


def test_the_command_says_what_it_writes_and_writes_nothing_else(live, tmp_path):
    (tmp_path / "out").mkdir()
    said = take_backup(tmp_path / "out" / "backup.tar.gz")
    assert "==> writing the archive: 4 files" in said
    assert "(2 partners, 1 users, 3 datasets), 3 dataset files" in said
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["backup.tar.gz"]


# What the restore command refuses before it touches anything ---------------------------------

def test_a_well_formed_archive_checks_out():
    manifest = backups.read_archive(io.BytesIO(build(good_members())))
    assert set(manifest["files"]) == {backups.DATABASE, "datasets/acme/a1.parquet"}


def test_the_check_names_the_file_and_what_it_holds(archive):
    status, said = run("restore", "--check", str(archive))
    assert status == 0, said
    assert f"==> {archive} checks out: a backup of project test-project made " in said
    assert "4 files" in said and "(2 partners, 1 users, 3 datasets)" in said


def test_flipped_bytes_are_found(archive):
    data = bytearray(archive.read_bytes())
    for offset in range(len(data) // 3, len(data) // 3 + 4):
        data[offset] ^= 0xFF
    refused(bytes(data), "it is truncated or damaged: ")


def test_a_flipped_byte_in_the_gzip_trailer_is_found(archive):
    data = bytearray(archive.read_bytes())
    data[-6] ^= 0x01  # the CRC of the uncompressed data
    refused(bytes(data), "truncated or damaged")


@pytest.mark.parametrize("keep", [0.5, 0.9, -1])
def test_a_truncated_archive_is_refused(archive, keep):
    data = archive.read_bytes()
    cut = len(data) + keep if keep < 0 else int(len(data) * keep)
    refused(data[:cut], "truncated or damaged")


def test_an_empty_file_is_refused():
    refused(b"", "truncated or damaged")


def test_a_file_that_is_not_gzip_is_refused():
    refused(b"PK\3\4 a zip file, say", "truncated or damaged")


def test_a_checksum_that_does_not_match_the_manifest_is_refused():
    members = good_members()
    manifest = manifest_for(members)
    manifest["files"]["datasets/acme/a1.parquet"]["sha256"] = sha256(b"something else")
    refused(build(members, manifest), r"datasets/acme/a1.parquet has sha256 .* manifest.json says")


def test_a_size_that_does_not_match_the_manifest_is_refused():
    members = good_members()
    manifest = manifest_for(members)
    manifest["files"][backups.DATABASE]["size"] += 1
    refused(build(members, manifest), r"portal.sqlite3 is \d+ bytes; manifest.json says")


def test_a_file_listed_in_the_manifest_but_absent_is_refused():
    members = good_members()
    refused(build(members[:1], manifest_for(members)),
            r"1 file\(s\) listed in manifest.json are missing.*datasets/acme/a1.parquet")


def test_a_file_not_in_the_manifest_is_refused():
    members = good_members()
    refused(build(members, manifest_for(members[:1])),
            "datasets/acme/a1.parquet is in the archive but not in manifest.json")


def test_a_member_twice_is_refused():
    members = good_members()
    refused(build(members + members[1:]), "appears twice")


@pytest.mark.parametrize("name, reason", [
    ("/etc/cron.d/evil", "absolute"),
    ("datasets/../../etc/passwd", r"'\.\.'"),
    ("../portal.sqlite3", r"'\.\.'"),
    ("datasets/./acme/x.parquet", "not a plain relative path"),
    ("datasets//x.parquet", "not a plain relative path"),
    ("static/admin.js", "unexpected member"),
    ("datasets", "unexpected member"),
])
def test_an_unsafe_or_foreign_name_is_refused(name, reason):
    refused(build(good_members() + [(name, b"x")]), reason)


@pytest.mark.parametrize("member", [
    link("datasets/acme/escape.parquet", "/etc/passwd"),
    link("datasets/acme/up.parquet", "../../../../etc/shadow"),
    link("datasets/acme/hard.parquet", "/data/portal.sqlite3", tarfile.LNKTYPE),
])
def test_a_link_is_refused(member):
    refused(build(good_members() + [(member.name, member)]), "unsafe member .*a link")


def test_a_directory_or_device_is_refused():
    folder = tarfile.TarInfo("datasets/acme")
    folder.type = tarfile.DIRTYPE
    refused(build(good_members() + [(folder.name, folder)]), "not a regular file")
    device = tarfile.TarInfo("datasets/acme/null")
    device.type = tarfile.CHRTYPE
    refused(build(good_members() + [(device.name, device)]), "not a regular file")


def test_an_archive_without_a_manifest_is_refused():
    refused(build(good_members(), manifest=b""), "the first member is 'portal.sqlite3', not manifest.json")


@pytest.mark.parametrize("change, message", [
    ({"version": 2}, "format version 2; this restore knows version 1"),
    ({"version": None}, "format version None"),
    ({"format": "something-else"}, "not a partner-portal-backup manifest"),
    ({"project": None}, "has no 'project'"),
    ({"files": {}}, "lists no portal.sqlite3"),
    ({"files": {"portal.sqlite3": {"sha256": "not hex", "size": 1}}}, "no valid sha256 and size for portal.sqlite3"),
    ({"files": {"portal.sqlite3": {"sha256": "0" * 64, "size": -1}}}, "no valid sha256 and size"),
])
def test_a_bad_manifest_is_refused(change, message):
    members = good_members()
    refused(build(members, manifest_for(members, **change)), message)


def test_a_manifest_that_is_not_json_is_refused():
    refused(build(good_members(), manifest=b"{not json"), "manifest.json is not valid JSON")


def test_garbage_after_the_archive_is_refused(archive):
    refused(archive.read_bytes() + b"appended", "truncated or damaged")


def test_the_command_names_the_file_and_what_is_wrong(archive, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(archive.read_bytes()[:-100])))
    status, said = run("restore", "--check", "--name", "/srv/backups/damaged.tar.gz", "-")
    assert status == 1
    assert "error: /srv/backups/damaged.tar.gz is refused: it is truncated or damaged: " in said


# How a restore swaps the data in -------------------------------------------------------------

@pytest.fixture
def target(tmp_path):
    """A stopped stack's volumes with other data in them, and what a crashed run may leave."""
    data, datasets = tmp_path / "target" / "data", tmp_path / "target" / "datasets"
    (datasets / "acme").mkdir(parents=True)
    (datasets / "initech").mkdir()
    data.mkdir()
    (datasets / "acme" / "a1.parquet").write_bytes(b"other content")
    (datasets / "initech" / "i1.parquet").write_bytes(b"initech")
    (datasets / backups.STAGED_DATASETS / "acme").mkdir(parents=True)
    (datasets / backups.STAGED_DATASETS / "acme" / "stale.parquet").write_bytes(b"stale")
    with sqlite3.connect(data / "portal.sqlite3") as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE other (n INTEGER)")
    db.close()
    (data / "portal.sqlite3-wal").write_bytes(b"a stale write-ahead log")
    (data / "portal.sqlite3-shm").write_bytes(b"stale shared memory")
    return data / "portal.sqlite3", datasets


def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def restore(archive, target):
    with open(archive, "rb") as stream:
        return backups.restore(stream, *target)


def test_a_restore_makes_the_volumes_the_archives(archive, live, target):
    database, datasets = target
    restore(archive, target)
    expected = {k: v for k, v in tree(live).items() if ".incoming-" not in k}
    assert tree(datasets) == expected
    assert sorted(p.name for p in database.parent.iterdir()) == ["portal.sqlite3"]
    with sqlite3.connect(database) as db:
        paths = db.execute(f"SELECT path FROM {Dataset._meta.db_table} ORDER BY path").fetchall()
    db.close()
    assert paths == [("acme/a1.parquet",), ("acme/a2.parquet",), ("globex/g1.parquet",)]


def test_a_restore_run_twice_gives_the_same_result(archive, target):
    restore(archive, target)
    first = tree(target[0].parent), tree(target[1])
    restore(archive, target)
    assert (tree(target[0].parent), tree(target[1])) == first


def test_a_restore_of_a_damaged_archive_changes_nothing(archive, target, tmp_path):
    database, datasets = target
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(archive.read_bytes()[:-200])
    before = tree(database.parent), tree(datasets)
    with pytest.raises(ArchiveError):
        restore(damaged, target)
    stale = before[1].pop(f"{backups.STAGED_DATASETS}/acme/stale.parquet")
    assert stale and (tree(database.parent), tree(datasets)) == before


def test_modes_and_times_of_dataset_files_come_back(archive, live, target):
    source = live / "acme" / "a1.parquet"
    restore(archive, target)
    restored = target[1] / "acme" / "a1.parquet"
    assert restored.stat().st_mode == source.stat().st_mode
    assert int(restored.stat().st_mtime) == int(source.stat().st_mtime)

