"""Backups against the running stack: ops/backup while partners work, the volumes wiped,
ops/restore, and every partner, login and dataset back byte for byte; damaged archives are refused
and change nothing.

The tests run in order and take the stack down and up several times (a few minutes on a small
host). The stack is left up and healthy, holding the restored data.
"""
import io
import json
import re
import secrets
import shutil
import tarfile
import threading
import time

import pytest

from support.logins import create_partner_user, login
from support.summary import note
from support.traffic import Traffic
from support.uploads import small_csv, stored_state, upload

REPORT = "faults: requests sent and failed while each fault happened"
PORTAL_UID = 10001

# sha256, owner and mode of every file under the folders given, read inside a container.
FINGERPRINT = """
import hashlib, json, os, sys
found = {}
for root in sys.argv[1:]:
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            info = os.stat(path)
            found[path] = [digest, info.st_uid, oct(info.st_mode & 0o777)]
print(json.dumps(found, sort_keys=True))
"""


def fingerprint(stack, service="django", folders=("/data", "/datasets")):
    """The files of the running stack's volumes, as a container of `service` reads them."""
    return json.loads(stack.compose("exec", "-T", service, "python3", "-c", FINGERPRINT, *folders).stdout)


# The sha256 of each dataset version's file as a replica fetches it from django's internal API.
FETCHED = """
import hashlib, json, os, sys, urllib.request
slug_of = json.loads(sys.argv[1])
out = []
for version, slug in slug_of:
    request = urllib.request.Request(f"http://django:8000/internal/partners/{slug}/datasets/{version}",
                                     headers={"Authorization": "Bearer " + os.environ["INTERNAL_API_TOKEN"], "Host": "localhost"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        out.append(hashlib.sha256(reply.read()).hexdigest())
print(json.dumps(out))
"""


def fetched_checksums(stack, versions_and_slugs):
    return json.loads(stack.compose("exec", "-T", "streamlit", "python3", "-c", FETCHED,
                                    json.dumps(versions_and_slugs)).stdout)


def fingerprint_stopped(stack):
    """The files of the stopped stack's volumes, read byte for byte by a throwaway container."""
    return json.loads(stack.compose("run", "--rm", "--no-deps", "-T", "--entrypoint", "python3", "django", "-c",
                                    FINGERPRINT, "/data", "/datasets").stdout)


def all_healthy(stack):
    return all(stack.healthy(service) for service in ("nginx", "django", "streamlit"))


def sales_csv(seed, count):
    regions = ["서울", "부산", "대구", "인천", "광주", "대전"]
    lines = ["지역,품목 코드,매출,날짜"]
    for n in range(count):
        lines.append(f"{regions[(n * seed) % 6]},{(n * 7 + seed) % 1000:03d},{(n * 37 * seed) % 100000 / 100},"
                     f"2026-{n % 12 + 1:02d}-{n % 28 + 1:02d}")
    return "\n".join(lines) + "\n"


def import_dataset(stack, slug, name, csv):
    """importdataset, as ops run it. The file is streamed in through exec: `docker compose cp`
    cannot write into a container whose root filesystem is read-only, its /tmp tmpfs included."""
    temp = f"/tmp/{secrets.token_hex(6)}.csv"
    stack.compose("exec", "-T", "django", "sh", "-c", 'cat >"$1"', "sh", temp, input=csv)
    try:
        stack.manage("importdataset", slug, temp, "--name", name)
    finally:
        stack.compose("exec", "-T", "django", "rm", "-f", temp)


def without(state, slug):
    """A stored state without one partner's datasets and files (those the traffic changes)."""
    return {**state, "datasets": [row for row in state["datasets"] if row[0] != slug],
            "files": {path: digest for path, digest in state["files"].items() if not path.startswith(f"{slug}/")}}


