"""The internal API Streamlit asks for a partner's datasets. nginx answers 404 for /internal/;
only services on the back network reach it, and only with the service token."""
import hmac

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from partners.access import partner_by_slug

from . import catalog


def _token_refusal(request):
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        response = JsonResponse({"error": "a bearer token is required"}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    expected = settings.INTERNAL_API_TOKEN
    # Constant-time: the comparison must not tell how much of a guessed token was right.
    if not expected or not hmac.compare_digest(token.encode(), expected.encode()):
        return JsonResponse({"error": "wrong token"}, status=403)
    return None


@never_cache
@require_GET
def partner_datasets(request, slug):
    refusal = _token_refusal(request)
    if refusal:
        return refusal
    partner = partner_by_slug(slug)
    if partner is None:
        return JsonResponse({"error": f"no partner {slug!r}"}, status=404)
    return JsonResponse(
        {
            "partner": {"slug": partner.slug, "name": partner.name, "active": partner.active},
            "datasets": catalog.datasets_of(partner.id),
        }
    )
