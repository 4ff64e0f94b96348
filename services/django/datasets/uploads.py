"""The upload pages: choose a file, check its preview, confirm or cancel.

The file is read whole when it is chosen and again at every change in its preview (another sheet,
header row or column kind), so the preview always shows what will be stored; confirming stores
exactly the Layout the partner last saw. Nothing is stored before that (datasets.pending).
"""
import errno
import logging
from decimal import Decimal
from pathlib import Path

from django.contrib import messages
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from partners.access import partner_required
from portal.formats import number

from . import ingest, pending
from .forms import KINDS, PreviewForm, UploadForm
from .models import Dataset
from .reading import ENCODINGS

log = logging.getLogger(__name__)

STORAGE_FULL = gettext_lazy(
    "The portal's storage is full, so your file was not stored and nothing was saved. "
    "Please tell the portal staff; once they have made room, upload it again."
)
STORAGE_FAILED = gettext_lazy(
    "The portal could not store your file just now, and nothing was saved. "
    "Please try again in a moment, and tell the portal staff if it keeps happening."
)
NOTHING_WAITING = gettext_lazy(
    "No upload is waiting to be checked: it was stored or cancelled, or left for too long. Upload the file again."
)

NUMBERS = ("integer", "float", "decimal")

# What a stored file was, in the partner's words (Layout.source words it for the log).
SOURCES = {
    "\t": gettext_lazy("tab-separated text in {encoding}"),
    ",": gettext_lazy("comma-separated text in {encoding}"),
    ";": gettext_lazy("semicolon-separated text in {encoding}"),
    "|": gettext_lazy("pipe-separated text in {encoding}"),
}


def source(layout):
    if layout.kind == "parquet":
        return "Parquet"
    if layout.kind == "excel":
        return gettext("Excel workbook, sheet “{sheet}”").format(sheet=layout.sheet)
    return SOURCES[layout.delimiter].format(encoding=ENCODINGS[layout.encoding])


@partner_required
@require_http_methods(["GET", "POST"])
def upload(request):
    if request.method == "GET":
        return render(request, "datasets/upload.html", {"form": UploadForm(partner=request.partner)})
    form = UploadForm(request.POST, request.FILES, partner=request.partner)
    if not form.is_valid():
        return render(request, "datasets/upload.html", {"form": form})
    pending.sweep()
    data = form.cleaned_data
    name = data["name"].strip() or Path(data["file"].name).stem[:200]
    try:
        # Uploads always spool to disk (FILE_UPLOAD_HANDLERS): the file moves aside, unread.
        waiting = pending.keep(request, data["file"], name=name, description=data["description"])
        pending.examined(waiting, waiting.options)
    except ingest.IngestError as error:
        pending.discard(request)
        form.add_error("file", str(error))
    except OSError as error:
        pending.discard(request)
        form.add_error("file", _storage_error(error, request))
    else:
        return redirect("dataset_preview")
    return render(request, "datasets/upload.html", {"form": form})


@partner_required
@require_http_methods(["GET", "POST"])
def preview(request):
    waiting = pending.current(request)
    if waiting is None:
        messages.error(request, NOTHING_WAITING)
        return redirect("dataset_upload")
    if request.method == "GET":
        return _preview_page(request, PreviewForm(waiting=waiting))
    action = request.POST.get("action", "update")
    if action == "cancel":
        pending.discard(request)
        messages.info(request, gettext("Nothing was stored from “{file}”.").format(file=waiting.filename))
        return redirect("home")
    form = PreviewForm(request.POST, waiting=waiting)
    if not form.is_valid():
        return _preview_page(request, form)
    options = form.options()
    if action != "confirm" or options != waiting.options:
        # Another choice: the file is read again, and the partner sees it before confirming.
        try:
            waiting = pending.examined(waiting, options)
        except ingest.IngestError as error:
            form.add_error(None, str(error))
            return _preview_page(request, form)
        except OSError as error:
            form.add_error(None, _storage_error(error, request))
            return _preview_page(request, form)
        return _preview_page(request, PreviewForm(_kept_words(form), waiting=waiting))
    return _store(request, form, waiting)


