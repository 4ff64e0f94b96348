"""Datasets in the stack under test: uploading through the portal, what the database and the
datasets volume hold, and the internal API as Streamlit reaches it from the back network."""
import html
import io
import json
import re
import subprocess

# Run by manage.py shell in the django container: everything that must survive a fault, with the
# sha256 of each stored file computed there, and every file on the datasets volume.
STATE_SCRIPT = r"""
import hashlib, json, os
from django.conf import settings
from django.contrib.auth import get_user_model
from datasets.models import Dataset
from partners.models import Membership, Partner

def digest(path):
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return None

root = settings.DATASETS_DIR
files = {}
for folder, _, names in os.walk(root):
    for name in names:
        path = os.path.join(folder, name)
        files[os.path.relpath(path, root)] = digest(path)
print(json.dumps({
    "partners": sorted([p.slug, p.name, p.active] for p in Partner.objects.all()),
    "users": sorted([u.username, u.password, u.is_active, u.is_staff] for u in get_user_model().objects.all()),
    "memberships": sorted(list(m) for m in Membership.objects.values_list("user__username", "partner__slug")),
    "datasets": sorted([d.partner.slug, d.name, d.description, d.path, d.rows, d.size_bytes, d.sha256,
                        digest(d.file)] for d in Dataset.objects.select_related("partner")),
    "files": files,
}))
"""

# Run with python3 in a container on the back network: one GET, its status and body as JSON.
GET_SCRIPT = r"""
import json, sys, urllib.error, urllib.request
url, headers = sys.argv[1], json.loads(sys.argv[2])
try:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=15) as reply:
        status, body = reply.status, reply.read()
except urllib.error.HTTPError as error:
    status, body = error.code, error.read()
print(json.dumps({"status": status, "body": body.decode("utf-8", "replace")}))
"""


def upload(session, base_url, content, name="", description="", filename="data.csv"):
    """POST the portal's upload form as a browser does, then store the file as its preview shows
    it. Returns the last response (redirects not followed): the upload form again for a refused
    file, the preview again when storing failed."""
    chosen = choose_file(session, base_url, content, name, description, filename)
    preview = f"{base_url}/datasets/upload/preview/"
    if chosen.status_code != 302 or chosen.headers["Location"] != "/datasets/upload/preview/":
        return chosen
    return session.post(preview, data={"action": "confirm", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                        headers={"Referer": preview}, allow_redirects=False)


def choose_file(session, base_url, content, name="", description="", filename="data.csv"):
    """POST the upload form only: a file that reads is sent on to its preview."""
    form = f"{base_url}/datasets/upload/"
    session.get(form).raise_for_status()
    return session.post(form, files={"file": (filename, io.BytesIO(content), "text/csv")},
                        data={"name": name, "description": description,
                              "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                        headers={"Referer": form}, allow_redirects=False)


def form_errors(page):
    """The error messages of a re-shown form, as the partner reads them (tags stripped)."""
    blocks = re.findall(r'<(p|div)[^>]*role="alert"[^>]*>(.*?)</\1>', page, re.S)
    return [html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", block))).strip() for _, block in blocks]


def small_csv(rows=20, tag="x"):
    return ("id,region,amount\n" + "".join(f"{i},{tag}-{i % 3},{i * 1.5}\n" for i in range(rows))).encode()


def stored_state(stack):
    """Partners, users, memberships, datasets (with their files' sha256) and every file on the volume."""
    return json.loads(stack.manage("shell", "-v", "0", "-c", STATE_SCRIPT))


def get_from_back_network(stack, url, headers=None, service="nginx"):
    """GET `url` from a container of `service` (on the back network, where only services talk).
    Returns (status, body)."""
    (container,) = stack.container_names(service)[:1]
    result = subprocess.run(["docker", "exec", container, "python3", "-c", GET_SCRIPT, url, json.dumps(headers or {})],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise AssertionError(f"GET {url} from {container} failed: {result.stderr.strip()}")
    answer = json.loads(result.stdout)
    return answer["status"], answer["body"]


def internal_catalog(stack, slug):
    """The internal API's answer for a partner, asked with the service token as Streamlit asks."""
    token = stack.settings["INTERNAL_API_TOKEN"]
    status, body = get_from_back_network(stack, f"http://django:8000/internal/partners/{slug}/datasets",
                                         {"Authorization": f"Bearer {token}", "Host": "localhost"})
    assert status == 200, (status, body)
    return json.loads(body)
