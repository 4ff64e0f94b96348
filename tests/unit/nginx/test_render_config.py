"""nginx.conf rendering: routing modes, trusted proxies, one server line per replica."""
import importlib.util
from pathlib import Path

import envsettings
import pytest

NGINX = Path(__file__).resolve().parents[3] / "services" / "nginx"
spec = importlib.util.spec_from_file_location("render_config", NGINX / "render_config.py")
render_config = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render_config)


@pytest.fixture
def replicas(monkeypatch):
    """Replicas as Docker's DNS would name them, all answering their health check."""
    found = {}
    monkeypatch.setattr(render_config, "running_replicas", lambda service: dict(found))
    monkeypatch.setattr(render_config, "replica_state", lambda address: render_config.READY)
    monkeypatch.setattr(render_config, "addresses_of", lambda service, port: ["172.20.0.9"] if service == "django" else [])
    return found


def rendered(monkeypatch, **env):
    for name in ("UPLOAD_MAX_MB", "STREAMLIT_ROUTING", "TRUSTED_PROXIES", "DJANGO_ALLOWED_HOSTS", "TLS_ENABLED",
                 "PORTAL_TLS_PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    template = (NGINX / "nginx.conf.template").read_text()
    return render_config.render(template, render_config.values())


def test_each_replica_gets_its_own_server_line_in_numeric_order(monkeypatch, replicas):
    for n in (10, 2, 1):
        replicas[f"pp-streamlit-{n}"] = f"172.20.0.{n + 1}"
    conf = rendered(monkeypatch)
    for name in ("streamlit", "streamlit_sessions"):
        lines = [line.split()[1] for line in upstream(conf, name)]
        assert lines == ["pp-streamlit-1:8501", "pp-streamlit-2:8501", "pp-streamlit-10:8501"]


@pytest.mark.parametrize(
    "reverse, expected",
    [
        # Compose: the container's name, which resolves as it is.
        ("pp-streamlit-2.pp_back", ("pp-streamlit-2", "pp-streamlit-2")),
        # Swarm: the slot names the replica; the task's own name is what resolves.
        ("partner-portal_streamlit.3.k2x9q7.partner-portal_back", ("streamlit-3", "partner-portal_streamlit.3.k2x9q7")),
        ("", ("10.0.0.7", "10.0.0.7")),
    ],
)
def test_a_replica_is_named_by_its_container_or_its_task_slot(reverse, expected):
    assert render_config.replica_name(reverse, "10.0.0.7") == expected


def test_django_is_written_by_address(monkeypatch, replicas):
    assert "server 172.20.0.9:8000;" in rendered(monkeypatch)


def test_without_django_nginx_still_renders_and_serves_the_come_back_page(monkeypatch, replicas):
    monkeypatch.setattr(render_config, "addresses_of", lambda service, port: [])
    conf = rendered(monkeypatch)
    assert render_config.NO_DJANGO in conf and render_config.NO_REPLICA in conf


def test_no_replica_renders_a_server_that_never_answers(monkeypatch, replicas):
    conf = rendered(monkeypatch)
    assert render_config.NO_REPLICA in conf


def test_unhealthy_replicas_are_left_out(monkeypatch, replicas):
    replicas.update({"pp-streamlit-1": "172.20.0.2", "pp-streamlit-2": "172.20.0.3"})
    monkeypatch.setattr(render_config, "replica_state", lambda address: render_config.READY if address == "172.20.0.3" else None)
    conf = rendered(monkeypatch)
    assert "pp-streamlit-2:8501" in conf and "pp-streamlit-1:8501" not in conf


@pytest.mark.parametrize(
    "mode, directive",
    [("consistent", "hash $remote_addr consistent;"), ("ip_hash", "ip_hash;"), ("user", "hash $portal_user consistent;")],
)
def test_routing_mode_picks_the_balancing_directive(monkeypatch, replicas, mode, directive):
    assert directive in rendered(monkeypatch, STREAMLIT_ROUTING=mode)


def test_default_routing_is_consistent(monkeypatch, replicas):
    assert "hash $remote_addr consistent;" in rendered(monkeypatch)


def test_trusted_proxies_become_real_ip_sources(monkeypatch, replicas):
    conf = rendered(monkeypatch, TRUSTED_PROXIES="10.1.0.0/16, 192.0.2.7")
    assert "set_real_ip_from 10.1.0.0/16;" in conf
    assert "set_real_ip_from 192.0.2.7/32;" in conf
    assert "real_ip_header X-Forwarded-For;" in conf


def test_without_trusted_proxies_forwarded_for_is_ignored(monkeypatch, replicas):
    assert "real_ip_header" not in rendered(monkeypatch)


@pytest.mark.parametrize("env, message", [
    ({"UPLOAD_MAX_MB": "lots"}, "UPLOAD_MAX_MB must be a whole number"),
    ({"STREAMLIT_ROUTING": "random"}, "STREAMLIT_ROUTING must be one of"),
    ({"TRUSTED_PROXIES": "nowhere"}, "TRUSTED_PROXIES 'nowhere' is not an address or CIDR"),
    ({"UPLOAD_MAX_MB": "0"}, "UPLOAD_MAX_MB must be between 1 and 2048"),
])
def test_bad_values_stop_rendering_with_the_variable_named(monkeypatch, replicas, env, message):
    with pytest.raises(render_config.ConfigError, match=message):
        rendered(monkeypatch, **env)


def upstream(conf, name):
    block = conf.split(f"upstream {name} {{", 1)[1].split("}", 1)[0]
    return [line.strip() for line in block.splitlines() if line.strip().startswith("server ")]


def test_a_draining_replica_gets_no_new_client_but_its_sessions_files_still_reach_it(monkeypatch, replicas):
    replicas.update({"pp-streamlit-1": "172.20.0.2", "pp-streamlit-2": "172.20.0.3"})
    monkeypatch.setattr(render_config, "replica_state", lambda address: render_config.DRAINING if address == "172.20.0.3" else render_config.READY)
    conf = rendered(monkeypatch)
    # Marked down, not left out: every other client keeps its replica, under any routing mode.
    assert upstream(conf, "streamlit") == [
        "server pp-streamlit-1:8501 max_fails=1 fail_timeout=10s;",
        "server pp-streamlit-2:8501 down;  # draining",
    ]
    assert upstream(conf, "streamlit_sessions") == [
        "server pp-streamlit-1:8501 max_fails=1 fail_timeout=10s;",
        "server pp-streamlit-2:8501 max_fails=1 fail_timeout=10s;",
    ]
    assert "proxy_pass http://streamlit_sessions;" in (NGINX / "portal-locations.conf").read_text().split("location ^~ /app/media/")[1].split("}")[0]


def test_a_replica_says_it_drains_on_its_health_answer(monkeypatch):
    class Reply:
        status = 200

        def __init__(self, headers):
            self.headers = headers

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    answers = {"172.20.0.2": {}, "172.20.0.3": {"X-Portal-Draining": "1764650000"}}
    monkeypatch.setattr(render_config.urllib.request, "urlopen",
                        lambda url, timeout: Reply(answers[url.split("//")[1].split(":")[0]]))
    assert render_config.replica_state("172.20.0.2") == render_config.READY
    assert render_config.replica_state("172.20.0.3") == render_config.DRAINING


def test_every_routing_mode_the_schema_allows_has_its_balance_line():
    assert set(render_config.ROUTING_MODES) == set(envsettings.SCHEMA["STREAMLIT_ROUTING"].rule.allowed)


def test_the_portal_answers_only_its_host_names_and_localhost(monkeypatch, replicas):
    conf = rendered(monkeypatch, DJANGO_ALLOWED_HOSTS="portal.example.com, .partners.example.com")
    assert "server_name portal.example.com .partners.example.com localhost;" in conf
    # Any other Host lands on the default server, which answers 400.
    default = conf[conf.index("listen 8080 default_server;"):]
    assert "return 400;" in default[:default.index("server {")]


def test_allowed_hosts_star_answers_every_host(monkeypatch, replicas):
    assert "server_name ~^.*$;" in rendered(monkeypatch, DJANGO_ALLOWED_HOSTS="*")


def test_a_host_name_that_could_break_the_config_is_refused(monkeypatch, replicas):
    with pytest.raises(render_config.ConfigError, match="DJANGO_ALLOWED_HOSTS"):
        rendered(monkeypatch, DJANGO_ALLOWED_HOSTS="evil; return 200")


def test_without_tls_the_portal_listens_on_plain_http_only(monkeypatch, replicas):
    conf = rendered(monkeypatch)
    assert "listen 8443" not in conf and "ssl_certificate" not in conf
    assert "add_header Strict-Transport-Security" not in conf


def test_tls_serves_8443_and_redirects_http_to_the_public_tls_port(monkeypatch, replicas, tmp_path):
    for name in ("cert", "key"):
        (tmp_path / f"{name}.pem").write_text("-----BEGIN X-----\n")
    monkeypatch.setattr(render_config, "TLS_CERT", str(tmp_path / "cert.pem"))
    monkeypatch.setattr(render_config, "TLS_KEY", str(tmp_path / "key.pem"))
    conf = rendered(monkeypatch, TLS_ENABLED="true", PORTAL_TLS_PORT="9443")
    assert "listen 8443 ssl;" in conf
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in conf
    assert "return 301 https://$host:9443$request_uri;" in conf
    assert 'Strict-Transport-Security "max-age=3600"' in conf


def test_tls_on_port_443_redirects_without_a_port(monkeypatch, replicas, tmp_path):
    for name in ("cert", "key"):
        (tmp_path / f"{name}.pem").write_text("-----BEGIN X-----\n")
    monkeypatch.setattr(render_config, "TLS_CERT", str(tmp_path / "cert.pem"))
    monkeypatch.setattr(render_config, "TLS_KEY", str(tmp_path / "key.pem"))
    assert "return 301 https://$host$request_uri;" in rendered(monkeypatch, TLS_ENABLED="true", PORTAL_TLS_PORT="443")


def test_tls_without_its_files_stops_rendering(monkeypatch, replicas, tmp_path):
    monkeypatch.setattr(render_config, "TLS_CERT", str(tmp_path / "missing.pem"))
    with pytest.raises(render_config.ConfigError, match="TLS is on but .*missing.pem cannot be read"):
        rendered(monkeypatch, TLS_ENABLED="true")


def test_while_two_tasks_share_a_slot_the_routed_one_stays_until_it_is_gone(monkeypatch):
    names = {"10.0.0.2": "st_streamlit.1.old.st_back", "10.0.0.3": "st_streamlit.1.new.st_back",
             "10.0.0.4": "st_streamlit.2.other.st_back"}
    found = dict(names)
    monkeypatch.setattr(render_config, "addresses_of", lambda service, port: sorted(found))
    monkeypatch.setattr(render_config, "reverse_name", lambda address: found[address])
    monkeypatch.setattr(render_config, "answers_health", lambda address: True)
    monkeypatch.setattr(render_config, "current_aliases", lambda: {"streamlit-1": "st_streamlit.1.old"})
    # The new task sorts first, and answers: the old one still gets the slot's clients.
    found["10.0.0.1"] = found.pop("10.0.0.3")
    assert render_config.resolved_replicas("tasks.streamlit")["streamlit-1"] == ("st_streamlit.1.old", "10.0.0.2")
    del found["10.0.0.2"]
    assert render_config.resolved_replicas("tasks.streamlit")["streamlit-1"] == ("st_streamlit.1.new", "10.0.0.1")


@pytest.mark.parametrize("snippet", sorted(path.name for path in NGINX.glob("*.conf")))
def test_no_location_snippet_hides_a_header_of_its_own(snippet):
    # nginx inherits proxy_hide_header only where a block names none: one line in a location's
    # snippet would let Streamlit's allow-every-origin answer and the draining notice through.
    lines = [line.split("#")[0] for line in (NGINX / snippet).read_text().splitlines()]
    assert not [line for line in lines if "proxy_hide_header" in line]