class Uploads:
    """A partner uploading new datasets and deleting old ones, one after the other, through nginx:
    the writes to the database and the datasets volume that a backup must not tear apart."""

    def __init__(self, stack, session, deletable):
        self.stack, self.session, self.deletable = stack, session, list(deletable)
        self.outcomes = []  # (started, what, error or "")
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True, name="uploads")

    def run(self):
        number = 0
        while not self.stopping.is_set():
            number += 1
            self.attempt("upload", lambda: upload(self.session, self.stack.url, small_csv(200, f"t{number}"),
                                                  name=f"traffic {number}", filename=f"traffic-{number}.csv"))
            if self.deletable:
                pk = self.deletable.pop()
                path = f"{self.stack.url}/datasets/{pk}/delete/"
                self.attempt("delete", lambda: self.session.post(
                    path, data={"csrfmiddlewaretoken": self.session.cookies["csrftoken"]},
                    headers={"Referer": path}, allow_redirects=False, timeout=60))
            self.stopping.wait(0.3)

    def attempt(self, what, send):
        started = time.monotonic()
        try:
            status = send().status_code
            error = "" if status == 302 else f"HTTP {status}"
        except Exception as problem:  # no answer at all: lost
            error = type(problem).__name__
        self.outcomes.append((started, what, error))

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join(timeout=120)

    def between(self, start, end):
        return [(what, error) for started, what, error in self.outcomes if start <= started <= end]

    def summary(self):
        failed = [o for o in self.outcomes if o[2]]
        kinds = ", ".join(f"{sum(o[1] == k for o in self.outcomes)} {k}s" for k in ("upload", "delete"))
        return f"{len(self.outcomes)} writes ({kinds}), {len(failed)} failed"


@pytest.fixture(scope="module", autouse=True)
def left_up_and_healthy(stack):
    yield
    if not all_healthy(stack):
        up = stack.ops("up", timeout=900)
        assert up.returncode == 0, up.stderr[-2000:]


@pytest.fixture(scope="module")
def seeded(stack):
    """Two partners with two users and two datasets each, made with the management commands;
    and a traffic partner, logged in, with datasets to delete while the backup runs."""
    run = secrets.token_hex(2)
    slugs = [f"backup{run}-acme", f"backup{run}-globex"]
    users = {}
    for number, slug in enumerate(slugs, start=1):
        first = create_partner_user(stack, slug, f"Backup {number} 주식회사")
        password = secrets.token_urlsafe(16)
        stack.manage("addpartneruser", slug, f"{slug}-second", "--password-stdin", input=password + "\n")
        users[slug] = [first, (f"{slug}-second", password)]
        import_dataset(stack, slug, "매출 2025", sales_csv(number, 30000))
        import_dataset(stack, slug, f"small {number}", sales_csv(number + 10, 50))
    traffic_slug = f"backup{run}-traffic"
    session = login(stack.url, *create_partner_user(stack, traffic_slug, "Backup Traffic"))
    for number in range(4):
        assert upload(session, stack.url, small_csv(100, f"old{number}"), name=f"old {number}").status_code == 302
    deletable = json.loads(stack.manage(
        "shell", "-v", "0", "-c", "import json; from datasets.models import Dataset; "
        f"print(json.dumps(list(Dataset.objects.filter(partner__slug={traffic_slug!r}).values_list('id', flat=True))))"))
    assert len(deletable) == 4
    return {"slugs": slugs, "users": users, "traffic_slug": traffic_slug, "session": session, "deletable": deletable}


@pytest.fixture(scope="module")
def backup(stack, seeded, tmp_path_factory, request):
    """ops/backup while the traffic partner browses, uploads and deletes; and what the stack held
    when it began."""
    state = stored_state(stack)
    files = fingerprint(stack)
    target = tmp_path_factory.mktemp("backups") / "portal.tar.gz"
    session = seeded["session"]
    with Traffic(stack.url, ["/"], cookies={"sessionid": session.cookies["sessionid"]}, rate=10,
                 max_seconds=600) as traffic, Uploads(stack, session, seeded["deletable"]) as writes:
        stack.wait_until("steady traffic", lambda: traffic.sent >= 10 and writes.outcomes, timeout=120)
        started = time.monotonic()
        result = stack.ops("backup", str(target))
        ended = time.monotonic()
    late = re.search(r"copying (\d+) dataset file", result.stderr)
    note(request.config, REPORT, f"ops/backup ({ended - started:.1f} s): {traffic.summary()}; {writes.summary()}, "
                                 f"{len(writes.between(started, ended))} of them during the backup; "
                                 f"{late.group(1) if late else 0} files uploaded meanwhile fetched after the database copy")
    return {"file": target, "result": result, "state": state, "files": files, "traffic": traffic, "writes": writes,
            "during": (started, ended)}


