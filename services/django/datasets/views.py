import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from audit.models import Event
from audit.trail import record
from partners.access import INACTIVE, NO_PARTNER, acting_partner, partner_required
from partners.forms import ActAsForm

from . import catalog, exports, versions
from .edit import TAKEN, EditForm
from .models import Dataset, DatasetVersion

log = logging.getLogger(__name__)

EXPORT_FAILED = gettext_lazy(
    "The portal could not make the file just now. "
    "Please try again in a moment, and tell the portal staff if it keeps happening."
)
VERSION_MISSING = gettext_lazy(
    "The file of this version is missing, so it cannot be restored. Please tell the portal staff."
)


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
def detail(request, pk):
    dataset = get_object_or_404(Dataset.objects.select_related("uploaded_by"), pk=pk, partner_id=request.partner.id)
    rows = exports.preview(dataset.file) if dataset.file.exists() else None
    kept = [(version, exports.excel_refusal(version.rows, len(version.columns)))
            for version in dataset.versions.select_related("uploaded_by")]
    context = {
        "dataset": dataset,
        "preview": rows,
        "excel_refusal": exports.excel_refusal(dataset.rows, len(dataset.columns)),
        "versions": kept,
        "versions_kept": settings.DATASET_VERSIONS_KEPT,
    }
    return render(request, "datasets/detail.html", context)


@partner_required
def download(request, pk):
    """The dataset as a file: CSV in UTF-8 (the default) or CP949, or an Excel workbook
    (?format=). One that cannot be made as asked sends the partner back to the dataset's page,
    which says why."""
    dataset = get_object_or_404(Dataset, pk=pk, partner_id=request.partner.id)
    return _send(request, dataset, dataset, dataset.name)


@partner_required
def download_version(request, pk, number):
    """An earlier version of the dataset as a file, as `download` makes the current one; its name
    says which version it is."""
    version = _version_of(request, pk, number)
    dataset = version.dataset
    name = gettext("{name} (version {number})").format(name=dataset.name, number=version.number)
    return _send(request, dataset, version, name)


def _version_of(request, pk, number):
    """The dataset's kept version `number`, of the acting partner's datasets only: a 404 otherwise."""
    return get_object_or_404(
        DatasetVersion.objects.select_related("dataset"), dataset_id=pk, dataset__partner_id=request.partner.id,
        number=number,
    )


def _send(request, dataset, stored, name):
    """The download of `stored` (the dataset itself or one of its versions) under the file name
    `name`, in the format the request asks for."""
    if not stored.file.exists():
        raise Http404(gettext("The file of this dataset is missing."))
    chosen = request.GET.get("format", exports.DEFAULT_FORMAT)
    if chosen not in exports.FORMATS:
        raise Http404(gettext("The portal has no download in that format."))
    form = exports.FORMATS[chosen]
    try:
        if chosen == "xlsx":
            # Made whole before it is sent, on the upload folder's disk: /tmp is memory.
            workbook = exports.xlsx_file(stored.file, dataset.name, settings.FILE_UPLOAD_TEMP_DIR)
            response = FileResponse(workbook, content_type=form.content_type)
        else:
            chunks = exports.csv_chunks(stored.file, "cp949" if chosen == "cp949" else "utf-8")
            response = StreamingHttpResponse(chunks, content_type=form.content_type)
    except exports.ExportRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("dataset_detail", pk=dataset.pk)
    except OSError:
        log.exception("Making the %s download of %s (dataset %s) failed", chosen, stored.path, dataset.pk)
        messages.error(request, EXPORT_FAILED)
        return redirect("dataset_detail", pk=dataset.pk)
    response["Content-Disposition"] = exports.attachment(exports.download_name(name, form.suffix))
    record(Event.DATASET_DOWNLOADED, request=request, partner=request.partner, target=name, detail=chosen)
    return response


@partner_required
@require_POST
def restore_version(request, pk, number):
    """Makes an earlier version the dataset's current file; the current one becomes a version."""
    version = _version_of(request, pk, number)
    if not version.file.exists():
        messages.error(request, VERSION_MISSING)
        return redirect("dataset_detail", pk=pk)
    try:
        dataset = versions.restore(version.dataset, number)
    except (Dataset.DoesNotExist, DatasetVersion.DoesNotExist):
        # Restored, pruned or deleted by another request in the meantime.
        raise Http404(gettext("This dataset has no such version.")) from None
    messages.success(
        request,
        gettext("Version {number} of “{name}” is the current one again.").format(number=number, name=dataset.name),
    )
    return redirect("dataset_detail", pk=pk)


@partner_required
@require_http_methods(["GET", "POST"])
def edit(request, pk):
    dataset = get_object_or_404(Dataset, pk=pk, partner_id=request.partner.id)
    if request.method == "GET":
        form = EditForm(initial={"name": dataset.name, "description": dataset.description}, dataset=dataset)
        return render(request, "datasets/edit.html", {"dataset": dataset, "form": form})
    form = EditForm(request.POST, dataset=dataset)
    if form.is_valid():
        dataset.name = form.cleaned_data["name"]
        dataset.description = form.cleaned_data["description"]
        try:
            with transaction.atomic():
                # Only the words: a version stored meanwhile keeps its file.
                dataset.save(update_fields=["name", "description"])
        except IntegrityError:
            form.add_error("name", TAKEN.format(name=dataset.name))
        else:
            messages.success(request, gettext("Saved “{name}”.").format(name=dataset.name))
            return redirect("dataset_detail", pk=dataset.pk)
        dataset.refresh_from_db(fields=["name", "description"])
    return render(request, "datasets/edit.html", {"dataset": dataset, "form": form})


@partner_required
@require_http_methods(["GET", "POST"])
def delete(request, pk):
    dataset = get_object_or_404(Dataset, pk=pk, partner_id=request.partner.id)
    if request.method == "POST":
        dataset.delete()  # the file goes after the commit (datasets.files)
        messages.success(request, gettext("Deleted “{name}”.").format(name=dataset.name))
        return redirect("home")
    return render(request, "datasets/delete.html", {"dataset": dataset})
