"""Backup archives of the portal: what ops/backup writes and what ops/restore checks and unpacks.

An archive is one gzipped tar holding, in this order and nothing else (no directories, no links):

    manifest.json              format, version, when, which compose project, and the sha256 and
                               size of every other file
    portal.sqlite3             an online SQLite backup of the portal's database
    datasets/<partner>/<file>  every file on the datasets volume

Standard library only, for it runs in three places: in the running django container
(dump-database, dump-datasets), on the host (missing, pack, verify), and in a throwaway django
container over the stopped stack's volumes (restore). ops/backup and ops/restore pass this
file's source to the containers, so the image needs nothing of it.
"""
import argparse
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
import sys
import tarfile
import tempfile
import time
import zlib
from pathlib import Path

FORMAT = "partner-portal-backup"
VERSION = 1
KNOWN_VERSIONS = (1,)
MANIFEST = "manifest.json"
DATABASE = "portal.sqlite3"
DATASETS = "datasets/"
# What an upload writes before its row commits (datasets/files.py): never part of a backup.
INCOMING_PREFIX = ".incoming-"
# Where restore stages the archive's content beside the live data: renames, not copies, swap it in.
STAGED_DATABASE = ".restore-portal.sqlite3"
STAGED_DATASETS = ".restore-new"
REPLACED_DATASETS = ".restore-old"
MANIFEST_MAX_BYTES = 16 << 20
CHUNK = 1 << 20
SHA256 = re.compile(r"^[0-9a-f]{64}$")


class ArchiveError(Exception):
    """The archive cannot be trusted; the message says what is wrong with it."""


class BackupError(Exception):
    """A backup could not be made; the message says why."""


def say(message):
    print(f"==> {message}", file=sys.stderr)


