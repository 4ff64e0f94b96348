"""The portal and its gate, through nginx, as partners and strangers meet them."""
import io

import pytest
import requests

from support.logins import create_partner_user, login
from support.streamlit_session import StreamlitSession


@pytest.fixture(scope="module")
def acme(stack):
    return create_partner_user(stack, "acme", "Acme Trading")


@pytest.fixture(scope="module")
def globex(stack):
    return create_partner_user(stack, "globex", "Globex Logistics")


def test_app_while_logged_out_redirects_to_the_login_page(stack, http):
    response = http.get(f"{stack.url}/app/", allow_redirects=False)
    assert response.status_code == 302
    # A path only: the browser keeps whatever host and port it used to reach nginx.
    assert response.headers["Location"] == "/accounts/login/?next=/app/"


def test_the_websocket_while_logged_out_gets_401_not_a_redirect(stack, http):
    response = http.get(f"{stack.url}/app/_stcore/stream", allow_redirects=False,
                        headers={"Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                 "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==", "Origin": stack.url})
    assert response.status_code == 401


def test_after_login_app_reaches_streamlit(stack, acme):
    session = login(stack.url, *acme)
    response = session.get(f"{stack.url}/app/")
    assert response.status_code == 200
    assert "streamlit" in response.text.lower()
    records = [r for r in stack.nginx_log() if r["uri"] == "/app/" and r["status"] == 200]
    assert records and records[-1]["upstream"].endswith(":8501")


def test_a_websocket_upgrade_through_nginx_returns_101(stack, acme):
    session = login(stack.url, *acme)
    app = StreamlitSession(stack.url, cookies={"sessionid": session.cookies["sessionid"]})
    try:
        assert app.status == 101
    finally:
        app.close()


def test_a_client_sent_identity_header_does_not_change_who_streamlit_sees(stack, acme, globex):
    session = login(stack.url, *acme)
    spoof = {"X-Portal-Partner": "globex", "X-Portal-User": "globex-user", "X-Portal-Session": "0" * 64}
    app = StreamlitSession(stack.url, cookies={"sessionid": session.cookies["sessionid"]}, headers=spoof)
    try:
        app.rerun()
        shown = "\n".join(app.texts())
    finally:
        app.close()
    assert "Acme Trading" in shown
    assert "Globex" not in shown


def test_the_gate_itself_is_not_reachable_from_outside(stack, http):
    assert http.get(f"{stack.url}/auth/check").status_code == 404


def test_an_upload_over_the_limit_gets_413_from_nginx(stack, acme):
    session = login(stack.url, *acme)
    limit_mb = stack.setting("UPLOAD_MAX_MB")
    oversized = io.BytesIO(b"a,b\n" + b"1,2\n" * ((limit_mb * 1024 * 1024) // 4 + 1024))
    response = session.post(f"{stack.url}/datasets/upload/", files={"file": ("big.csv", oversized, "text/csv")},
                            data={"name": "big", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                            headers={"Referer": f"{stack.url}/datasets/upload/"})
    assert response.status_code == 413
    assert "too large" in response.text
    records = [r for r in stack.nginx_log() if r["uri"] == "/datasets/upload/" and r["status"] == 413]
    assert records and records[-1]["upstream"] == "", "the body reached Django"
