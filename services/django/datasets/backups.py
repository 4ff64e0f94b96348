"""Backup archives of the portal: what the backup command writes, and what the restore command
checks and unpacks (ops/backup and ops/restore run them in the django image).

An archive is one gzipped tar holding, in this order and nothing else (no directories, no links):

    manifest.json              format, version, when, which compose project, what the database
                               holds, and the sha256 and size of every other file
    portal.sqlite3             an online SQLite backup of the portal's database
    datasets/<partner>/<file>  every file in DATASETS_DIR

The manifest comes first, so an archive is written and read as one stream; it is checked through
and through (every file's sha256 and size, nothing extra or unsafe, the gzip trailer) before a
restore swaps anything in.
"""
import contextlib
import datetime
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import stat
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection

from partners.models import Partner

from .files import TEMP_PREFIX, fsync_dir
from .models import Dataset, DatasetVersion

FORMAT = "partner-portal-backup"
VERSION = 1
KNOWN_VERSIONS = (1,)
MANIFEST = "manifest.json"
DATABASE = "portal.sqlite3"
DATASETS = "datasets/"
# Where a restore stages the archive's content beside the live data: renames, not copies, swap it in.
STAGED_DATABASE = ".restore-portal.sqlite3"
STAGED_DATASETS = ".restore-new"
REPLACED_DATASETS = ".restore-old"
MANIFEST_MAX_BYTES = 16 << 20
CHUNK = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")
READ_ERRORS = (OSError, EOFError, tarfile.TarError, zlib.error)


class ArchiveError(Exception):
    """The archive cannot be trusted; the message says what is wrong with it."""


class BackupError(Exception):
    """A backup could not be made; the message says why."""


def human(size):
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000


def describe(manifest):
    files = manifest["files"]
    datasets = [entry["size"] for name, entry in files.items() if name.startswith(DATASETS)]
    counts = manifest.get("summary")
    counts = counts if isinstance(counts, dict) else {}
    rows = ", ".join(f"{counts[k]} {k}" for k in ("partners", "users", "datasets") if k in counts)
    return (f"{len(files)} files, {human(sum(e['size'] for e in files.values()))}: "
            f"database {human(files[DATABASE]['size'])}" + (f" ({rows})" if rows else "")
            + f", {len(datasets)} dataset files {human(sum(datasets))}")


def copy(source, target=None):
    """Reads a file object to its end, writing it to `target` if given. Returns (sha256, size)."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


# What an archive may hold ------------------------------------------------------------------------

def check_name(name):
    """Refuses a member name that could land outside the restore's folders, or is not ours."""
    parts = name.split("/")
    if not name or name.startswith("/") or "\\" in name or "\0" in name:
        raise ArchiveError(f"unsafe member {name!r}: an absolute or malformed path")
    if ".." in parts:
        raise ArchiveError(f"unsafe member {name!r}: a path with '..'")
    if any(part in ("", ".") for part in parts):
        raise ArchiveError(f"unsafe member {name!r}: not a plain relative path")
    if name not in (MANIFEST, DATABASE) and not (name.startswith(DATASETS) and len(parts) > 1):
        raise ArchiveError(f"unexpected member {name!r}: a backup holds only {MANIFEST}, {DATABASE} and {DATASETS}…")


def check_member(member):
    check_name(member.name)
    if member.issym() or member.islnk():
        raise ArchiveError(f"unsafe member {member.name!r}: a link (to {member.linkname!r}); a backup holds only files")
    if not member.isfile():
        raise ArchiveError(f"unexpected member {member.name!r}: not a regular file; a backup holds only files")