def human(size):
    for unit in ("B", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000


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


def check_member(member, name=None):
    name = name or member.name
    check_name(name)
    if member.issym() or member.islnk():
        raise ArchiveError(f"unsafe member {name!r}: a link (to {member.linkname!r}); a backup holds only files")
    if not member.isfile():
        raise ArchiveError(f"unexpected member {name!r}: not a regular file; a backup holds only files")


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


def copy(source, target=None):
    """Reads a file object to its end, writing it to `target` if given. Returns (sha256, size)."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


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


READ_ERRORS = (OSError, EOFError, tarfile.TarError, zlib.error)


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


def verify(path):
    with open(path, "rb") as stream:
        return read_archive(stream)


def describe(manifest):
    files = manifest["files"]
    datasets = [entry["size"] for name, entry in files.items() if name.startswith(DATASETS)]
    counts = manifest.get("summary")
    counts = counts if isinstance(counts, dict) else {}
    rows = ", ".join(f"{counts[k]} {k}" for k in ("partners", "users", "datasets") if k in counts)
    return (f"{len(files)} files, {human(sum(e['size'] for e in files.values()))}: "
            f"database {human(files[DATABASE]['size'])}" + (f" ({rows})" if rows else "")
            + f", {len(datasets)} dataset files {human(sum(datasets))}")


# In the running django container ------------------------------------------------------------

def dump_database(database, out):
    """Writes a consistent copy of the live database to `out`, made with SQLite's backup API.

    The copy is made in one step under a read transaction: in WAL mode writers carry on meanwhile.
    It goes through a temporary file (under /tmp, a tmpfs in the container) because the backup API
    writes to a database, not a stream.
    """
    fd, temp = tempfile.mkstemp(prefix="portal-backup-", suffix=".sqlite3")
    os.close(fd)
    try:
        with contextlib.closing(sqlite3.connect(Path(database).absolute().as_uri() + "?mode=rw", uri=True,
                                                timeout=60)) as source, \
                contextlib.closing(sqlite3.connect(temp)) as made:
            source.backup(made)
            # A plain rollback-journal file: the archive's copy is one self-contained file.
            made.execute("PRAGMA journal_mode=DELETE")
            problems = [row[0] for row in made.execute("PRAGMA integrity_check")]
        if problems != ["ok"]:
            raise BackupError(f"the copy of {database} fails SQLite's integrity check: {'; '.join(problems[:5])}")
        with open(temp, "rb") as copied:
            shutil.copyfileobj(copied, out, CHUNK)
        out.flush()
    except sqlite3.Error as error:
        raise BackupError(f"cannot copy {database}: {error}") from None
    finally:
        os.unlink(temp)


def dump_datasets(root, out, only=()):
    """Writes the datasets folder (or just the `only` paths in it) to `out` as an uncompressed tar.

    Uploads in progress are left out, and so is a file deleted while this runs: its row is gone
    too, or ops/backup notices.
    """
    root = Path(root)
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        for relative in (only or dataset_files(root)):
            path = root / relative
            try:
                check_name(DATASETS + relative)
                info = tar.gettarinfo(path, arcname=relative)
                if not info.isfile():
                    raise BackupError(f"{path} is not a regular file; the datasets volume should hold only files")
                with open(path, "rb") as content:
                    tar.addfile(info, content)
            except ArchiveError as error:
                raise BackupError(f"cannot back {path} up: {error}") from None
            except FileNotFoundError:
                if only:
                    raise BackupError(f"{path} was deleted during the backup: run ops/backup again") from None


def dataset_files(root):
    for folder, folders, names in os.walk(root):
        folders.sort()
        for name in sorted(names):
            if not name.startswith(INCOMING_PREFIX):
                yield (Path(folder) / name).relative_to(root).as_posix()


# On the host ----------------------------------------------------------------------------------

def open_copy(database):
    # immutable: reading the copy must never write to it, nor leave -wal or -shm files beside it.
    return sqlite3.connect(Path(database).absolute().as_uri() + "?mode=ro&immutable=1", uri=True)


def dataset_rows(database):
    with open_copy(database) as db:
        return {row[0] for row in db.execute("SELECT path FROM datasets_dataset")}


def summary(database):
    with open_copy(database) as db:
        tables = {"partners": "partners_partner", "users": "auth_user", "datasets": "datasets_dataset"}
        return {key: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for key, table in tables.items()}


def dataset_tar_files(tars):
    """{archive name: (tar, member)} of the files in the dataset tars; a later tar wins."""
    found = {}
    for tar in tars:
        for member in tar:
            name = DATASETS + member.name
            try:
                check_member(member, name)
            except ArchiveError as error:
                raise BackupError(f"the datasets volume holds something a backup cannot: {error}") from None
            found[name] = (tar, member)
    return found


def lacking(database, tars):
    """Dataset files the database copy names but the dataset tars lack (uploaded in between)."""
    return sorted(set(DATASETS + path for path in dataset_rows(database)) - set(dataset_tar_files(tars)))


def missing(database, tar_paths):
    with contextlib.ExitStack() as stack:
        tars = [stack.enter_context(tarfile.open(path)) for path in tar_paths]
        return [name[len(DATASETS):] for name in lacking(database, tars)]


def pack(target, database, tar_paths, project, work, force=False):
    """Writes the archive into `work`, checks it by reading it back, then moves it to `target`."""
    target, work = Path(target), Path(work)
    with contextlib.ExitStack() as stack:
        tars = [stack.enter_context(tarfile.open(path)) for path in tar_paths]
        late = lacking(database, tars)
        if late:
            raise BackupError(f"dataset files changed during the backup ({', '.join(late[:3])}): run ops/backup again")
        sources = {DATABASE: None, **dict(sorted(dataset_tar_files(tars).items()))}
        manifest = {"format": FORMAT, "version": VERSION,
                    "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                    "project": project, "summary": summary(database), "files": {}}
        for name, source in sources.items():
            with open_source(database, source) as content:
                sha256, size = copy(content)
            manifest["files"][name] = {"sha256": sha256, "size": size}
        made = work / "archive.tar.gz"
        now = int(time.time())
        with open(made, "xb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=now) as gz, \
                tarfile.open(fileobj=gz, mode="w|", format=tarfile.PAX_FORMAT) as archive:
            body = json.dumps(manifest, indent=2).encode() + b"\n"
            archive.addfile(file_info(MANIFEST, len(body), 0o644, now), io.BytesIO(body))
            for name, source in sources.items():
                mode, mtime = (0o644, now) if source is None else (source[1].mode, int(source[1].mtime))
                with open_source(database, source) as content:
                    archive.addfile(file_info(name, manifest["files"][name]["size"], mode, mtime), content)
    try:
        verify(made)
    except ArchiveError as error:
        raise BackupError(f"the archive just written does not read back: {error}") from None
    if force:
        os.replace(made, target)
    else:
        try:
            os.link(made, target)
        except FileExistsError:
            raise BackupError(f"{target} appeared during the backup: pass --force to replace it") from None
        os.unlink(made)
    return manifest


def open_source(database, source):
    if source is None:
        return open(database, "rb")
    tar, member = source
    return tar.extractfile(member)


def file_info(name, size, mode, mtime):
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, mode & 0o755, mtime
    return info


# In a throwaway django container over the stopped stack's volumes ----------------------------

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


def fsync_dir(folder):
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="backup.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("dump-database", help="(django container) the database's online copy to stdout")
    command.add_argument("--database", default=os.environ.get("DJANGO_DB_PATH"))
    command = commands.add_parser("dump-datasets", help="(django container) the datasets folder as a tar to stdout")
    command.add_argument("--root", default=os.environ.get("DATASETS_DIR", "/datasets"))
    command.add_argument("only", nargs="*", help="just these paths, relative to the root")
    command = commands.add_parser("missing", help="dataset files the database copy names but the tars lack")
    command.add_argument("database")
    command.add_argument("tars", nargs="+")
    command = commands.add_parser("pack", help="write, check and place the archive")
    command.add_argument("--project", required=True)
    command.add_argument("--work", required=True, help="a folder beside FILE for the archive until it is complete")
    command.add_argument("--force", action="store_true")
    command.add_argument("file")
    command.add_argument("database")
    command.add_argument("tars", nargs="+")
    command = commands.add_parser("verify", help="check an archive through and through")
    command.add_argument("file")
    command = commands.add_parser("restore", help="(throwaway django container) restore the archive read from stdin")
    command.add_argument("--database", default=os.environ.get("DJANGO_DB_PATH"))
    command.add_argument("--datasets", default=os.environ.get("DATASETS_DIR", "/datasets"))
    args = parser.parse_args(argv)

    try:
        if args.command == "dump-database":
            if not args.database:
                parser.error("--database is required where DJANGO_DB_PATH is not set")
            dump_database(args.database, sys.stdout.buffer)
        elif args.command == "dump-datasets":
            dump_datasets(args.root, sys.stdout.buffer, args.only)
        elif args.command == "missing":
            for name in missing(args.database, args.tars):
                print(name)
        elif args.command == "pack":
            manifest = pack(args.file, args.database, args.tars, args.project, args.work, args.force)
            say(f"wrote {args.file} ({human(os.path.getsize(args.file))}, read back and checked): {describe(manifest)}")
        elif args.command == "verify":
            manifest = verify(args.file)
            say(f"{args.file} checks out: a backup of project {manifest['project']} made {manifest['created']}")
            say(describe(manifest))
        elif args.command == "restore":
            if not args.database:
                parser.error("--database is required where DJANGO_DB_PATH is not set")
            manifest = restore(sys.stdin.buffer, args.database, args.datasets)
            say(f"restored {describe(manifest)}")
    except ArchiveError as error:
        print(f"error: {getattr(args, 'file', 'the archive')} is refused: {error}", file=sys.stderr)
        return 1
    except BackupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except sqlite3.Error as error:
        print(f"error: the database copy cannot be read: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
