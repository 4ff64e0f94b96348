"""Malformed and hostile requests at nginx's door: unknown hosts, oversized headers and bodies,
and paths that try to climb out of where they point. Sent byte for byte (support.raw_http), as
an attacker's tool would, with a logged-in partner's cookie where that opens more doors."""
import pytest

from support.fresh import new_partner
from support.raw_http import send
from support.summary import count
from support.uploads import small_csv, upload

BAD_INPUTS = "bad inputs tried"
UNKNOWN_HOSTS = ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example",
                 "10.11.12.13", ""]
PATHS = ["/", "/accounts/login/", "/static/admin/css/base.css", "/app/", "/datasets/upload/"]
# What must never come back: system files, settings and secrets, stored data, the internal API.
LEAKS = ["root:x:0:0", "SECRET_KEY", "INTERNAL_API_TOKEN", "PRIVATE KEY", "bearer token is required", "wrong token",
         '"datasets":', "baseUrlPath", "PAR1"]


@pytest.fixture(scope="module")
def partner(stack):
    """A logged-in partner with one dataset: (cookie header, slug)."""
    partner = new_partner(stack, "doors")
    assert upload(partner.session, stack.url, small_csv(), name="doors").status_code == 302
    return f"sessionid={partner.session.cookies['sessionid']}", partner.slug


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("host", UNKNOWN_HOSTS, ids=lambda host: host or "empty")
def test_an_unknown_host_header_gets_400(stack, request, partner, host, path):
    count(request.config, BAD_INPUTS, "unknown Host header", 1)
    cookie, _ = partner
    reply = send(stack.url, "GET", path, [("Host", host), ("Cookie", cookie)])
    assert reply.status == 400, f"Host {host!r} on {path}: {reply.status}"


OVERSIZED = {
    "64 KB cookie": [("Cookie", "sessionid=" + "x" * 65536)],
    "64 KB header": [("X-Filler", "x" * 65536)],
    "100 headers of 1 KB": [(f"X-Filler-{i}", "x" * 1024) for i in range(100)],
    "1 MB cookie": [("Cookie", "a=" + "x" * (1 << 20))],
}


@pytest.mark.parametrize("path", ["/", "/app/", "/static/admin/css/base.css"])
@pytest.mark.parametrize("headers", OVERSIZED.values(), ids=OVERSIZED.keys())
def test_oversized_request_headers_are_refused(stack, request, headers, path):
    count(request.config, BAD_INPUTS, "oversized headers", 1)
    reply = send(stack.url, "GET", path, headers)
    assert reply.status in (400, 431, 494), reply.status


@pytest.mark.parametrize("path", ["/", "/app/"])
def test_an_oversized_request_line_is_refused(stack, request, path):
    count(request.config, BAD_INPUTS, "oversized headers", 1)
    reply = send(stack.url, "GET", path + "?q=" + "x" * 65536)
    assert reply.status in (400, 414), reply.status


@pytest.mark.parametrize("path", ["/datasets/upload/", "/accounts/login/", "/app/", "/"])
def test_a_body_over_the_limit_is_refused_before_it_is_read(stack, request, partner, path):
    count(request.config, BAD_INPUTS, "body over the limit", 1)
    cookie, _ = partner
    too_big = (stack.setting("UPLOAD_MAX_MB") + 1) * 1024 * 1024
    # Only the headers are sent: the declared length alone must be enough to refuse it.
    reply = send(stack.url, "POST", path, [("Cookie", cookie), ("Content-Type", "text/csv"),
                                           ("Content-Length", str(too_big))])
    assert reply.status == 413, reply.status


def test_a_chunked_body_over_the_limit_is_refused(stack, request, partner):
    count(request.config, BAD_INPUTS, "body over the limit", 1)
    cookie, _ = partner
    megabytes = stack.setting("UPLOAD_MAX_MB") + 1
    chunks = (b"x" * (1024 * 1024) for _ in range(megabytes))
    reply = send(stack.url, "POST", "/datasets/upload/", [("Cookie", cookie), ("Content-Type", "text/csv")],
                 body_chunks=chunks, timeout=120)
    assert reply.status == 413, reply.status


TRAVERSALS = [
    "/static/../portal/settings.py",
    "/static/../../../../etc/passwd",
    "/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/static/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
    "/static/%2e%2e%2f%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/static/..%252f..%252f..%252f..%252fetc%252fpasswd",
    "/static/..%5c..%5c..%5c..%5cetc%5cpasswd",
    "/static/%c0%ae%c0%ae/%c0%ae%c0%ae/%c0%ae%c0%ae/etc/passwd",
    "/static/....//....//....//etc/passwd",
    "/static../etc/passwd",
    "/static/admin/../../../../datasets/{slug}/",
    "/static/%00/../../../etc/passwd",
    "/errors/../../../../etc/passwd",
    "/errors/503.html",
    "/app/../internal/partners/{slug}/datasets",
    "/app/%2e%2e/internal/partners/{slug}/datasets",
    "/app/..%2finternal/partners/{slug}/datasets",
    "/app/..%252finternal/partners/{slug}/datasets",
    "/app/static/../../../../etc/passwd",
    "/app/static/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/app/static/%2e%2e%5c%2e%2e%5c%2e%2e%5cetc%5cpasswd",
    "/app/media/..%2f..%2f..%2f..%2fdatasets%2f{slug}",
    "/app/_stcore/..%2f..%2f..%2fdatasets%2f{slug}",
    "/datasets/../../../etc/passwd",
    "/datasets/%2e%2e/%2e%2e/datasets/{slug}/",
    "/datasets/{slug}/",
    "//internal/partners/{slug}/datasets",
    "/%69nternal/partners/{slug}/datasets",
    "/internal%2fpartners%2f{slug}%2fdatasets",
    "/./internal/partners/{slug}/datasets",
    "/auth//check",
    "/%61uth/check",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_path_traversal_in_urls_never_escapes(stack, request, partner, target):
    count(request.config, BAD_INPUTS, "path traversal in URLs", 1)
    cookie, slug = partner
    reply = send(stack.url, "GET", target.format(slug=slug), [("Cookie", cookie)])
    assert 0 < reply.status < 500, f"{target}: {reply.status}"
    leaked = [marker for marker in LEAKS if marker in reply.text]
    assert not leaked, f"{target} ({reply.status}) answered with {leaked}"
    # Neither the internal API (it answers JSON, refusals too) nor the gate (it names the partner
    # in X-Portal-* headers) may answer a client.
    assert "json" not in reply.headers.get("content-type", ""), f"{target}: {reply.text[:200]!r}"
    assert not [name for name in reply.headers if name.startswith("x-portal-")], f"{target}: {reply.headers}"
