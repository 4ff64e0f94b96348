"""The internal API Streamlit asks for a partner's datasets."""
from django.http import JsonResponse

from partners.access import partner_by_slug
from portal.internal import internal_api

from . import catalog


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
