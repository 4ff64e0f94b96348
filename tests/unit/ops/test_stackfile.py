"""The stack file ops/deploy renders: Compose's resolved forms fixed up where Swarm refuses them."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

import envsettings
import stackfile

ROOT = Path(__file__).resolve().parents[3]

RESOLVED = {
    "name": "partner-portal",
    "x-probe": {"interval": "5s"},
    "services": {
        "nginx": {
            "build": {"context": "."},
            "image": "registry.example.com/partner-portal-nginx:latest",
            "depends_on": {"django": {"condition": "service_healthy", "required": True}},
            "restart": "unless-stopped",
            "security_opt": ["no-new-privileges:true"],
            "read_only": True,
            "cap_drop": ["ALL"],
            "command": None,
            "tmpfs": ["/tmp:size=64m,mode=1777"],
            "ports": [{"mode": "host", "target": 8080, "published": "8080", "host_ip": "0.0.0.0", "protocol": "tcp"}],
            "volumes": [{"type": "volume", "source": "probe-reports", "target": "/var/lib/portal-probe", "volume": {}}],
            "deploy": {"mode": "global", "resources": {"limits": {"cpus": 0.5, "memory": "268435456", "pids": 128}}},
            "secrets": [],
        },
    },
    "networks": {"back": {"name": "partner-portal_back", "internal": True}},
    "volumes": {"probe-reports": {"name": "partner-portal_probe-reports"}},
    "secrets": {"ca": {"name": "partner-portal_ca", "file": "/etc/ssl/certs/ca-certificates.crt"}},
}


@pytest.fixture
def nginx():
    return stackfile.stack_file(json.loads(json.dumps(RESOLVED)))["services"]["nginx"]


def test_what_swarm_refuses_or_ignores_is_left_out(nginx):
    for key in ("build", "depends_on", "restart", "security_opt", "command"):
        assert key not in nginx


def test_hardening_swarm_applies_stays(nginx):
    assert nginx["read_only"] is True and nginx["cap_drop"] == ["ALL"]
    assert nginx["deploy"]["resources"]["limits"]["pids"] == 128


def test_a_tmpfs_becomes_a_long_form_volume_swarm_keeps(nginx):
    assert "tmpfs" not in nginx
    assert {"type": "tmpfs", "target": "/tmp", "tmpfs": {"size": 64 * 1024**2, "mode": 0o1777}} in nginx["volumes"]


def test_ports_and_limits_take_the_types_swarm_wants(nginx):
    assert nginx["ports"] == [{"mode": "host", "target": 8080, "published": 8080, "protocol": "tcp"}]
    assert nginx["deploy"]["resources"]["limits"]["cpus"] == "0.5"


def test_the_stack_names_its_networks_and_volumes_and_drops_build_secrets():
    stack = stackfile.stack_file(json.loads(json.dumps(RESOLVED)))
    assert "name" not in stack and not any(key.startswith("x-") for key in stack)
    assert stack["networks"] == {"back": {"internal": True}}
    assert stack["volumes"] == {"probe-reports": {}}
    assert "secrets" not in stack
    assert stack["services"]["nginx"]["volumes"][0] == {"type": "volume", "source": "probe-reports",
                                                        "target": "/var/lib/portal-probe"}


def test_a_tmpfs_option_without_a_long_form_is_refused():
    with pytest.raises(ValueError, match="noexec"):
        stackfile.tmpfs_volume("/tmp:noexec")


def test_the_bundle_renders_with_dnsrr_everywhere_and_host_mode_nginx(tmp_path):
    """compose.yaml with compose.swarm.yaml, through `docker compose config` when it is here."""
    env = tmp_path / "swarm.env"
    subprocess.run([sys.executable, str(ROOT / "ops/lib/envfile.py"), "create", str(ROOT / ".env.example"), str(env),
                    "REGISTRY=registry.example.com:5000"], check=True)
    try:
        resolved = subprocess.run(
            ["docker", "compose", "--project-directory", str(ROOT), "--env-file", str(env),
             "-f", str(ROOT / "compose.yaml"), "-f", str(ROOT / "compose.swarm.yaml"), "config", "--format", "json"],
            capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        pytest.skip("no docker CLI here")
    if resolved.returncode != 0:
        pytest.skip(f"docker compose is not usable here: {resolved.stderr.strip()[:200]}")
    stack = stackfile.stack_file(json.loads(resolved.stdout))
    services = stack["services"]
    assert {name: s["deploy"]["endpoint_mode"] for name, s in services.items()} == dict.fromkeys(services, "dnsrr")
    assert services["nginx"]["ports"][0]["mode"] == "host" and services["nginx"]["deploy"]["mode"] == "global"
    assert all(s["image"].startswith("registry.example.com:5000/") for s in services.values())
    for service in services.values():
        assert any(v["type"] == "tmpfs" and v["target"] == "/tmp" for v in service["volumes"])
        assert service["deploy"].get("update_config", {}).get("parallelism") == 1
    # A replica Swarm stops drains itself, and Swarm waits for the drain before it kills it.
    drain = envsettings.default("STREAMLIT_DRAIN_SECONDS")
    assert services["streamlit"]["environment"]["DRAIN_ON_STOP"] == "true"
    assert services["streamlit"]["stop_grace_period"] == f"{drain + stackfile.DRAIN_MARGIN_SECONDS}s"
    assert not any("stop_grace_period" in services[name] for name in ("nginx", "django"))
