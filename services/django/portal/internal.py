"""The internal API's door: only services on the back network reach /internal/ (nginx answers 404
for it), and only with the service token."""
import hmac
from functools import wraps

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST


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


def _guarded(view, method):
    @never_cache
    @method
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        return _token_refusal(request) or view(request, *args, **kwargs)

    return wrapper


def internal_api(view):
    """A GET view of the internal API: refused without the service token, never cached."""
    return _guarded(view, require_GET)


def internal_api_post(view):
    """A POST view of the internal API. The bearer token is its authentication, and no browser
    ever reaches /internal/ or holds the token, so a CSRF token would guard nothing."""
    return csrf_exempt(_guarded(view, require_POST))
