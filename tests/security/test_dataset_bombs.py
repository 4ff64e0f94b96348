"""Small files that expand without bound. Each is uploaded as a partner would: it is refused with
a message that names the limit, no Gunicorn worker dies, django's memory stays where it was, and
nothing is left behind. A file over the analytics' limits that reached the datasets volume all
the same (imported while the portal's limits were higher) is refused by the replica with its
message, and the replica's memory stays where it was too."""
import base64
import datetime as dt
import io
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support.fresh import new_partner
from support.streamlit_session import StreamlitSession
from support.summary import count
from support.uploads import form_errors, internal_catalog, upload

BAD_INPUTS = "bad inputs tried"
MEMORY_SLACK = 50 * 2**20
# What Gunicorn logs when the kernel or its own timeout kills a worker; and what the portal logs
# when the reading child dies or runs out of memory: a bomb must be refused by the limits, not by luck.
DEATHS = re.compile(r"SIGKILL|Perhaps out of memory|WORKER TIMEOUT|The ingest child", re.I)

# The memory of a container as its probe measures it (its cgroup's working set).
WORKING_SET = ("from portal_probe.cgroup import open_cgroup; "
               "print(open_cgroup().memory().working_set_bytes)")
# The files an upload may leave behind: in the partner's folder and in the upload folder.
LEFTOVERS = r"""
import json, os
from django.conf import settings
folder = settings.DATASETS_DIR / {slug!r}
print(json.dumps({{
    "partner": sorted(os.listdir(folder)) if folder.is_dir() else [],
    "uploads": sorted(n for n in os.listdir(settings.FILE_UPLOAD_TEMP_DIR) if not n.startswith(".ingest-slot-")),
}}))
"""


def parquet(table):
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd")
    return out.getvalue()


def one_long_string():
    return parquet(pa.table({"x": ["a" * 2**26]}))


