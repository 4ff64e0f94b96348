"""Which compose files a project's .env asks for: TLS and mail each add their own file."""
import pytest

from portal_stack.stack import ROOT, Stack


@pytest.mark.parametrize(
    "settings, extra",
    [
        ("", []),
        ("TLS_CERT_FILE=/etc/tls/cert.pem\n", ["compose.tls.yaml"]),
        ("EMAIL_HOST=smtp.example.com\n", ["compose.mail.yaml"]),
        ("EMAIL_HOST=\nTLS_CERT_FILE=\n", []),
        ("TLS_CERT_FILE=/c.pem\nEMAIL_HOST=smtp.example.com\n", ["compose.tls.yaml", "compose.mail.yaml"]),
    ],
)
def test_the_env_file_picks_the_compose_files(tmp_path, settings, extra):
    env_file = tmp_path / ".env"
    env_file.write_text(settings)

    picked = Stack("unit", str(env_file), "http://127.0.0.1").compose_files()

    assert picked.split(":") == [str(ROOT / "compose.yaml"), *(str(ROOT / name) for name in extra)]
