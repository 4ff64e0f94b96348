"""Backup archives (ops/lib/backup.py) without Docker: what ops/backup writes, what ops/restore
refuses before it touches anything, and how a restore swaps the data in."""
import gzip
import hashlib
import importlib.util
import io
import json
import sqlite3
import tarfile
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("backup", ROOT / "ops" / "lib" / "backup.py")
backup = importlib.util.module_from_spec(spec)
spec.loader.exec_module(backup)

ArchiveError = backup.ArchiveError
PARQUET = b"PAR1" + bytes(range(256)) * 40 + b"PAR1"


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def make_database(path, dataset_paths):
    """The tables a backup reads, in WAL mode like the portal's."""
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE partners_partner (id INTEGER PRIMARY KEY, slug TEXT)")
        db.execute("CREATE TABLE auth_user (id INTEGER PRIMARY KEY, username TEXT)")
        db.execute("CREATE TABLE datasets_dataset (id INTEGER PRIMARY KEY, path TEXT)")
        db.executemany("INSERT INTO partners_partner (slug) VALUES (?)", [("acme",), ("globex",)])
        db.execute("INSERT INTO auth_user (username) VALUES ('kim')")
        db.executemany("INSERT INTO datasets_dataset (path) VALUES (?)", [(p,) for p in dataset_paths])
    db.close()


@pytest.fixture
def live(tmp_path):
    """A stack's volumes: data/portal.sqlite3 and datasets/<partner>/<file>."""
    data, datasets = tmp_path / "data", tmp_path / "datasets"
    data.mkdir()
    (datasets / "acme").mkdir(parents=True)
    (datasets / "globex").mkdir()
    (datasets / "acme" / "a1.parquet").write_bytes(PARQUET)
    (datasets / "acme" / "a2.parquet").write_bytes(PARQUET[::-1])
    (datasets / "globex" / "g1.parquet").write_bytes(b"globex" * 1000)
    (datasets / "acme" / ".incoming-abc.parquet").write_bytes(b"half an upload")
    make_database(data / "portal.sqlite3", ["acme/a1.parquet", "acme/a2.parquet", "globex/g1.parquet"])
    return data / "portal.sqlite3", datasets


def take_backup(live, work, target, force=False):
    """What ops/backup does, the container's part included."""
    database, datasets = live
    work.mkdir(exist_ok=True)
    with open(work / "datasets.tar", "wb") as out:
        backup.dump_datasets(datasets, out)
    with open(work / "portal.sqlite3", "wb") as out:
        backup.dump_database(database, out)
    return backup.pack(target, work / "portal.sqlite3", [work / "datasets.tar"], "test-project", work, force)


@pytest.fixture
def archive(live, tmp_path):
    target = tmp_path / "backup.tar.gz"
    take_backup(live, tmp_path / "work", target)
    return target


def build(members, manifest=None):
    """A .tar.gz from (name, content or TarInfo) pairs, with a manifest listing the regular files
    first unless `manifest` (a dict, or bytes) is given; returns its bytes."""
    if manifest is None:
        files = {name: {"sha256": sha256(body), "size": len(body)} for name, body in members if isinstance(body, bytes)}
        manifest = {"format": backup.FORMAT, "version": 1, "created": "2026-01-01T00:00:00+00:00",
                    "project": "p", "files": files}
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        body = manifest if isinstance(manifest, bytes) else json.dumps(manifest).encode()
        entries = [] if manifest == b"" else [(backup.MANIFEST, body)]
        for name, content in entries + list(members):
            if isinstance(content, tarfile.TarInfo):
                tar.addfile(content)
            else:
                info = tarfile.TarInfo(name)
                info.size = len(content)
                tar.addfile(info, io.BytesIO(content))
    return raw.getvalue()


def good_members():
    return [(backup.DATABASE, b"SQLite format 3\0" + b"x" * 5000), ("datasets/acme/a1.parquet", PARQUET)]


def refused(data, match):
    with pytest.raises(ArchiveError, match=match):
        backup.read_archive(io.BytesIO(data))


def link(name, target, kind=tarfile.SYMTYPE):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


# What ops/backup writes ---------------------------------------------------------------------

def test_the_archive_holds_a_manifest_first_then_the_database_and_every_dataset_file(archive, live):
    database, datasets = live
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile(backup.MANIFEST))
    assert names == ["manifest.json", "portal.sqlite3", "datasets/acme/a1.parquet", "datasets/acme/a2.parquet",
                     "datasets/globex/g1.parquet"]
    assert manifest["format"] == backup.FORMAT and manifest["version"] == 1
    assert manifest["project"] == "test-project" and manifest["created"].endswith("+00:00")
    assert manifest["summary"] == {"partners": 2, "users": 1, "datasets": 3}
    assert manifest["files"]["datasets/acme/a1.parquet"] == {"sha256": sha256(PARQUET), "size": len(PARQUET)}
    assert set(manifest["files"]) == set(names[1:])
    assert backup.verify(archive) == manifest


