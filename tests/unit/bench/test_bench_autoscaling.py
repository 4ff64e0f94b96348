"""The autoscaling measurement reads nginx's config as nginx's renderer writes it."""
import importlib.util
from pathlib import Path

from portal_bench import autoscaling

NGINX = Path(__file__).resolve().parents[3] / "services" / "nginx"
spec = importlib.util.spec_from_file_location("render_config", NGINX / "render_config.py")
render_config = importlib.util.module_from_spec(spec)
spec.loader.exec_module(render_config)


def config(replicas):
    template = (NGINX / "nginx.conf.template").read_text()
    template = template.replace("{{STREAMLIT_BALANCE}}", render_config.ROUTING_MODES["consistent"])
    for name, sessions_only in (("STREAMLIT_SERVERS", False), ("STREAMLIT_SESSION_SERVERS", True)):
        template = template.replace("{{" + name + "}}", render_config.upstream_servers(replicas, sessions_only))
    return template


def test_a_draining_replica_is_not_counted_among_those_nginx_routes_to():
    ready = ("172.20.0.2", render_config.READY)
    draining = ("172.20.0.3", render_config.DRAINING)
    assert autoscaling.routed_replicas(config({"bench-streamlit-1": ready})) == 1
    assert autoscaling.routed_replicas(config({"bench-streamlit-1": ready, "bench-streamlit-2": ready})) == 2
    assert autoscaling.routed_replicas(config({"bench-streamlit-1": ready, "bench-streamlit-2": draining})) == 1
