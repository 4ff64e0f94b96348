"""Each service's own HTTP health endpoint, asked with urllib."""

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

HEALTH_URLS = {
    "nginx": "http://127.0.0.1:8080/healthz",
    "django": "http://127.0.0.1:8000/healthz",
    "streamlit": "http://127.0.0.1:8501/app/_stcore/health",
}
# Django only answers host names in ALLOWED_HOSTS; the bare address is not one of them.
HOST_HEADERS = {"django": "localhost"}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is not health: report its status instead of following it."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


# A proxy from the environment must not stand between the probe and its own container.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect)


@dataclass(frozen=True)
class EndpointCheck:
    url: str
    problem: str | None
    elapsed_ms: float


def check_endpoint(url: str, timeout_s: float, host: str | None = None) -> EndpointCheck:
    """Ask `url` once; anything but a 200 within `timeout_s` is a problem."""
    request = urllib.request.Request(url, headers={"Host": host} if host else {})
    started = time.monotonic()
    try:
        with _OPENER.open(request, timeout=timeout_s) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    except urllib.error.URLError as error:  # urllib wraps failures to connect in this
        return EndpointCheck(url, f"{url}: {_describe(error.reason, timeout_s)}", _ms_since(started))
    except (OSError, ValueError) as error:  # e.g. a timeout while reading, or a malformed PROBE_URL
        return EndpointCheck(url, f"{url}: {_describe(error, timeout_s)}", _ms_since(started))
    problem = None if status == 200 else f"{url}: HTTP {status}"
    return EndpointCheck(url, problem, _ms_since(started))


def _describe(reason: object, timeout_s: float) -> str:
    if isinstance(reason, TimeoutError):
        return f"no answer within {timeout_s:g} s"
    return getattr(reason, "strerror", None) or str(reason)


def _ms_since(started: float) -> float:
    return (time.monotonic() - started) * 1000