def test_the_database_copy_is_one_checked_self_contained_file(archive, tmp_path):
    with tarfile.open(archive) as tar:
        tar.extract(backup.DATABASE, tmp_path / "out")
    copy = tmp_path / "out" / backup.DATABASE
    with sqlite3.connect(copy) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert db.execute("SELECT slug FROM partners_partner ORDER BY id").fetchall() == [("acme",), ("globex",)]
    db.close()


def test_the_online_copy_is_consistent_while_a_writer_commits(live, tmp_path):
    database, _ = live
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE pairs (n INTEGER)")
    db.close()
    stop = threading.Event()

    def write():
        # Every transaction adds two rows: a consistent copy always holds an even number.
        with sqlite3.connect(database, timeout=30) as db:
            while not stop.is_set():
                with db:
                    db.executemany("INSERT INTO pairs VALUES (?)", [(1,), (2,)])
        db.close()

    writer = threading.Thread(target=write)
    writer.start()
    try:
        counts = []
        for attempt in range(5):
            copy = tmp_path / f"copy{attempt}.sqlite3"
            with open(copy, "wb") as out:
                backup.dump_database(database, out)
            with sqlite3.connect(copy) as db:
                counts.append(db.execute("SELECT count(*) FROM pairs").fetchone()[0])
            db.close()
    finally:
        stop.set()
        writer.join()
    assert all(count % 2 == 0 for count in counts)


def test_uploads_in_progress_are_left_out(archive):
    with tarfile.open(archive) as tar:
        assert not any(".incoming-" in name for name in tar.getnames())


def test_a_file_uploaded_after_the_datasets_pass_is_found_missing(live, tmp_path):
    database, datasets = live
    with open(tmp_path / "datasets.tar", "wb") as out:
        backup.dump_datasets(datasets, out)
    (datasets / "acme" / "late.parquet").write_bytes(b"late")
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO datasets_dataset (path) VALUES ('acme/late.parquet')")
    db.close()
    assert backup.missing(database, [tmp_path / "datasets.tar"]) == ["acme/late.parquet"]
    with open(tmp_path / "late.tar", "wb") as out:
        backup.dump_datasets(datasets, out, ["acme/late.parquet"])
    assert backup.missing(database, [tmp_path / "datasets.tar", tmp_path / "late.tar"]) == []


def test_a_database_naming_a_file_no_pass_copied_gives_no_archive(live, tmp_path):
    database, datasets = live
    with sqlite3.connect(database) as db:
        db.execute("INSERT INTO datasets_dataset (path) VALUES ('acme/gone.parquet')")
    db.close()
    target = tmp_path / "backup.tar.gz"
    with pytest.raises(backup.BackupError, match="changed during the backup.*run ops/backup again"):
        take_backup(live, tmp_path / "work", target)
    assert not target.exists()
    assert not (tmp_path / "work" / "archive.tar.gz").exists()


def test_an_existing_file_is_replaced_only_when_forced(live, tmp_path):
    target = tmp_path / "backup.tar.gz"
    target.write_bytes(b"an older backup")
    with pytest.raises(backup.BackupError, match="pass --force"):
        take_backup(live, tmp_path / "work1", target)
    assert target.read_bytes() == b"an older backup"
    take_backup(live, tmp_path / "work2", target, force=True)
    assert backup.verify(target)["project"] == "test-project"


# What ops/restore refuses before it touches anything ----------------------------------------

def test_a_well_formed_archive_checks_out():
    manifest = backup.read_archive(io.BytesIO(build(good_members())))
    assert set(manifest["files"]) == {backup.DATABASE, "datasets/acme/a1.parquet"}


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
    manifest = json.loads(json.dumps({"format": backup.FORMAT, "version": 1, "created": "t", "project": "p",
                                      "files": {n: {"sha256": sha256(b), "size": len(b)} for n, b in members}}))
    manifest["files"]["datasets/acme/a1.parquet"]["sha256"] = sha256(b"something else")
    refused(build(members, manifest), r"datasets/acme/a1.parquet has sha256 .* manifest.json says")


def test_a_size_that_does_not_match_the_manifest_is_refused():
    members = good_members()
    manifest = {"format": backup.FORMAT, "version": 1, "created": "t", "project": "p",
                "files": {n: {"sha256": sha256(b), "size": len(b) + 1} for n, b in members}}
    refused(build(members, manifest), r"portal.sqlite3 is \d+ bytes; manifest.json says")


