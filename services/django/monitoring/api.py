"""The probes' snapshots arrive here, over the internal network, from every container on every
node: one way in, on one host as in a swarm. Each is checked as the status page reads it and kept
in PROBE_REPORT_DIR as `<container>.json`, the latest of each container."""
import json
import re

from django.conf import settings
from django.http import JsonResponse
from portal_probe.report import write_snapshot

from portal.internal import internal_api_post

from .readings import Malformed, parse

# A snapshot is a few hundred bytes; nginx's carries its latency figures too.
MAX_BYTES = 64 * 1024
# The file's name: a compose container (pp-streamlit-2) or a swarm task (stack_streamlit.2@node3).
CONTAINER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,199}")


@internal_api_post
def store_snapshot(request):
    if len(request.body) > MAX_BYTES:
        return JsonResponse({"error": f"a snapshot is at most {MAX_BYTES} bytes"}, status=413)
    try:
        snapshot = json.loads(request.body)
        parse(snapshot)
    except (ValueError, Malformed) as error:
        return JsonResponse({"error": f"not a snapshot: {error}"}, status=400)
    container = snapshot.get("container") or snapshot["hostname"]
    if not isinstance(container, str) or not CONTAINER_NAME.fullmatch(container) or ".." in container:
        return JsonResponse({"error": "the container's name cannot name a file"}, status=400)
    snapshot["container"] = container
    write_snapshot(snapshot, settings.PROBE_REPORT_DIR)
    return JsonResponse({"stored": container}, status=201)
