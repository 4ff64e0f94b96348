"""The internal API Streamlit asks for a partner's datasets, and for a dataset version's file."""
from django.http import FileResponse, JsonResponse

from partners.access import partner_by_slug
from portal.internal import internal_api

from . import catalog
from .models import Dataset


@internal_api
def partner_datasets(request, slug):
    partner = partner_by_slug(slug)
    if partner is None:
        return JsonResponse({"error": f"no partner {slug!r}"}, status=404)
    return JsonResponse(
        {
            "partner": {"slug": partner.slug, "name": partner.name, "active": partner.active},
            "datasets": catalog.datasets_of(partner.id),
        }
    )


@internal_api
def dataset_file(request, slug, sha256):
    """The Parquet file of the partner's dataset whose content has this sha256 (the version the
    catalog gives): replicas on any node keep their own copy of it, and no volume is shared."""
    # Current files only: the catalog names no other. Earlier versions (DatasetVersion) are the
    # partner's to download or restore in the portal; a restored one is current again.
    dataset = Dataset.objects.filter(partner__slug=slug, sha256=sha256).order_by("-pk").first()
    if dataset is None:
        return JsonResponse({"error": f"partner {slug!r} has no dataset of version {sha256}"}, status=404)
    try:
        stored = dataset.file.open("rb")
    except FileNotFoundError:
        return JsonResponse({"error": f"the file of dataset {dataset.pk} is missing"}, status=404)
    return FileResponse(stored, content_type="application/vnd.apache.parquet")
