"""Checking and storing a partner's uploaded table; the reading itself runs in a child process.

`examine` checks the whole file against the dataset limits and describes it (a Layout) with what
its preview shows (Findings), or raises IngestError with a message that says what is wrong and
where; `inspect` is the Layout alone. `store` writes the
described file as Parquet into the partner's folder and commits its Dataset row in the same
step. Both take the path of the file, so uploads (always spooled to disk) and the importdataset
command share one path.

How much memory reading takes is up to the file, so reading and converting run in a child
process (datasets.child, the code in datasets.reading) bounded to DATASET_INGEST_MEMORY_MB: a
file that needs more fails there with a clear message, and the Gunicorn worker, which keeps the
transaction and the final rename, is never at risk. At most INGEST_SLOTS children run at once,
so together they fit beside the workers within the container's memory limit.
"""
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from . import files, versions
from .models import Dataset
from .reading import Findings, IngestError, Layout, Limits, Options

CHILD = [sys.executable, "-m", "datasets.child"]
INGEST_SLOTS = 2
# The child needs no secrets and no settings. It reads on one thread with one malloc arena:
# every extra thread's stack and arena would count against its memory limit for nothing. Arrow
# allocates through malloc, which fails as an ordinary MemoryError at the limit (its own
# allocators reserve big regions up front); a rare crash there is reported as memory too.
# glibc reads MALLOC_ARENA_MAX as the process starts, so it is set here and not by the child.
CHILD_ENVIRONMENT = {
    "ARROW_DEFAULT_MEMORY_POOL": "system",
    "MALLOC_ARENA_MAX": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "PYTHONDONTWRITEBYTECODE": "1",
}

OUT_OF_MEMORY = gettext_lazy(
    "Reading this file needs more memory than the portal gives one upload ({megabytes} MB, "
    "DATASET_INGEST_MEMORY_MB), so nothing was stored. Upload a smaller file, or one with fewer columns."
)
KILLED = gettext_lazy(
    "The portal ran short of memory while reading this file, so nothing was stored. Please try "
    "again in a few minutes, and tell the portal staff if it keeps happening."
)
FAILED = gettext_lazy(
    "The portal could not read this file just now, and nothing was stored. Please try again in a "
    "moment, and tell the portal staff if it keeps happening."
)

log = logging.getLogger(__name__)


def _limits():
    return Limits(
        columns=settings.DATASET_MAX_COLUMNS,
        rows=settings.DATASET_MAX_ROWS,
        cell_bytes=settings.DATASET_MAX_CELL_BYTES,
        memory_bytes=settings.DATASET_MAX_MEMORY_MB * 2**20,
    )


def examine(path, options=Options()):
    """Checks the whole file and describes it with what its preview shows: (Layout, Findings),
    or raises IngestError."""
    size = os.path.getsize(path)
    if size == 0:
        raise IngestError(gettext("The file is empty."))
    if size > settings.UPLOAD_MAX_MB * 1024 * 1024:
        raise IngestError(
            gettext("The file is {size:.1f} MB ({bytes:,} bytes); the limit is {limit} MB.").format(
                size=size / 2**20, bytes=size, limit=settings.UPLOAD_MAX_MB
            )
        )
    answer = _in_child({"action": "examine", "source": os.path.abspath(path), "options": options.to_json()})
    return Layout.from_json(answer["layout"]), Findings.from_json(answer["findings"])


def inspect(path, options=Options()):
    """Checks the whole file and describes it, or raises IngestError."""
    return examine(path, options)[0]


