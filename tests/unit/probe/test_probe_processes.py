import os
import subprocess
import sys

import pytest

from portal_probe.processes import (
    ProcessRecord,
    check_gunicorn,
    check_nginx,
    check_processes,
    check_streamlit,
    read_process_table,
)

GUNICORN = ("/usr/bin/python3", "/usr/local/bin/gunicorn", "--config", "gunicorn.conf.py", "portal.wsgi")
NGINX_MASTER = ("nginx:", "master", "process", "/usr/sbin/nginx", "-g", "daemon", "off;")
NGINX_WORKER = ("nginx:", "worker", "process")


def record(pid, ppid, cmdline, status="sleeping"):
    return ProcessRecord(pid=pid, ppid=ppid, cmdline=tuple(cmdline), status=status)


def gunicorn_table(workers=4, zombies=0):
    table = [record(1, 0, ("/bin/sh", "/start")), record(7, 1, GUNICORN)]
    table += [record(10 + n, 7, GUNICORN) for n in range(workers)]
    # A zombie's memory is gone: psutil reads an empty command line for it.
    table += [record(50 + n, 7, (), status="zombie") for n in range(zombies)]
    return table


def test_gunicorn_master_with_expected_workers_is_fine():
    check = check_gunicorn(gunicorn_table(workers=4), expected_workers=4)
    assert check.problems == ()
    assert check.summary == "gunicorn master pid 7 + 4 workers"
    assert check.workers == 4


def test_missing_gunicorn_master():
    table = [record(1, 0, ("/bin/sh", "/start"))]
    assert check_gunicorn(table, expected_workers=4).problems == ("no gunicorn master process",)


@pytest.mark.parametrize("workers", [3, 5])
def test_wrong_number_of_gunicorn_workers(workers):
    check = check_gunicorn(gunicorn_table(workers=workers), expected_workers=4)
    assert check.problems == (f"{workers} gunicorn workers, expected 4",)


def test_zombie_gunicorn_worker_is_reported_and_not_counted():
    check = check_gunicorn(gunicorn_table(workers=3, zombies=1), expected_workers=4)
    assert check.problems == ("zombie gunicorn worker pid 50", "3 gunicorn workers, expected 4")


def test_a_shell_wrapping_gunicorn_is_not_taken_for_the_master():
    table = gunicorn_table(workers=4)
    table[0] = record(1, 0, ("/bin/sh", "-c", "python manage.py migrate && gunicorn portal.wsgi"))
    assert check_gunicorn(table, expected_workers=4).problems == ()


def test_retitled_gunicorn_processes_are_recognised():
    table = [record(1, 0, ("gunicorn:", "master", "[portal]"))]
    table += [record(2 + n, 1, ("gunicorn:", "worker", "[portal]")) for n in range(2)]
    check = check_gunicorn(table, expected_workers=2)
    assert (check.problems, check.workers) == ((), 2)


def test_two_gunicorn_masters_are_a_problem():
    table = gunicorn_table(workers=4) + [record(99, 1, GUNICORN)]
    assert check_gunicorn(table, expected_workers=4).problems == ("2 gunicorn master processes (pids 7, 99)",)


def test_nginx_master_and_workers_are_fine():
    table = [record(1, 0, NGINX_MASTER), record(2, 1, NGINX_WORKER), record(3, 1, NGINX_WORKER)]
    check = check_nginx(table)
    assert (check.problems, check.summary) == ((), "nginx master pid 1 + 2 workers")


def test_missing_nginx_master():
    assert check_nginx([record(2, 1, NGINX_WORKER)]).problems == ("no nginx master process",)


def test_nginx_without_workers_is_a_problem():
    table = [record(1, 0, NGINX_MASTER), record(2, 1, ("nginx:", "cache", "manager", "process"))]
    assert check_nginx(table).problems == ("no nginx worker process",)


def test_zombie_nginx_worker_is_a_problem_even_beside_live_ones():
    table = [record(1, 0, NGINX_MASTER), record(2, 1, NGINX_WORKER), record(3, 1, (), status="zombie")]
    check = check_nginx(table)
    assert check.problems == ("zombie nginx worker pid 3",)
    assert check.workers == 1


@pytest.mark.parametrize(
    "cmdline",
    [
        ("/usr/bin/python3", "-m", "streamlit", "run", "app.py", "--server.port", "8501"),
        ("python3", "-m", "analytics.serve", "run", "streamlit_app.py"),
    ],
)
def test_streamlit_server_is_found(cmdline):
    assert check_streamlit([record(1, 0, cmdline)]).problems == ()


@pytest.mark.parametrize(
    "cmdline",
    [
        ("/usr/bin/python3", "-m", "portal_probe", "check", "streamlit"),
        ("/usr/local/bin/streamlit", "hello"),
        ("python3", "-m", "analytics.serve", "version"),
    ],
)
def test_streamlit_without_a_server_is_a_problem(cmdline):
    assert check_streamlit([record(5, 1, cmdline)]).problems == ("no streamlit server process (streamlit run)",)


def test_check_processes_dispatches_by_service():
    assert check_processes("django", gunicorn_table(workers=2), gunicorn_workers=2).problems == ()
    assert check_processes("nginx", gunicorn_table(), gunicorn_workers=4).problems == ("no nginx master process",)


def test_read_process_table_sees_a_child_but_not_the_probe_itself():
    child = subprocess.Popen(
        [sys.executable, "-c", "import sys; sys.stdin.read()", "marker-arg"], stdin=subprocess.PIPE
    )
    try:
        table = {entry.pid: entry for entry in read_process_table()}
    finally:
        child.communicate()
    assert os.getpid() not in table
    assert table[child.pid].ppid == os.getpid()
    assert table[child.pid].cmdline[-1] == "marker-arg"
    assert table[child.pid].threads >= 1
