"""The psutil probes as ops meet them: health checks that catch real trouble, figures from each
container's own cgroup, and ops/status."""
import json
import re
import subprocess

from support.logins import create_partner_user, create_staff_user, login

UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def configured_limits(stack, service):
    cpus = stack.setting(f"{service.upper()}_CPUS")
    size = stack.setting(f"{service.upper()}_MEM_LIMIT").lower()
    number, unit = re.fullmatch(r"(\d+)([kmg]?)", size).groups()
    return cpus, int(number) * UNITS[unit]


def status(stack):
    result = stack.ops("status", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def health_of(stack, container):
    return subprocess.run(["docker", "inspect", "-f", "{{.State.Health.Status}}", container], check=True,
                          capture_output=True, text=True).stdout.strip()


def test_ops_status_lists_every_container_with_real_figures_within_its_limits(stack):
    expected = {row["Name"] for row in stack.containers()}

    def every_container_reported_healthy():
        report = status(stack)
        # A container removed earlier (a scale-down) stays listed as stale for a day; one an
        # earlier test restarted reports unhealthy until its server answers again.
        fresh = {row["container"]: row for row in report["containers"] if row["health"] != "stale"}
        healthy = set(fresh) == expected and all(row["health"] == "healthy" for row in fresh.values())
        return (report, fresh) if healthy else None

    report, rows = stack.wait_until("a fresh, healthy snapshot from every container",
                                    every_container_reported_healthy, timeout=120)
    for name, row in rows.items():
        cpus, memory_limit = configured_limits(stack, row["service"])
        assert row["cpu_quota_cores"] == cpus, row
        assert row["memory_limit_bytes"] == memory_limit, row
        assert 0 < row["memory_bytes"] < memory_limit, row
        # Of its own quota: the kernel throttles a container at 100 %; sampling adds a little.
        assert 0 <= row["cpu_percent"] <= 105, row
    assert {advice["service"] for advice in report["advice"]} == {"nginx", "django", "streamlit"}
    assert all(advice["recommendation"] for advice in report["advice"])


def test_ops_status_prints_a_table_and_a_recommendation(stack):
    result = stack.ops("status")
    assert result.returncode == 0, result.stderr
    for name in stack.container_names("streamlit"):
        assert name in result.stdout
    summary = r"(1 replica at .*|\d+ replicas, \d+ sessions; the busiest at .*)"
    # A replica troubled in the last minutes (an earlier test restarted one) keeps it from "enough".
    actions = r"(enough|scale to \d+|see the warnings|.* was .* in the last minutes)"
    assert re.search(rf"^streamlit: {summary}: {actions}", result.stdout, re.M), result.stdout
    zone = stack.setting("PORTAL_TIME_ZONE")
    assert re.match(rf"\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d \S+ \({re.escape(zone)}\);", result.stdout), result.stdout


def test_fewer_gunicorn_workers_than_configured_mark_django_unhealthy_until_they_are_back(stack):
    (django,) = stack.container_names("django")
    # TTOU makes the master stop one worker for good; TTIN brings one back.
    subprocess.run(["docker", "exec", django, "sh", "-c", "kill -TTOU 1"], check=True)
    try:
        stack.wait_until("django to turn unhealthy", lambda: health_of(stack, django) == "unhealthy", timeout=60)
        check = subprocess.run(["docker", "exec", django, "python3", "-m", "portal_probe", "check", "django"],
                               capture_output=True, text=True)
        workers = stack.setting("GUNICORN_WORKERS")
        assert check.returncode == 1
        assert f"{workers - 1} gunicorn workers, expected {workers}" in check.stderr
    finally:
        subprocess.run(["docker", "exec", django, "sh", "-c", "kill -TTIN 1"], check=True)
    stack.wait_until("django to be healthy again", lambda: health_of(stack, django) == "healthy", timeout=60)


def test_a_streamlit_replica_past_its_memory_threshold_turns_unhealthy(stack):
    replica = stack.container_names("streamlit")[0]
    _, limit = configured_limits(stack, "streamlit")
    fail_percent = stack.setting("PROBE_MEM_FAIL")
    used = json.loads(subprocess.run(["docker", "exec", replica, "python3", "-m", "portal_probe", "report", "streamlit",
                                      "--once"], check=True, capture_output=True, text=True).stdout)["memory_bytes"]
    # Test-only: a process in the replica that holds written (resident) memory until its stdin closes.
    target = int(limit * (fail_percent + 4) / 100) - used
    hog = subprocess.Popen(["docker", "exec", "-i", replica, "python3", "-c",
                            f"import sys; held = b'x' * {target}; print('held', flush=True); sys.stdin.read()"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert hog.stdout.readline().strip() == "held"
        stack.wait_until(f"{replica} to turn unhealthy", lambda: health_of(stack, replica) == "unhealthy", timeout=60)
        check = subprocess.run(["docker", "exec", replica, "python3", "-m", "portal_probe", "check", "streamlit"],
                               capture_output=True, text=True)
        assert check.returncode == 1 and f"over {fail_percent} %" in check.stderr, check.stderr
    finally:
        hog.stdin.close()
        hog.wait(timeout=30)
    stack.wait_until(f"{replica} to be healthy again", lambda: health_of(stack, replica) == "healthy", timeout=60)


def test_the_ops_page_renders_for_staff_and_is_refused_for_partners(stack):
    staff = login(stack.url, *create_staff_user(stack))
    replica = stack.container_names("streamlit")[0]

    def page_with_history():
        page = staff.get(f"{stack.url}/ops/status/")
        return page if page.status_code == 200 and replica in page.text and "<svg" in page.text else None

    page = stack.wait_until("the ops page to show the replicas' history", page_with_history, timeout=60)
    assert "streamlit" in page.text
    partner = login(stack.url, *create_partner_user(stack, "nosy", "Nosy Partner"))
    refused = partner.get(f"{stack.url}/ops/status/", allow_redirects=False)
    assert refused.status_code == 403
    assert "<svg" not in refused.text


def test_the_ops_page_reads_in_korean_for_a_korean_browser(stack):
    """The probe's advice comes from a catalog of its own, compiled in the django image's build."""
    staff = login(stack.url, *create_staff_user(stack, "ops-ko"))

    page = staff.get(f"{stack.url}/ops/status/", headers={"Accept-Language": "ko-KR,ko;q=0.9"})

    assert page.status_code == 200
    assert "운영 현황" in page.text
    advice = re.search(r'<ul class="card advice">(.*?)</ul>', page.text, re.S)
    assert advice, "the page shows no recommendation"
    # Each service's line ends with a Korean sentence: enough as it is, what to change, or what
    # was wrong in the last minutes (right after a start, the containers' start-up).
    lines = [line.strip() for line in re.findall(r"<li>(.*?)</li>", advice.group(1), re.S)]
    assert lines and all(re.search(r"(니다|십시오)( \(ops/scale \d+\))?$", line) for line in lines), lines
    assert not re.search(r"\b(enough|scale to|raise its)\b", advice.group(1))
