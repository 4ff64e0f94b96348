"""TLS mode as ops turn it on: ops/cert makes a pair, ops/up serves HTTPS beside a redirecting
HTTP port; a real handshake, modern protocols only, HSTS and secure cookies. Turned off again
at the end, so the tests after it meet the plain stack."""
import socket
import ssl

import pytest
import requests

from support.logins import create_partner_user, login


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def tls(stack):
    port = free_port()
    stack.set_setting(f"PORTAL_TLS_PORT={port}")
    made = stack.ops("cert")
    assert made.returncode == 0, made.stderr
    up = stack.ops("up")
    assert up.returncode == 0, up.stderr
    yield {"port": port, "cert": stack.settings["TLS_CERT_FILE"], "url": f"https://localhost:{port}"}
    stack.set_setting("TLS_CERT_FILE=")
    stack.set_setting("TLS_KEY_FILE=")
    down = stack.ops("up")
    assert down.returncode == 0, down.stderr


def test_a_real_handshake_verifies_the_certificate_with_a_modern_protocol(tls):
    context = ssl.create_default_context(cafile=tls["cert"])
    with socket.create_connection(("127.0.0.1", tls["port"]), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as secure:
            assert secure.version() in ("TLSv1.2", "TLSv1.3")
            assert secure.getpeercert()["subject"] == ((("commonName", "localhost"),),)


def test_nginx_offers_only_tls_1_2_and_1_3_and_its_config_passes_nginx_t(stack, tls):
    (nginx,) = stack.container_names("nginx")
    checked = stack.host(nginx).run("nginx -t")
    assert checked.rc == 0, checked.stderr
    dumped = stack.host(nginx).check_output("nginx -T 2>/dev/null")
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in dumped


def test_plain_http_redirects_to_https_on_the_tls_port(stack, tls):
    response = requests.get(f"{stack.url}/accounts/login/?next=/app/", allow_redirects=False,
                            headers={"Host": "localhost"})
    assert response.status_code == 301
    assert response.headers["Location"] == f"https://localhost:{tls['port']}/accounts/login/?next=/app/"


def test_https_answers_with_hsts_and_gives_only_secure_cookies(stack, tls):
    username, password = create_partner_user(stack, "secure", "Secure Ltd")
    session = requests.Session()
    # Our certificate only: a CA bundle from the environment would otherwise override it.
    session.trust_env = False
    session.verify = tls["cert"]
    page = session.get(f"{tls['url']}/accounts/login/")
    assert page.status_code == 200
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    login(tls["url"], username, password, session=session)
    assert session.get(f"{tls['url']}/").status_code == 200
    # Streamlit sets its XSRF cookie with its health answer, and cannot tell it is behind HTTPS.
    assert session.get(f"{tls['url']}/app/_stcore/health").status_code == 200
    assert {cookie.name for cookie in session.cookies} >= {"sessionid", "csrftoken", "_streamlit_xsrf"}
    assert all(cookie.secure for cookie in session.cookies)


def test_an_unknown_host_over_tls_gets_400(tls):
    response = requests.get(f"{tls['url']}/", headers={"Host": "evil.example"}, verify=tls["cert"])
    assert response.status_code == 400