def parse_manifest(raw):
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise ArchiveError(f"{MANIFEST} is not valid JSON ({error})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveError(f"{MANIFEST} is not a {FORMAT} manifest")
    version = manifest.get("version")
    if version not in KNOWN_VERSIONS:
        known = ", ".join(map(str, KNOWN_VERSIONS))
        raise ArchiveError(f"{MANIFEST} has format version {version!r}; this restore knows version {known}")
    for field in ("created", "project"):
        if not isinstance(manifest.get(field), str):
            raise ArchiveError(f"{MANIFEST} has no {field!r}")
    files = manifest.get("files")
    if not isinstance(files, dict) or DATABASE not in files:
        raise ArchiveError(f"{MANIFEST} lists no {DATABASE}")
    for name, entry in files.items():
        check_name(name)
        if name == MANIFEST:
            raise ArchiveError(f"{MANIFEST} lists itself")
        valid = (isinstance(entry, dict) and isinstance(entry.get("sha256"), str) and SHA256.match(entry["sha256"])
                 and type(entry.get("size")) is int and entry["size"] >= 0)
        if not valid:
            raise ArchiveError(f"{MANIFEST} has no valid sha256 and size for {name}")
    return manifest


# Writing a backup of the live portal -------------------------------------------------------------

def write_backup(out, project, say):
    """Writes an archive of the live portal to the binary stream `out`; returns its manifest.

    Files first, then the database. A file uploaded in between has its row in the copy but is not
    in the first pass: it is fetched next. One deleted in between is still read, for it stays open
    from the first pass; its row may be gone from the copy, which leaves a file without a row: the
    portal ignores it (and sweepdatasets removes it).
    """
    root = settings.DATASETS_DIR
    with contextlib.ExitStack() as held:
        sources = {}
        for relative in dataset_files(root):
            opened = open_dataset(root, relative, held)
            if opened is not None:
                sources[DATASETS + relative] = opened
        say(f"copying the datasets volume: {len(sources)} files")
        say("copying the database (SQLite online backup: writers carry on)")
        fd, temp = tempfile.mkstemp(prefix="portal-backup-", suffix=".sqlite3")
        held.callback(os.unlink, temp)
        os.close(fd)
        paths, summary = copy_database(temp)
        late = sorted(path for path in paths if DATASETS + path not in sources)
        if late:
            say(f"copying {len(late)} dataset file(s) uploaded during the backup")
        for relative in late:
            opened = open_dataset(root, relative, held)
            if opened is None:
                raise BackupError(f"{root / relative} was deleted during the backup: run the backup again")
            sources[DATASETS + relative] = opened
        database = held.enter_context(open(temp, "rb"))
        now = int(time.time())
        # The archive's database is a new file: the mode and time of a fresh one, not the temporary's.
        sources = {DATABASE: (database, 0o644, now), **dict(sorted(sources.items()))}
        manifest = {"format": FORMAT, "version": VERSION,
                    "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    "project": project, "summary": summary, "files": {}}
        for name, (content, _, _) in sources.items():
            sha256, size = copy(content)
            manifest["files"][name] = {"sha256": sha256, "size": size}
        say(f"writing the archive: {describe(manifest)}")
        with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=6, mtime=now) as gz, \
                tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as archive:
            body = json.dumps(manifest, indent=2).encode() + b"\n"
            archive.addfile(member_info(MANIFEST, len(body), 0o644, now), io.BytesIO(body))
            for name, (content, mode, mtime) in sources.items():
                content.seek(0)
                archive.addfile(member_info(name, manifest["files"][name]["size"], mode, mtime), content)
        out.flush()
    return manifest


def dataset_files(root):
    """The files in DATASETS_DIR relative to it, sorted; uploads still being written are left out."""
    for folder, folders, names in os.walk(root):
        folders.sort()
        for name in sorted(names):
            if not name.startswith(TEMP_PREFIX):
                yield (Path(folder) / name).relative_to(root).as_posix()


def open_dataset(root, relative, held):
    """(open file, mode, mtime) of a dataset file, kept open until the archive is written; None if
    it is gone. Dataset files are never changed in place, so what is open is what is archived."""
    path = root / relative
    try:
        check_name(DATASETS + relative)
    except ArchiveError as error:
        raise BackupError(f"cannot back {path} up: {error}") from None
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            raise BackupError(f"{path} is not a regular file; the datasets volume should hold only files")
        content = held.enter_context(open(path, "rb"))
    except FileNotFoundError:
        return None
    return content, info.st_mode, int(info.st_mtime)


def copy_database(target):
    """Copies the live database into the file `target` with SQLite's backup API; returns the paths of
    the dataset files the copy names (kept versions' included) and the counts it holds.

    The backup API copies in one step under one read lock: in WAL mode writers carry on meanwhile.
    (Not inside transaction.atomic: the portal's transactions take the write lock at BEGIN.)
    """
    try:
        connection.ensure_connection()
        with contextlib.closing(sqlite3.connect(target)) as made:
            connection.connection.backup(made)
            # A plain rollback-journal file: the archive's copy is one self-contained file.
            made.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in made.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"the copy of the database fails SQLite's integrity check: {'; '.join(problems[:5])}")
        # The models' own queries, run on the copy: what it holds, not what the live database holds now.
        read_only = f"{Path(target).absolute().as_uri()}?mode=ro"
        with contextlib.closing(sqlite3.connect(read_only, uri=True)) as copied:
            current = {path for path, in rows(copied, Dataset.objects.values_list("path"))}
            kept = {path for path, in rows(copied, DatasetVersion.objects.values_list("path"))}
            summary = {"partners": len(rows(copied, Partner.objects.values_list("pk"))),
                       "users": len(rows(copied, get_user_model().objects.values_list("pk"))),
                       "datasets": len(current)}
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy the database: {error}") from None
    return current | kept, summary


def rows(db, queryset):
    return db.execute(*queryset.query.sql_with_params()).fetchall()