def manifest_of(path):
    with tarfile.open(path) as tar:
        return json.load(tar.extractfile("manifest.json"))


def test_a_backup_while_partners_work_writes_one_checked_archive(stack, seeded, backup):
    result = backup["result"]
    assert result.returncode == 0, result.stderr
    assert f"wrote {backup['file']}" in result.stderr
    manifest = manifest_of(backup["file"])
    assert manifest["format"] == "partner-portal-backup" and manifest["version"] == 1
    assert manifest["project"] == stack.project
    assert f"{len(manifest['files'])} files" in result.stderr
    assert "portal.sqlite3" in manifest["files"]
    # Every seeded dataset file is in it with the checksum it has on the volume.
    ours = {path: entry[0] for path, entry in backup["files"].items()
            if path.split("/")[2] in seeded["slugs"]}
    assert len(ours) == 4
    for path, digest in ours.items():
        assert manifest["files"][path.removeprefix("/")]["sha256"] == digest
    # Partners kept working: nothing failed, and the writes went on while the backup ran.
    assert not backup["traffic"].failures(), backup["traffic"].summary()
    assert not [o for o in backup["writes"].outcomes if o[2]], backup["writes"].summary()
    assert backup["writes"].between(*backup["during"]), "no upload or delete ran during the backup"


def test_an_existing_archive_is_replaced_only_with_force(stack, backup):
    before = backup["file"].read_bytes()
    refused = stack.ops("backup", str(backup["file"]))
    assert refused.returncode != 0
    assert "exists: pass --force to replace it" in refused.stderr
    assert backup["file"].read_bytes() == before
    other = backup["file"].with_name("other.tar.gz")
    shutil.copy(backup["file"], other)
    forced = stack.ops("backup", "--force", str(other))
    assert forced.returncode == 0, forced.stderr
    assert manifest_of(other)["created"] and other.read_bytes() != before
    # Nothing else was left beside the archives.
    assert sorted(p.name for p in other.parent.iterdir()) == ["other.tar.gz", "portal.tar.gz"]


def test_restore_refuses_a_running_stack(stack, backup):
    result = stack.ops("restore", str(backup["file"]))
    assert result.returncode != 0
    assert "the stack is running" in result.stderr and "ops/down" in result.stderr
    assert stack.healthy("django")