def _store(request, form, waiting):
    name = form.cleaned_data["name"].strip() or waiting.name
    existing = Dataset.objects.filter(partner_id=request.partner.id, name=name).first()
    if existing and not form.cleaned_data["as_version"]:
        taken = gettext(
            "You already have a dataset named “{name}”. Choose another name, or tick the box below to "
            "store this file as its new version."
        )
        form.add_error("name", taken.format(name=name))
        return _preview_page(request, form, existing=existing)
    description = form.cleaned_data["description"]
    if existing and not description:
        description = existing.description
    try:
        dataset = ingest.store(
            waiting.path, waiting.layout, request.partner, name=name, description=description,
            uploaded_by=request.user, replacing=existing,
        )
    except IntegrityError:
        form.add_error("name", gettext("You already have a dataset named “{name}”.").format(name=name))
        return _preview_page(request, form)
    except Dataset.DoesNotExist:
        # Deleted by a colleague since this page was shown: the file is still waiting.
        gone = gettext(
            "Your dataset “{name}” was deleted in the meantime. Store the file again to keep it under this name."
        )
        form.add_error("name", gone.format(name=name))
        return _preview_page(request, form)
    except ingest.IngestError as error:
        log.warning("Storing an upload for %s failed: %s", request.partner.slug, error)
        form.add_error(None, str(error))
        return _preview_page(request, form)
    except OSError as error:
        form.add_error(None, _storage_error(error, request))
        return _preview_page(request, form)
    pending.discard(request)
    layout = waiting.layout
    rows = ngettext("{count} row", "{count} rows", layout.rows).format(count=number(layout.rows))
    columns = ngettext("{count} column", "{count} columns", len(layout.columns)).format(
        count=number(len(layout.columns))
    )
    if existing:
        stored = gettext("Stored a new version of “{name}”: {rows}, {columns} ({source}).")
    else:
        stored = gettext("Stored “{name}”: {rows}, {columns} ({source}).")
    messages.success(request, stored.format(name=dataset.name, rows=rows, columns=columns, source=source(layout)))
    return redirect("home")


def _kept_words(form):
    """The name and description the partner typed, kept across a new preview."""
    return {key: form.cleaned_data[key] for key in ("name", "description", "as_version")}


def _storage_error(error, request):
    # The partner's file is fine: the trouble is on our side. The details (error number, server
    # paths) go to the log, plain words to the partner.
    log.error("Keeping or storing an upload for %s failed: %r", request.partner.slug, error)
    return STORAGE_FULL if error.errno in (errno.ENOSPC, errno.EDQUOT) else STORAGE_FAILED


def _preview_page(request, form, existing=None):
    waiting = form.waiting
    layout, findings = waiting.layout, waiting.findings
    if existing is None:
        name = (form.data.get("name") if form.is_bound else None) or waiting.name
        existing = Dataset.objects.filter(partner_id=request.partner.id, name=name.strip()).first()
    columns = []
    for index, (name, kind) in enumerate(layout.columns):
        columns.append(
            {
                "number": index + 1,
                "name": name,
                "kind": KINDS.get(kind, kind),
                "field": form.kind_fields[index] if form.kind_fields else None,
                "found": KINDS.get(findings.found[index], findings.found[index]),
                "chosen": name in layout.chosen,
                "notes": _notes(layout, findings, index),
            }
        )
    context = {
        "form": form,
        "waiting": waiting,
        "layout": layout,
        "source": source(layout),
        "columns": columns,
        # Each value with whether it is a number, which the table sets flush right.
        "rows": [
            [(_shown(value, kind), kind in NUMBERS) for value, (_, kind) in zip(row, layout.columns)]
            for row in findings.rows
        ],
        "head": findings.head,
        "all_text": layout.kind != "parquet" and all(kind == "text" for _, kind in layout.columns),
        "existing": existing,
        "line_word": gettext("Row") if layout.kind == "excel" else gettext("Line"),
    }
    return render(request, "datasets/preview.html", context)


def _notes(layout, findings, index):
    """What the preview says under a column: its values that do not read as its kind, or, for a
    text column, the kind nearly all of them read as."""
    count, examples = findings.misfits[index]
    where = gettext("row {line}") if layout.kind == "excel" else gettext("line {line}")
    shown = [f"{where.format(line=number(line))}: “{value}”" for line, value in examples]
    kind = layout.columns[index][1]
    if count:
        said = ngettext(
            "{count} value does not read as {kind} and will be stored empty: {examples}",
            "{count} values do not read as {kind} and will be stored empty: {examples}",
            count,
        )
        return [said.format(count=number(count), kind=KINDS[kind], examples="; ".join(shown))]
    if findings.near and findings.near[index]:
        near, count, examples = findings.near[index]
        shown = [f"{where.format(line=number(line))}: “{value}”" for line, value in examples]
        if count == 0:
            said = gettext("Stored as text, though every value reads as {kind}: choose {kind} to store them so.")
            return [said.format(kind=KINDS[near])]
        said = ngettext(
            "Stored as text: all but {count} value read as {kind}. Choose {kind} to store them so; "
            "that one is then left empty: {examples}",
            "Stored as text: all but {count} values read as {kind}. Choose {kind} to store them so; "
            "those are then left empty: {examples}",
            count,
        )
        return [said.format(count=number(count), kind=KINDS[near], examples="; ".join(shown))]
    return []


def _shown(value, kind):
    if value is None:
        return ""
    if kind == "boolean":
        return gettext("true") if value else gettext("false")
    if kind in NUMBERS and isinstance(value, (int, float)):
        decimals = 0 if isinstance(value, int) else min(6, max(0, -Decimal(repr(value)).as_tuple().exponent))
        return number(value, decimals)
    return value
