"""What the ops scripts read of the deployment they act on, a compose project or a Swarm stack."""
import subprocess

import deployment


def test_a_stacks_running_replicas_are_named_as_their_snapshots_name_them(monkeypatch):
    listed = ("partner-portal_streamlit.1@node2|Running 3 minutes ago\n"
              "partner-portal_streamlit.3@node3|Starting 2 seconds ago\n"
              "partner-portal_streamlit.2@node1|Running 10 minutes ago\n")
    asked = []
    monkeypatch.setattr(deployment, "STACK", "partner-portal")
    monkeypatch.setattr(deployment, "docker", lambda *args: asked.append(args) or subprocess.CompletedProcess(args, 0, listed, ""))
    # The one still starting sends no snapshot yet: ops/autoscale waits for every running one.
    assert deployment.streamlit_replicas() == ["partner-portal_streamlit.1@node2", "partner-portal_streamlit.2@node1"]
    assert asked[0][:4] == ("service", "ps", "partner-portal_streamlit", "-f")


def test_a_compose_projects_running_replicas_are_its_running_containers(monkeypatch):
    rows = [{"Service": "streamlit", "Name": "pp-streamlit-1", "State": "running"},
            {"Service": "streamlit", "Name": "pp-streamlit-2", "State": "exited"},
            {"Service": "nginx", "Name": "pp-nginx-1", "State": "running"}]
    monkeypatch.setattr(deployment, "STACK", "")
    monkeypatch.setattr(deployment, "containers", lambda: rows)
    assert deployment.streamlit_replicas() == ["pp-streamlit-1"]


def test_a_stacks_load_is_read_from_its_django_task_on_this_engine(monkeypatch):
    asked = []

    def docker(*args):
        asked.append(args)
        out = "c0ffee\n" if args[0] == "ps" else '{"snapshots": {}}'
        return subprocess.CompletedProcess(args, 0, out, "")

    monkeypatch.setattr(deployment, "STACK", "partner-portal")
    monkeypatch.setattr(deployment, "docker", docker)
    assert deployment.load_status() == {"snapshots": {}}
    assert asked[1] == ("exec", "c0ffee", "python", "manage.py", "loadstatus", "--json")