def store(path, layout, partner, *, name, description="", uploaded_by=None, replacing=None):
    """Writes the inspected file as Parquet into the partner's folder and commits its row.

    The file is written under a temporary name in the same folder, synced, and renamed inside
    the transaction that saves the row. On any failure neither a row nor a file remains (a
    process killed on the way leaves a temporary file that sweepdatasets removes at start).
    With `replacing` (a dataset of this partner), that dataset gets the new file as its next
    version, `name` and `description` included; the file it had is kept as an old version
    (datasets.versions), and the versions beyond DATASET_VERSIONS_KEPT go after the commit.
    Raises Dataset.DoesNotExist if that dataset was deleted in the meantime.
    """
    folder = settings.DATASETS_DIR / partner.slug
    folder.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=files.TEMP_PREFIX, suffix=".parquet", dir=folder)
    os.close(fd)
    relative = files.new_path(partner.slug)
    final = settings.DATASETS_DIR / relative
    try:
        _convert(path, layout, temp)
        os.chmod(temp, 0o644)  # Streamlit reads it as another user
        with open(temp, "rb") as written:
            sha256 = hashlib.file_digest(written, "sha256").hexdigest()
            os.fsync(written.fileno())
        with transaction.atomic(durable=True):
            if replacing:
                # Read again under the write lock, so that a version stored meanwhile is kept too.
                dataset = Dataset.objects.get(pk=replacing.pk, partner_id=partner.id)
                number = versions.next_number(dataset)
                versions.keep_current(dataset)
            else:
                dataset = Dataset(partner_id=partner.id)
                number = 1
            dataset.number = number
            dataset.name = name
            dataset.description = description
            dataset.path = relative
            dataset.rows = layout.rows
            # The kinds inspect decided, the very ones the written file's types carry.
            dataset.columns = [{"name": column, "type": kind} for column, kind in layout.columns]
            dataset.size_bytes = os.path.getsize(temp)
            dataset.sha256 = sha256
            dataset.uploaded_by = uploaded_by
            dataset.uploaded_at = timezone.now()
            dataset.save()
            os.replace(temp, final)
            files.fsync_dir(folder)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        final.unlink(missing_ok=True)
        raise
    return dataset


def _convert(path, layout, target):
    request = {"source": os.path.abspath(path), "layout": layout.to_json(), "target": os.path.abspath(target)}
    _in_child({"action": "convert", **request})


def _in_child(request):
    """Runs one request in a fresh child process and returns its answer; raises IngestError for
    a refused file or a child that died, OSError for a disk that failed under it."""
    # The child words its refusals in the request's language, from the same catalog.
    request = {
        **request,
        "limits": asdict(_limits()),
        "language": translation.get_language() or settings.LANGUAGE_CODE,
        "locale_dir": str(settings.LOCALE_PATHS[0]),
    }
    with _slot():
        returncode, output, errors = _run_child(json.dumps(request))
    try:
        answer = json.loads(output)
    except ValueError:
        log.error("The ingest child ended with %s and no answer: %s", returncode, errors[-4000:])
        # Killed (the OOM killer), or crashed on an allocation that failed: memory either way.
        raise IngestError(str(KILLED if returncode < 0 else FAILED)) from None
    if "refused" in answer:
        raise IngestError(answer["refused"])
    if answer.get("out_of_memory"):
        log.warning("The ingest child ran out of memory: %s", errors[-4000:])
        raise IngestError(OUT_OF_MEMORY.format(megabytes=settings.DATASET_INGEST_MEMORY_MB))
    if "os_error" in answer:
        number = answer["os_error"]
        raise OSError(number, os.strerror(number) if number else errors.strip())
    return answer


def _run_child(request):
    """One run of the child: (its exit code, what it wrote to standard output and error)."""
    environment = {"PATH": os.environ.get("PATH", ""), **CHILD_ENVIRONMENT}
    child = subprocess.run(
        [*CHILD, str(settings.DATASET_INGEST_MEMORY_MB)],
        input=request,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        env=environment,
    )
    return child.returncode, child.stdout, child.stderr


@contextlib.contextmanager
def _slot():
    """One of INGEST_SLOTS places for a child, shared by every process of the container (the
    workers and management commands) through lock files in the upload folder; waits for one
    when all are taken. The kernel lets a lock go with its process, so none is ever stuck."""
    folder = Path(settings.FILE_UPLOAD_TEMP_DIR)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    locks = [os.open(folder / f"{files.SLOT_PREFIX}{number}", os.O_RDWR | os.O_CREAT, 0o600)
             for number in range(INGEST_SLOTS)]
    try:
        for fd in locks:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue
            yield
            return
        # Workers wait on different slots, so a slot that frees takes one of them.
        fcntl.flock(locks[os.getpid() % INGEST_SLOTS], fcntl.LOCK_EX)
        yield
    finally:
        for fd in locks:
            os.close(fd)
