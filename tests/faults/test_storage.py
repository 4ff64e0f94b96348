"""What partners stored survives storage trouble: a full datasets volume in the middle of an
upload, and the whole stack taken down and brought up again. Steady partner traffic runs through
each fault and is counted. The down-and-up test comes last: it replaces every container."""
import io
import json
import re
import secrets
import subprocess
import time
import uuid

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from support.fresh import new_partner, wait_healthy
from support.logins import login
from support.summary import note
from support.traffic import Traffic
from support.uploads import form_errors, internal_catalog, small_csv, stored_state, upload

REPORT = "faults: requests sent and failed while each fault happened"
# The partner's folder becomes a filesystem of this size: far less than the upload needs.
FULL_SIZE = "64k"


def in_django(stack, code):
    """Run Python in the django container as its own user; returns what it printed, parsed as JSON."""
    return json.loads(stack.compose("exec", "-T", "django", "python", "-c", code).stdout)


def files_in(stack, folder):
    """The names in a folder as the django container sees it (with its mounts)."""
    return in_django(stack, f"import json, os; print(json.dumps(os.listdir({folder!r})))")


def random_csv(megabytes):
    """Text that compresses badly, so its Parquet stays large too; over 2 MB Django spools it to disk."""
    rows = []
    size = 0
    while size < megabytes * 1024 * 1024:
        row = f"{len(rows)},{uuid.uuid4().hex}{uuid.uuid4().hex},{secrets.randbelow(10**9)}\n"
        rows.append(row)
        size += len(row)
    return ("id,token,amount\n" + "".join(rows)).encode()


def upload_temp_files(stack):
    """Django's spooled uploads (tmpXXXX.upload.csv) in its upload folder (DJANGO_UPLOAD_DIR)."""
    return set(in_django(stack, "import json, os; folder = os.environ['DJANGO_UPLOAD_DIR']; "
                                "print(json.dumps([n for n in os.listdir(folder) if '.upload' in n]))"))


@pytest.fixture(autouse=True)
def healthy_before_and_after(stack):
    wait_healthy(stack)
    yield
    wait_healthy(stack)


def test_an_upload_into_a_full_datasets_volume_gets_a_clear_error_and_leaves_nothing(stack, request):
    partner = new_partner(stack, "full-volume")
    slug, session = partner.slug, partner.session
    folder = f"/datasets/{slug}"
    # The partner's folder as a first upload leaves it: there, owned by the portal's user.
    owner = in_django(stack, f"import json, os; os.makedirs({folder!r}, exist_ok=True); "
                             f"s = os.stat({folder!r}); print(json.dumps([s.st_uid, s.st_gid]))")
    temp_before = upload_temp_files(stack)
    (django,) = stack.container_names("django")
    pid = subprocess.run(["docker", "inspect", "-f", "{{.State.Pid}}", django], check=True, capture_output=True,
                         text=True).stdout.strip()
    # A real full filesystem, in the django container's own mount namespace only.
    subprocess.run(["nsenter", "-t", pid, "-m", "mount", "-t", "tmpfs", "-o",
                    f"size={FULL_SIZE},uid={owner[0]},gid={owner[1]},mode=0755", "tmpfs", folder], check=True)
    try:
        with Traffic(stack.url, ["/"], cookies=partner.cookies) as traffic:
            stack.wait_until("steady traffic", lambda: traffic.sent >= 20, timeout=60)
            response = upload(session, stack.url, random_csv(3), name="does not fit")
            stack.wait_until("traffic after the upload", lambda: traffic.sent >= 60, timeout=60)
        left = files_in(stack, folder)
    finally:
        subprocess.run(["nsenter", "-t", pid, "-m", "umount", folder], check=True)
    note(request.config, REPORT, f"datasets volume full during an upload: {traffic.summary()}")
    assert response.status_code == 200, f"the upload got {response.status_code}, not the form with an error"
    errors = " ".join(form_errors(response.text))
    assert re.search(r"\b(full|space)\b", errors, re.I), f"the error does not say the storage is full: {errors!r}"
    nothing_stored = re.search(r"\b(not|nothing)\b.*\b(stored|saved)\b", errors, re.I)
    assert nothing_stored, f"the error does not say that nothing was stored: {errors!r}"
    # Clear words for the partner: no error numbers or server paths.
    assert "errno" not in errors.lower() and "/datasets" not in errors, errors
    assert left == [], f"the failed upload left files in the partner's folder: {left}"
    assert internal_catalog(stack, slug)["datasets"] == [], "the failed upload left a dataset row"
    assert upload_temp_files(stack) <= temp_before, "the failed upload left Django's temporary file"
    assert not traffic.failures(), traffic.summary()
    # With room again, the same partner uploads at once.
    assert upload(session, stack.url, small_csv(), name="fits now").status_code == 302
    (stored,) = internal_catalog(stack, slug)["datasets"]
    assert files_in(stack, folder) == [stored["path"].split("/")[1]]


def parquet_bytes():
    table = pa.table({"지역": ["서울", "부산", "대구"], "amount": [1.5, 2.25, None], "code": ["007", "010", "999"]})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def test_down_then_up_keeps_every_partner_user_and_dataset_byte_identical(stack, request):
    partner = new_partner(stack, "persist")
    slug, session = partner.slug, partner.session
    korean = "지역,금액,메모\n서울,100,=SUM(A1)\n부산,250,\"쉼표, 포함\"\n".encode("cp949")
    for name, content, filename in [("cp949 sales", korean, "sales.csv"), ("parquet", parquet_bytes(), "p.parquet"),
                                    ("plain", small_csv(rows=500), "plain.csv")]:
        stored = upload(session, stack.url, content, name=name, filename=filename)
        assert stored.status_code == 302, form_errors(stored.text)
    before = stored_state(stack)
    ours = [row for row in before["datasets"] if row[0] == slug]
    assert len(ours) == 3
    assert all(row[-1] == row[-2] for row in before["datasets"]), "a stored file does not match its checksum"
    downloads = {d["id"]: session.get(f"{stack.url}/datasets/{d['id']}/download/").content
                 for d in internal_catalog(stack, slug)["datasets"]}

    with Traffic(stack.url, ["/"], cookies=partner.cookies, rate=10, max_seconds=900) as traffic:
        stack.wait_until("steady traffic", lambda: traffic.sent >= 20, timeout=60)
        started = time.monotonic()
        down = stack.compose("down", "--timeout", "10", check=False)
        assert down.returncode == 0, down.stderr
        up = stack.ops("up", timeout=900)
        assert up.returncode == 0, up.stdout[-2000:] + up.stderr[-2000:]
        recovered = stack.wait_until("partner traffic to be served again", lambda: traffic.recovered_at(started),
                                     timeout=120)
        stack.wait_until("steady traffic after ops/up",
                         lambda: len([o for o in traffic.outcomes if o.started > recovered]) >= 20, timeout=60)
    note(request.config, REPORT, f"docker compose down, then ops/up: {traffic.summary()}; "
                                 f"served again {recovered - started:.1f} s after down began")

    after = stored_state(stack)
    for part in ("partners", "users", "memberships", "datasets", "files"):
        assert after[part] == before[part], f"{part} changed across down and up"
    # The traffic's session cookie worked again after up (sessions are in the database), and a
    # fresh login with the same password works too.
    again = login(stack.url, partner.username, partner.password)
    for dataset_id, content in downloads.items():
        assert again.get(f"{stack.url}/datasets/{dataset_id}/download/").content == content
