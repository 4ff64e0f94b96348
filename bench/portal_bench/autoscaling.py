"""The autoscaling benchmark: a load step on one replica, `ops/autoscale --once` run as a timer
runs it until it has scaled out, then the load gone and the rounds until it has scaled back in
(after its cool-down, with a drain). Measured: seconds from the step to the new replica in
nginx's upstream (taking new partners), and the open sessions lost during the scale-out and
the scale-in; the goal is none.

The load is sessions, which the advice counts like CPU: the autoscaler's session mark is
lowered through its environment (as for ops/status, the environment overrides the settings
file's thresholds), so a few sessions pass it without spending the machine's cores. Sessions
rerun between rounds, as partners at work; one of them stays open throughout.
"""
from __future__ import annotations

import subprocess
import time

from portal_stack.streamlit_session import StreamlitSession

from portal_bench.project import ROOT, BenchProject

# Per round: a timer would wait about this long between runs.
ROUND_SECONDS = 2.0


def upstream_replicas(project: BenchProject) -> int:
    return routed_replicas(project.nginx_config())


def routed_replicas(nginx_config: str) -> int:
    """The replicas nginx gives new partners: `upstream streamlit`'s servers not marked down (a
    draining one keeps a down line there, and a line in the sessions' upstream)."""
    block = nginx_config.split("upstream streamlit {", 1)[1].split("}", 1)[0]
    return sum(1 for line in block.splitlines() if line.strip().startswith("server ") and " down;" not in line)


def run(project: BenchProject, plan) -> dict:
    replicas_before = len(project.containers("streamlit"))
    (nginx,) = project.containers("nginx")
    settings = {"AUTOSCALE_COOLDOWN_SECONDS": str(plan.autoscale_cooldown), "STREAMLIT_MIN_REPLICAS": "1",
                "STREAMLIT_MAX_REPLICAS": "2", "STREAMLIT_DRAIN_SECONDS": "120",
                # Each tab a partner of its own address, named in X-Forwarded-For by this host:
                # sessions from one address would rightly make the advice add no replica.
                "TRUSTED_PROXIES": f"{project.source_address(nginx)}/32"}
    kept = {name: project.stack.settings.get(name, "") for name in settings}
    for name, value in settings.items():
        project.set_setting(f"{name}={value}")
    project.recreate_nginx()
    env = dict(project.env(), STREAMLIT_SESSIONS_PER_REPLICA=str(plan.autoscale_sessions - 1))
    project.ops("scale", "1")
    lines: list[str] = []
    open_tabs: list[StreamlitSession] = []
    lost = {"out": 0, "in": 0}

    def work(phase: str) -> None:
        for tab in list(open_tabs):
            try:
                tab.rerun()
            except Exception:  # a closed websocket, whatever the library calls it
                lost[phase] += 1
                open_tabs.remove(tab)

    def rounds_until(replicas: int, phase: str, timeout: float) -> float:
        started = time.monotonic()
        while upstream_replicas(project) != replicas:
            if time.monotonic() - started > timeout:
                raise RuntimeError(f"ops/autoscale did not reach {replicas} replicas in {timeout:.0f} s:\n"
                                   + "\n".join(lines[-5:]))
            work(phase)
            result = subprocess.run([str(ROOT / "ops" / "autoscale"), "--once"], env=env, capture_output=True,
                                    text=True, timeout=600)
            if result.returncode != 0:
                raise RuntimeError(f"ops/autoscale --once failed: {result.stderr.strip()[-2000:]}")
            lines.append(result.stdout.strip())
            time.sleep(ROUND_SECONDS)
        return time.monotonic() - started

    try:
        step = time.monotonic()
        open_tabs.extend(StreamlitSession(project.url, cookies={"sessionid": project.session_cookie},
                                          headers={"X-Forwarded-For": f"198.51.100.{index + 1}"})
                         for index in range(plan.autoscale_sessions))
        work("out")
        opened = len(open_tabs) + lost["out"]
        rounds_until(2, "out", timeout=180)
        out_seconds = time.monotonic() - step
        work("out")
        for tab in open_tabs[1:]:
            tab.close()
        del open_tabs[1:]
        in_seconds = rounds_until(1, "in", timeout=4 * plan.autoscale_cooldown + 180)
        work("in")
        return {"sessions": plan.autoscale_sessions, "mark": plan.autoscale_sessions - 1,
                "cooldown": plan.autoscale_cooldown, "out_seconds": out_seconds, "in_seconds": in_seconds,
                "opened": opened, "lost_out": lost["out"], "kept_in": len(open_tabs), "lost_in": lost["in"],
                "rounds": len(lines)}
    finally:
        for tab in open_tabs:
            tab.close()
        for name, value in kept.items():
            project.set_setting(f"{name}={value}")
        project.recreate_nginx()
        project.ops("scale", str(replicas_before))