def damaged_copies(archive, folder):
    """{what: (path, what the refusal says)}: the archive with bytes flipped, cut short, with a
    manifest whose checksum of a dataset file is wrong, and with a link out of the volume added."""
    data = archive.read_bytes()
    flipped = bytearray(data)
    for offset in range(len(data) // 2, len(data) // 2 + 16):
        flipped[offset] ^= 0xFF

    def rewritten(change_manifest=None, extra=None):
        out = io.BytesIO()
        with tarfile.open(archive) as source, tarfile.open(fileobj=out, mode="w:gz") as tar:
            for member in source:
                content = source.extractfile(member).read()
                if member.name == "manifest.json" and change_manifest:
                    manifest = json.loads(content)
                    change_manifest(manifest)
                    content = json.dumps(manifest).encode()
                    member.size = len(content)
                tar.addfile(member, io.BytesIO(content))
            if extra:
                tar.addfile(extra)
        return out.getvalue()

    def wrong_checksum(manifest):
        name = next(n for n in manifest["files"] if n.startswith("datasets/"))
        manifest["files"][name]["sha256"] = "0" * 64

    link = tarfile.TarInfo("datasets/escape.parquet")
    link.type, link.linkname = tarfile.SYMTYPE, "../../etc/passwd"
    copies = {
        "flipped": (bytes(flipped), "is truncated or damaged: "),
        "truncated": (data[:int(len(data) * 0.6)], "is truncated or damaged: "),
        "wrong-checksum": (rewritten(change_manifest=wrong_checksum), "has sha256 "),
        "link-out": (rewritten(extra=link), "unsafe member 'datasets/escape.parquet': a link"),
    }
    paths = {}
    for name, (content, message) in copies.items():
        path = folder / f"{name}.tar.gz"
        path.write_bytes(content)
        paths[name] = (path, message)
    return paths


def test_damaged_archives_are_refused_and_change_nothing(stack, seeded, backup, tmp_path):
    # Data the archive does not hold: a restore that went ahead would wipe it.
    create_partner_user(stack, f"{seeded['slugs'][0]}-late", "Added After The Backup")
    import_dataset(stack, seeded["slugs"][0], "after the backup", sales_csv(99, 500))
    down = stack.ops("down")
    assert down.returncode == 0, down.stderr
    no_stack = stack.ops("backup", str(tmp_path / "while-down.tar.gz"))
    assert no_stack.returncode != 0 and "the stack is not running" in no_stack.stderr
    assert not list(tmp_path.iterdir())

    before = fingerprint_stopped(stack)
    for name, (path, message) in damaged_copies(backup["file"], tmp_path).items():
        result = stack.ops("restore", str(path))
        assert result.returncode != 0, f"{name}: {result.stderr}"
        assert f"error: {path} is refused: " in result.stderr and message in result.stderr, f"{name}: {result.stderr}"
        assert "nothing was changed" in result.stderr, f"{name}: {result.stderr}"
    assert fingerprint_stopped(stack) == before


def test_wiped_volumes_restored_from_the_archive_hold_the_same_data(stack, seeded, backup, request):
    wipe = stack.compose("down", "-v", "--timeout", "10")
    assert wipe.returncode == 0, wipe.stderr
    fresh = stack.ops("up", timeout=900)
    assert fresh.returncode == 0, fresh.stderr[-2000:]
    assert stored_state(stack)["partners"] == []
    down = stack.ops("down")
    assert down.returncode == 0, down.stderr

    started = time.monotonic()
    restored = stack.ops("restore", str(backup["file"]))
    seconds = time.monotonic() - started
    assert restored.returncode == 0, restored.stderr
    assert "start the stack with ops/up" in restored.stderr
    again = stack.ops("restore", str(backup["file"]))
    assert again.returncode == 0, again.stderr
    note(request.config, REPORT, f"ops/restore of {backup['file'].stat().st_size / 1e6:.1f} MB: {seconds:.1f} s "
                                 "(the stack is down: no traffic)")
    up = stack.ops("up", timeout=900)
    assert up.returncode == 0, up.stderr[-2000:]
    assert all_healthy(stack)

    # The same partners, users (password hashes included), memberships, datasets and files.
    state = stored_state(stack)
    traffic = seeded["traffic_slug"]
    for part in ("partners", "users", "memberships", "datasets", "files"):
        assert without(state, traffic)[part] == without(backup["state"], traffic)[part], f"{part} differ"
    assert not [p for p in state["partners"] if p[0].endswith("-late")]
    # Every dataset row, the traffic's too, has its file with the checksum it was stored with.
    assert all(row[-1] == row[-2] for row in state["datasets"]), state["datasets"]
    # Owned by the portal's user as before, and Streamlit reads the same bytes.
    files = fingerprint(stack)
    for path, entry in backup["files"].items():
        if path.startswith("/datasets/") and not path.startswith(f"/datasets/{traffic}/"):
            assert files[path] == entry, path
    assert {uid for _, uid, _ in files.values()} == {PORTAL_UID}
    # Streamlit gets the same bytes: every dataset version from the internal API it fetches from.
    rows = [row for row in state["datasets"] if row[0] != traffic]
    assert fetched_checksums(stack, [(row[-2], row[0]) for row in rows]) == [row[-2] for row in rows]
    # The users log in with their passwords and see their datasets.
    for slug in seeded["slugs"]:
        for username, password in seeded["users"][slug]:
            home = login(stack.url, username, password).get(f"{stack.url}/")
            assert home.status_code == 200
            assert "매출 2025" in home.text