def csv_of_columns(columns):
    return (",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("1" for _ in range(columns)) + "\n").encode()


def thirty_million_rows():
    return parquet(pa.table({"n": pa.repeat(pa.scalar(0, pa.int8()), 30_000_000)}))


def value_just_over(stack):
    cell = stack.setting("DATASET_MAX_CELL_BYTES")
    return b"id,note\n1," + b"x" * (cell + 1) + b"\n"


# (what it is, its file name, its bytes given the stack, the words the refusal must hold given the stack)
BOMBS = [
    ("one 64 MiB string in a few KB of Parquet", "string.parquet", lambda stack: one_long_string(),
     lambda stack: f"Column 1 (“x”) holds a value longer than {stack.setting('DATASET_MAX_CELL_BYTES'):,} "
                   f"bytes (64.0 MB of data for 1 value); the portal takes at most "
                   f"{stack.setting('DATASET_MAX_CELL_BYTES'):,} bytes in one value (DATASET_MAX_CELL_BYTES)."),
    ("a CSV of 100,000 columns", "wide.csv", lambda stack: csv_of_columns(100_000),
     lambda stack: f"The file has 100,000 columns; the portal takes at most "
                   f"{stack.setting('DATASET_MAX_COLUMNS'):,} (DATASET_MAX_COLUMNS)."),
    ("a CSV of 20,000 columns", "wide.csv", lambda stack: csv_of_columns(20_000),
     lambda stack: f"The file has 20,000 columns; the portal takes at most "
                   f"{stack.setting('DATASET_MAX_COLUMNS'):,} (DATASET_MAX_COLUMNS)."),
    ("30 million rows in a few hundred KB of Parquet", "long.parquet", lambda stack: thirty_million_rows(),
     lambda stack: f"The file has 30,000,000 rows; the portal takes at most "
                   f"{stack.setting('DATASET_MAX_ROWS'):,} (DATASET_MAX_ROWS)."),
    ("a value one byte over the cell limit", "long-value.csv", value_just_over,
     lambda stack: f"a value of more than {stack.setting('DATASET_MAX_CELL_BYTES'):,} bytes; the portal "
                   f"takes at most {stack.setting('DATASET_MAX_CELL_BYTES'):,} bytes in one value "
                   "(DATASET_MAX_CELL_BYTES)."),
]


def working_set(stack, container):
    return int(stack.host(container).check_output(f'python3 -c "{WORKING_SET}"'))


def leftovers(stack, slug):
    return json.loads(stack.manage("shell", "-v", "0", "-c", LEFTOVERS.format(slug=slug)))


def deaths_since(stack, since):
    out = stack.compose("logs", "--no-color", "--since", since, "django").stdout
    return [line for line in out.splitlines() if DEATHS.search(line)]


def now():
    return dt.datetime.now(dt.timezone.utc).isoformat()


@pytest.fixture(scope="module")
def bomber(stack):
    return new_partner(stack, "bomber")


@pytest.mark.parametrize("what, filename, content, words", BOMBS, ids=[bomb[0] for bomb in BOMBS])
def test_an_upload_that_expands_without_bound_is_refused_and_changes_nothing(
    stack, request, bomber, what, filename, content, words
):
    count(request.config, BAD_INPUTS, "dataset bombs uploaded", 1)
    body = content(stack)
    assert len(body) < 2 * 2**20, f"{what} is meant to be a small file, not {len(body):,} bytes"
    (django,) = stack.container_names("django")
    since, before = now(), working_set(stack, django)

    response = upload(bomber.session, stack.url, body, name=what, filename=filename)

    assert response.status_code == 200 or 400 <= response.status_code < 500, response.status_code
    errors = " ".join(form_errors(response.text)) if response.status_code == 200 else response.text
    assert words(stack) in errors, f"the refusal does not say which limit: {errors!r}"
    assert internal_catalog(stack, bomber.slug)["datasets"] == [], "a refused upload stored a dataset"
    stack.wait_until("no file left by the upload",
                     lambda: leftovers(stack, bomber.slug) == {"partner": [], "uploads": []}, timeout=30)
    assert not deaths_since(stack, since), deaths_since(stack, since)
    stack.wait_until(f"django's memory within 50 MB of the {before / 2**20:.0f} MB before the upload",
                     lambda: working_set(stack, django) <= before + MEMORY_SLACK, timeout=60)


def import_despite_the_limits(stack, slug, name, content, **raised):
    """Imports a file with importdataset while the portal's limits are raised for that one command,
    as an operator may have done, or as a dataset taken before the limits were lowered."""
    write = "import base64, sys; open('/tmp/import.parquet', 'wb').write(base64.b64decode(sys.stdin.read()))"
    put = stack.compose("exec", "-T", "django", "python", "-c", write, input=base64.b64encode(content).decode(),
                        check=False)
    assert put.returncode == 0, put.stderr
    environment = [item for key, value in raised.items() for item in ("-e", f"{key}={value}")]
    try:
        result = stack.compose("exec", "-T", *environment, "django", "python", "manage.py", "importdataset", slug,
                               "/tmp/import.parquet", "--name", name, check=False)
    finally:
        stack.compose("exec", "-T", "django", "rm", "-f", "/tmp/import.parquet", check=False)
    assert result.returncode == 0, result.stderr


def over_the_memory_budget(stack):
    """Half as much again as the stack's budget: 100-byte texts, 104 bytes each in memory."""
    rows = stack.setting("DATASET_MAX_MEMORY_MB") * 2**20 * 3 // 2 // 104
    return parquet(pa.table({"note": pa.repeat(pa.scalar("n" * 100), rows)}))


# (what it is, its bytes given the stack, the limits raised to import it, the words of the analytics' refusal)
STORED_ANYWAY = [
    ("over the memory budget", over_the_memory_budget, {"DATASET_MAX_MEMORY_MB": "4096"}, "(DATASET_MAX_MEMORY_MB)"),
    ("one 8 MiB string", lambda stack: parquet(pa.table({"x": ["a" * 2**23]})), {"DATASET_MAX_CELL_BYTES": str(2**24)},
     "(DATASET_MAX_CELL_BYTES)"),
]


@pytest.mark.parametrize("what, content, raised, words", STORED_ANYWAY, ids=[case[0] for case in STORED_ANYWAY])
def test_a_stored_dataset_over_the_analytics_limits_is_refused_by_the_replica(stack, request, what, content, raised,
                                                                               words):
    count(request.config, BAD_INPUTS, "oversized datasets opened in the analytics", 1)
    partner = new_partner(stack, "stored-bomb")
    import_despite_the_limits(stack, partner.slug, what, content(stack), **raised)
    replicas = stack.container_names("streamlit")
    before = {replica: working_set(stack, replica) for replica in replicas}

    app = StreamlitSession(stack.url, cookies=partner.cookies)
    try:
        app.rerun()
        shown = " ".join(app.texts())
    finally:
        app.close()

    assert f"The dataset “{what}” cannot be shown." in shown and words in shown, shown
    for replica in replicas:
        stack.wait_until(f"{replica}'s memory within 50 MB of the {before[replica] / 2**20:.0f} MB before",
                         lambda: working_set(stack, replica) <= before[replica] + MEMORY_SLACK, timeout=60)