def test_a_file_listed_in_the_manifest_but_absent_is_refused():
    members = good_members()
    manifest = {"format": backup.FORMAT, "version": 1, "created": "t", "project": "p",
                "files": {n: {"sha256": sha256(b), "size": len(b)} for n, b in members}}
    refused(build(members[:1], manifest), r"1 file\(s\) listed in manifest.json are missing.*datasets/acme/a1.parquet")


def test_a_file_not_in_the_manifest_is_refused():
    members = good_members()
    manifest = {"format": backup.FORMAT, "version": 1, "created": "t", "project": "p",
                "files": {n: {"sha256": sha256(b), "size": len(b)} for n, b in members[:1]}}
    refused(build(members, manifest), "datasets/acme/a1.parquet is in the archive but not in manifest.json")


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
    manifest = {"format": backup.FORMAT, "version": 1, "created": "t", "project": "p",
                "files": {n: {"sha256": sha256(b), "size": len(b)} for n, b in members}, **change}
    refused(build(members, manifest), message)


def test_a_manifest_that_is_not_json_is_refused():
    refused(build(good_members(), manifest=b"{not json"), "manifest.json is not valid JSON")


def test_garbage_after_the_archive_is_refused(archive):
    refused(archive.read_bytes() + b"appended", "truncated or damaged")


def test_the_command_names_the_file_and_what_is_wrong(archive, capsys):
    damaged = archive.with_name("damaged.tar.gz")
    damaged.write_bytes(archive.read_bytes()[:-100])
    assert backup.main(["verify", str(damaged)]) == 1
    assert f"error: {damaged} is refused: it is truncated or damaged: " in capsys.readouterr().err


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
    (datasets / backup.STAGED_DATASETS / "acme").mkdir(parents=True)
    (datasets / backup.STAGED_DATASETS / "acme" / "stale.parquet").write_bytes(b"stale")
    make_database(data / "portal.sqlite3", ["initech/i1.parquet"])
    (data / "portal.sqlite3-wal").write_bytes(b"a stale write-ahead log")
    (data / "portal.sqlite3-shm").write_bytes(b"stale shared memory")
    return data / "portal.sqlite3", datasets


def tree(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def restore(archive, target):
    with open(archive, "rb") as stream:
        return backup.restore(stream, *target)


def test_a_restore_makes_the_volumes_the_archives(archive, live, target):
    database, datasets = target
    restore(archive, target)
    expected = {k: v for k, v in tree(live[1]).items() if ".incoming-" not in k}
    assert tree(datasets) == expected
    assert sorted(p.name for p in database.parent.iterdir()) == ["portal.sqlite3"]
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT path FROM datasets_dataset ORDER BY id").fetchall() == [
            ("acme/a1.parquet",), ("acme/a2.parquet",), ("globex/g1.parquet",)]
    db.close()


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
    stale = before[1].pop(f"{backup.STAGED_DATASETS}/acme/stale.parquet")
    assert stale and (tree(database.parent), tree(datasets)) == before


def test_modes_and_times_of_dataset_files_come_back(archive, live, target):
    source = live[1] / "acme" / "a1.parquet"
    restore(archive, target)
    restored = target[1] / "acme" / "a1.parquet"
    assert restored.stat().st_mode == source.stat().st_mode
    assert int(restored.stat().st_mtime) == int(source.stat().st_mtime)


def test_a_link_on_the_datasets_volume_stops_the_backup(live, tmp_path):
    (live[1] / "acme" / "escape.parquet").symlink_to("/etc/passwd")
    with pytest.raises(backup.BackupError, match="escape.parquet is not a regular file"):
        take_backup(live, tmp_path / "work", tmp_path / "backup.tar.gz")
    assert not (tmp_path / "backup.tar.gz").exists()


def test_the_command_says_what_it_wrote(live, tmp_path, capsys):
    database, datasets = live
    work = tmp_path / "work"
    work.mkdir()
    with open(work / "datasets.tar", "wb") as out:
        backup.dump_datasets(datasets, out)
    with open(work / "portal.sqlite3", "wb") as out:
        backup.dump_database(database, out)
    target = tmp_path / "backup.tar.gz"
    assert backup.main(["pack", "--project", "p", "--work", str(work), str(target), str(work / "portal.sqlite3"),
                        str(work / "datasets.tar")]) == 0
    said = capsys.readouterr().err
    assert f"wrote {target} (" in said
    assert "4 files" in said and "(2 partners, 1 users, 3 datasets), 3 dataset files" in said
    assert sorted(p.name for p in work.iterdir()) == ["datasets.tar", "portal.sqlite3"]
