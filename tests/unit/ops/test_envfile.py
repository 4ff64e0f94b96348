"""The .env file ops/up creates and checks: fresh secrets, mode 600, the line at fault named."""
import importlib.util
import socket
import stat
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
spec = importlib.util.spec_from_file_location("envfile", ROOT / "ops" / "lib" / "envfile.py")
envfile = importlib.util.module_from_spec(spec)
spec.loader.exec_module(envfile)

EXAMPLE = ROOT / ".env.example"


@pytest.fixture
def created(tmp_path):
    target = tmp_path / ".env"
    envfile.create(EXAMPLE, target, ["PORTAL_PORT=18080", "PORTAL_BIND=127.0.0.1"])
    return target


def values(path):
    return {name: value for _, name, value in envfile.parse(path)}


def test_the_example_documents_exactly_the_settings_the_schema_knows():
    assert set(values(EXAMPLE)) == set(envfile.SCHEMA)


def test_created_file_is_private_and_has_fresh_distinct_secrets(tmp_path, created):
    assert stat.S_IMODE(created.stat().st_mode) == 0o600
    first = values(created)
    again = tmp_path / "again.env"
    envfile.create(EXAMPLE, again)
    for name in envfile.SECRETS:
        assert len(first[name]) >= 32
        assert first[name] != values(again)[name]
    assert len({first[name] for name in envfile.SECRETS}) == len(envfile.SECRETS)


def test_create_never_overwrites_an_existing_file(created):
    before = created.read_text()
    with pytest.raises(FileExistsError):
        envfile.create(EXAMPLE, created)
    assert created.read_text() == before


def test_overrides_replace_the_example_values(created):
    assert values(created)["PORTAL_PORT"] == "18080"
    envfile.check(created, port_check=False)


@pytest.mark.parametrize("line, message", [
    ("NOT_A_SETTING=1", "NOT_A_SETTING is not a setting"),
    ("GUNICORN_WORKERS=four", "must be a whole number"),
    ("PORTAL_PORT=70000", "between 1 and 65535"),
    ("STREAMLIT_ROUTING=random", "must be one of consistent, ip_hash"),
    ("TRUSTED_PROXIES=10.0.0.0/8 not-a-net", "'not-a-net' is not an address or CIDR"),
    ("DJANGO_SECRET_KEY=short", "at least 32 characters"),
    ("this line has no equals sign", "not NAME=value"),
    ("PORTAL_LANGUAGE=fr", "must be one of ko, en"),
    ("PORTAL_TIME_ZONE=Asia/Busan", "must be an IANA time zone"),
    ("PORTAL_TIME_ZONE=../../etc/passwd", "must be an IANA time zone"),
])
def test_a_bad_line_is_named_with_its_number(created, line, message):
    lines = created.read_text().splitlines()
    lines.insert(3, line)
    created.write_text("\n".join(lines) + "\n")
    with pytest.raises(envfile.EnvError) as error:
        envfile.check(created, port_check=False)
    assert f"{created}:4:" in str(error.value)
    assert message in str(error.value)


def test_a_port_in_use_is_named(created):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        envfile.set_value(created, f"PORTAL_PORT={port}")
        with pytest.raises(envfile.EnvError, match=f"PORTAL_PORT {port} on 127.0.0.1 is already in use"):
            envfile.check(created)


@pytest.mark.parametrize("assignment, message", [
    ("STREAMLIT_MAX_REPLICAS=0", "between 1 and 32"),
    ("AUTOSCALE_COOLDOWN_SECONDS=soon", "must be a whole number"),
    ("STREAMLIT_DRAIN_SECONDS=-5", "must be a whole number"),
])
def test_autoscale_and_drain_settings_are_checked(assignment, message):
    name, _, value = assignment.partition("=")
    assert message in envfile.problem(name, value)


def test_a_minimum_above_the_maximum_is_refused(created):
    envfile.set_value(created, "STREAMLIT_MIN_REPLICAS=3")
    envfile.set_value(created, "STREAMLIT_MAX_REPLICAS=2")
    with pytest.raises(envfile.EnvError, match="STREAMLIT_MIN_REPLICAS 3 is above STREAMLIT_MAX_REPLICAS 2"):
        envfile.check(created, port_check=False)
    envfile.set_value(created, "STREAMLIT_MAX_REPLICAS=3")
    envfile.check(created, port_check=False)


def test_set_value_changes_one_line_and_keeps_the_rest(created):
    before = created.read_text().splitlines()
    envfile.set_value(created, "STREAMLIT_REPLICAS=5")
    after = created.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after) if a != b]
    assert changed == [("STREAMLIT_REPLICAS=2", "STREAMLIT_REPLICAS=5")]
    assert stat.S_IMODE(created.stat().st_mode) == 0o600


def test_set_value_refuses_a_bad_value(created):
    with pytest.raises(envfile.EnvError):
        envfile.set_value(created, "STREAMLIT_REPLICAS=0")


PEM_CERT = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"


@pytest.fixture
def tls_pair(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text(PEM_CERT)
    key.write_text(PEM_KEY)
    key.chmod(0o644)
    return cert, key


def test_a_readable_tls_pair_passes(created, tls_pair):
    cert, key = tls_pair
    envfile.set_value(created, f"TLS_CERT_FILE={cert}")
    envfile.set_value(created, f"TLS_KEY_FILE={key}")
    envfile.check(created, port_check=False)


def write_raw(path, name, value):
    """Put NAME=value in the file as an operator's editor would, unchecked. Returns its line number."""
    lines = path.read_text().splitlines()
    number = next(n for n, line in enumerate(lines, start=1) if line.startswith(f"{name}="))
    lines[number - 1] = f"{name}={value}"
    path.write_text("\n".join(lines) + "\n")
    return number


def test_a_missing_tls_file_is_named(created, tls_pair, tmp_path):
    cert, _ = tls_pair
    envfile.set_value(created, f"TLS_CERT_FILE={cert}")
    number = write_raw(created, "TLS_KEY_FILE", tmp_path / "nowhere.pem")
    with pytest.raises(envfile.EnvError, match=rf":{number}: TLS_KEY_FILE names .*nowhere.pem, which is not a file"):
        envfile.check(created, port_check=False)


def test_a_certificate_without_its_key_is_refused(created, tls_pair):
    cert, _ = tls_pair
    envfile.set_value(created, f"TLS_CERT_FILE={cert}")
    with pytest.raises(envfile.EnvError, match="TLS_CERT_FILE is set but TLS_KEY_FILE is not"):
        envfile.check(created, port_check=False)


def test_a_key_nginx_cannot_read_is_refused_with_the_fix(created, tls_pair):
    cert, key = tls_pair
    envfile.set_value(created, f"TLS_CERT_FILE={cert}")
    envfile.set_value(created, f"TLS_KEY_FILE={key}")
    key.chmod(0o600)
    with pytest.raises(envfile.EnvError, match=f"chown 10003"):
        envfile.check(created, port_check=False)


def test_a_file_that_is_not_pem_is_refused(created, tls_pair):
    cert, key = tls_pair
    envfile.set_value(created, f"TLS_KEY_FILE={key}")
    cert.write_text("not a certificate")
    write_raw(created, "TLS_CERT_FILE", cert)
    with pytest.raises(envfile.EnvError, match="which is not a PEM certificate"):
        envfile.check(created, port_check=False)
