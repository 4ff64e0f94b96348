import errno
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from partners.access import INACTIVE, NO_PARTNER, acting_partner, partner_required
from partners.forms import ActAsForm
from portal.formats import number

from . import catalog, exports, ingest
from .forms import UploadForm
from .models import Dataset
from .reading import ENCODINGS

log = logging.getLogger(__name__)

STORAGE_FULL = gettext_lazy(
    "The portal's storage is full, so your file was not stored and nothing was saved. "
    "Please tell the portal staff; once they have made room, upload it again."
)
EXPORT_FAILED = gettext_lazy(
    "The portal could not make the file just now. "
    "Please try again in a moment, and tell the portal staff if it keeps happening."
)
STORAGE_FAILED = gettext_lazy(
    "The portal could not store your file just now, and nothing was saved. "
    "Please try again in a moment, and tell the portal staff if it keeps happening."
)


# What a stored file was, in the partner's words (Layout.source words it for the log).
SOURCES = {
    "\t": gettext_lazy("tab-separated text in {encoding}"),
    ",": gettext_lazy("comma-separated text in {encoding}"),
    ";": gettext_lazy("semicolon-separated text in {encoding}"),
    "|": gettext_lazy("pipe-separated text in {encoding}"),
}


def _source(layout):
    if layout.kind == "parquet":
        return "Parquet"
    return SOURCES[layout.delimiter].format(encoding=ENCODINGS[layout.encoding])


@login_required
def home(request):
    partner = acting_partner(request)
    staff = request.user.is_staff
    if not staff and partner is None:
        raise PermissionDenied(NO_PARTNER)
    if not staff and not partner.active:
        raise PermissionDenied(INACTIVE)
    act_as = ActAsForm(initial={"partner": partner.slug if partner else None}) if staff else None
    datasets = catalog.datasets_of(partner.id) if partner else []
    return render(request, "datasets/home.html", {"partner": partner, "datasets": datasets, "act_as": act_as})


@partner_required
@require_http_methods(["GET", "POST"])
def upload(request):
    if request.method == "GET":
        return render(request, "datasets/upload.html", {"form": UploadForm(partner=request.partner)})
    form = UploadForm(request.POST, request.FILES, partner=request.partner)
    if form.is_valid():
        data = form.cleaned_data
        try:
            dataset = ingest.store(
                data["file"].temporary_file_path(),
                data["layout"],
                request.partner,
                name=data["name"],
                description=data["description"],
                uploaded_by=request.user,
            )
        except IntegrityError:
            form.add_error("name", gettext("You already have a dataset named “{name}”.").format(name=data["name"]))
        except ingest.IngestError as error:
            log.warning("Storing an upload for %s failed: %s", request.partner.slug, error)
            form.add_error("file", str(error))
        except OSError as error:
            # The partner's file is fine: the trouble is on our side. The details (error number,
            # server paths) go to the log, plain words to the partner.
            log.exception("Storing an upload for %s failed", request.partner.slug)
            form.add_error("file", STORAGE_FULL if error.errno in (errno.ENOSPC, errno.EDQUOT) else STORAGE_FAILED)
        else:
            layout = data["layout"]
            rows = ngettext("{count} row", "{count} rows", layout.rows).format(count=number(layout.rows))
            columns = ngettext("{count} column", "{count} columns", len(layout.columns)).format(
                count=number(len(layout.columns))
            )
            messages.success(
                request,
                gettext("Stored “{name}”: {rows}, {columns} ({source}).").format(
                    name=dataset.name, rows=rows, columns=columns, source=_source(layout)
                ),
            )
            return redirect("home")
    return render(request, "datasets/upload.html", {"form": form})


@partner_required
def detail(request, pk):
    dataset = get_object_or_404(Dataset.objects.select_related("uploaded_by"), pk=pk, partner_id=request.partner.id)
    rows = exports.preview(dataset.file) if dataset.file.exists() else None
    context = {"dataset": dataset, "preview": rows, "excel_refusal": exports.excel_refusal(dataset.rows, len(dataset.columns))}
    return render(request, "datasets/detail.html", context)


@partner_required
def download(request, pk):
    """The dataset as a file: CSV in UTF-8 (the default) or CP949, or an Excel workbook
    (?format=). One that cannot be made as asked sends the partner back to the dataset's page,
    which says why."""
    dataset = get_object_or_404(Dataset, pk=pk, partner_id=request.partner.id)
    if not dataset.file.exists():
        raise Http404(gettext("The file of this dataset is missing."))
    chosen = request.GET.get("format", exports.DEFAULT_FORMAT)
    if chosen not in exports.FORMATS:
        raise Http404(gettext("The portal has no download in that format."))
    form = exports.FORMATS[chosen]
    try:
        if chosen == "xlsx":
            # Made whole before it is sent, on the upload folder's disk: /tmp is memory.
            workbook = exports.xlsx_file(dataset.file, dataset.name, settings.FILE_UPLOAD_TEMP_DIR)
            response = FileResponse(workbook, content_type=form.content_type)
        else:
            chunks = exports.csv_chunks(dataset.file, "cp949" if chosen == "cp949" else "utf-8")
            response = StreamingHttpResponse(chunks, content_type=form.content_type)
    except exports.ExportRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("dataset_detail", pk=dataset.pk)
    except OSError:
        log.exception("Making the %s download of dataset %s failed", chosen, dataset.pk)
        messages.error(request, EXPORT_FAILED)
        return redirect("dataset_detail", pk=dataset.pk)
    response["Content-Disposition"] = exports.attachment(exports.download_name(dataset.name, form.suffix))
    return response


@partner_required
@require_http_methods(["GET", "POST"])
def delete(request, pk):
    dataset = get_object_or_404(Dataset, pk=pk, partner_id=request.partner.id)
    if request.method == "POST":
        dataset.delete()  # the file goes after the commit (datasets.files)
        messages.success(request, gettext("Deleted “{name}”.").format(name=dataset.name))
        return redirect("home")
    return render(request, "datasets/delete.html", {"dataset": dataset})
