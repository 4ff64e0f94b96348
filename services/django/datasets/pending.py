"""An upload between its preview and the partner's answer.

The uploaded file waits in the upload folder under a name of its own, beside a JSON file with what
its last preview showed (the Options chosen, the Layout and Findings they gave). The session holds
only the token that names them, so one upload waits per session: a new upload replaces it.

Nothing is stored until the partner confirms. Cancelling removes both files; an upload left
waiting (the partner closed the tab) is removed by `sweep` once it is older than the session's
idle limit, which runs at every new upload and in sweepdatasets.
"""
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, replace
from pathlib import Path

from django.conf import settings

from . import ingest
from .files import PENDING_PREFIX as PREFIX
from .reading import Findings, Layout, Options

SESSION_KEY = "pending_upload"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    token: str
    partner_id: int
    filename: str  # as the partner's computer named it
    name: str
    description: str
    options: Options = Options()
    layout: Layout | None = None
    findings: Findings | None = None

    @property
    def path(self):
        return _file(self.token)

    @property
    def facts(self):
        return _file(self.token, ".json")


def keep(request, upload, *, name, description):
    """Moves the spooled upload aside for its preview, in place of the session's previous one."""
    discard(request)
    folder = _folder()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    waiting = Pending(secrets.token_hex(16), request.partner.id, upload.name, name, description)
    # The same folder, so a rename; Django's own clean-up then finds the file gone, as it allows.
    os.replace(upload.temporary_file_path(), waiting.path)
    request.session[SESSION_KEY] = waiting.token
    return waiting


def examined(waiting, options):
    """The waiting upload with the preview these options give (the file read again whole);
    raises IngestError as ingest.examine does, and keeps the previous preview then."""
    layout, findings = ingest.examine(waiting.path, options)
    # Kept as the file resolved them (the sheet and header found), so that choosing nothing new
    # in the preview gives the very same Options.
    resolved = Options(layout.sheet, layout.header_line, tuple(column for column in layout.columns if column[0] in layout.chosen))
    waiting = replace(waiting, options=resolved, layout=layout, findings=findings)
    _write_facts(waiting)
    return waiting


def current(request):
    """The session's waiting upload with its last preview, or None when there is none (or it
    belongs to another partner than the one the request acts for)."""
    token = request.session.get(SESSION_KEY)
    if not token:
        return None
    try:
        facts = json.loads(_file(token, ".json").read_text())
    except (OSError, ValueError):
        facts = None
    if facts is not None and facts["partner_id"] != request.partner.id:
        # Not this partner's (staff switched partners): forgotten here, left to its owner.
        request.session.pop(SESSION_KEY, None)
        return None
    there = [_file(token, suffix) for suffix in ("", ".storing")]
    if facts is None or not any(path.exists() for path in there):
        discard(request)
        return None
    return Pending(
        token=token,
        partner_id=facts["partner_id"],
        filename=facts["filename"],
        name=facts["name"],
        description=facts["description"],
        options=Options.from_json(facts["options"]),
        layout=Layout.from_json(facts["layout"]),
        findings=Findings.from_json(facts["findings"]),
    )


def claim(waiting):
    """Takes the waiting file for storing, once: a second click of Store finds it gone and gets
    None. The file keeps its prefix, so the sweep still finds it should the process die."""
    claimed = _file(waiting.token, ".storing")
    try:
        os.rename(waiting.path, claimed)
    except FileNotFoundError:
        return None
    return claimed


def release(waiting, claimed):
    """Puts a claimed file back for the partner's next try (storing it failed)."""
    os.rename(claimed, waiting.path)


def discard(request):
    """Removes the session's waiting upload, if any."""
    token = request.session.pop(SESSION_KEY, None)
    if token:
        for suffix in ("", ".json", ".storing"):
            _file(token, suffix).unlink(missing_ok=True)


def sweep():
    """Removes the uploads left waiting for longer than a session may stay idle."""
    cutoff = time.time() - settings.SESSION_IDLE_MINUTES * 60
    for path in _folder().glob(f"{PREFIX}*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:
            pass  # another worker swept it first


def _write_facts(waiting):
    facts = {
        "partner_id": waiting.partner_id,
        "filename": waiting.filename,
        "name": waiting.name,
        "description": waiting.description,
        "options": waiting.options.to_json(),
        "layout": waiting.layout.to_json(),
        "findings": waiting.findings.to_json(),
    }
    temp = waiting.facts.with_suffix(".tmp")
    temp.write_text(json.dumps(facts))
    os.replace(temp, waiting.facts)
    os.utime(waiting.path)  # a partner still at work keeps the upload from the sweep


def _file(token, suffix=""):
    """A waiting upload's file (suffix ""), its facts (".json") or its claimed file (".storing")."""
    return _folder() / f"{PREFIX}{token}{suffix}"


def _folder():
    return Path(settings.FILE_UPLOAD_TEMP_DIR)