def member_info(name, size, mode, mtime):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode & 0o755, mtime
    return info


# Reading an archive ------------------------------------------------------------------------------

def read_archive(stream, destination=None):
    """Checks a whole archive in one pass and returns its manifest; raises ArchiveError.

    With `destination`, a function from member name to a Path, each file is also written there
    as it is checked: on ArchiveError the caller throws what was written away.
    """
    gz = gzip.GzipFile(fileobj=stream, mode="rb")
    try:
        manifest, seen = read_members(gz, destination)
        # The tar reader stops at its end-of-archive marker: reading on to the end of the gzip
        # stream is what checks its CRC and length, so a cut-off or altered tail is found too.
        drain(gz)
    except ArchiveError as error:
        # Damage shows first as nonsense inside the archive; the gzip check, read on, says so.
        try:
            drain(gz)
        except READ_ERRORS as damage:
            raise ArchiveError(f"it is truncated or damaged: {damage} (first seen as: {error})") from None
        raise
    except READ_ERRORS as error:
        raise ArchiveError(f"it is truncated or damaged: {error}") from None
    if manifest is None:
        raise ArchiveError(f"it holds no {MANIFEST}")
    absent = sorted(set(manifest["files"]) - seen)
    if absent:
        shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
        raise ArchiveError(f"{len(absent)} file(s) listed in {MANIFEST} are missing from the archive: {shown}")
    return manifest


def drain(gz):
    while gz.read(CHUNK):
        pass


def read_members(gz, destination):
    manifest, seen = None, set()
    with tarfile.open(fileobj=gz, mode="r|") as tar:
        for member in tar:
            check_member(member)
            name = member.name
            if manifest is None:
                if name != MANIFEST:
                    raise ArchiveError(f"the first member is {name!r}, not {MANIFEST}")
                if member.size > MANIFEST_MAX_BYTES:
                    raise ArchiveError(f"{MANIFEST} is implausibly large ({human(member.size)})")
                manifest = parse_manifest(tar.extractfile(member).read())
                continue
            if name == MANIFEST or name in seen:
                raise ArchiveError(f"{name} appears twice in the archive")
            expected = manifest["files"].get(name)
            if expected is None:
                raise ArchiveError(f"{name} is in the archive but not in {MANIFEST}")
            if member.size != expected["size"]:
                raise ArchiveError(f"{name} is {member.size} bytes; {MANIFEST} says {expected['size']}")
            sha256 = write_member(tar.extractfile(member), member, destination(name) if destination else None)
            if sha256 != expected["sha256"]:
                raise ArchiveError(f"{name} has sha256 {sha256[:16]}…; {MANIFEST} says {expected['sha256'][:16]}…")
            seen.add(name)
    return manifest, seen


def write_member(source, member, path):
    if path is None:
        return copy(source)[0]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as target:
        sha256 = copy(source, target)[0]
        target.flush()
        os.fsync(target.fileno())
    os.chmod(path, member.mode & 0o755)
    os.utime(path, (member.mtime, member.mtime))
    return sha256


# Restoring into a stopped portal -----------------------------------------------------------------

def restore(stream, database, datasets_root):
    """Replaces the database and the datasets folder with the archive's, checking it as it goes.

    Everything is first written beside the live data; only once the whole archive has checked
    out are the old files swapped for the new by renames. Leftovers of an interrupted run are
    cleared first, so running it again is always safe.
    """
    database, datasets_root = Path(database), Path(datasets_root)
    staged_db = database.parent / STAGED_DATABASE
    staged_sets, replaced_sets = datasets_root / STAGED_DATASETS, datasets_root / REPLACED_DATASETS
    for leftover in (staged_db, staged_sets, replaced_sets):
        remove(leftover)
    staged_sets.mkdir()

    def destination(name):
        return staged_db if name == DATABASE else staged_sets / name[len(DATASETS):]

    try:
        manifest = read_archive(stream, destination)
    except BaseException:
        remove(staged_db)
        remove(staged_sets)
        raise
    # A stale -wal beside the new file would be replayed into it on the next open: remove first.
    for suffix in ("-wal", "-shm", "-journal"):
        database.with_name(database.name + suffix).unlink(missing_ok=True)
    os.replace(staged_db, database)
    fsync_dir(database.parent)
    replaced_sets.mkdir()
    for entry in sorted(datasets_root.iterdir()):
        if entry.name not in (STAGED_DATASETS, REPLACED_DATASETS):
            entry.rename(replaced_sets / entry.name)
    for entry in sorted(staged_sets.iterdir()):
        entry.rename(datasets_root / entry.name)
    fsync_dir(datasets_root)
    remove(staged_sets)
    remove(replaced_sets)
    return manifest


def remove(path):
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
