"""Where a replica runs: one core, and a move when another replica crowds it."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from analytics import cores

STAT = """cpu  500 0 300 9000 200 0 0 0 0 0
cpu0 400 0 200 4400 100 0 0 0 0 0
cpu1 100 0 100 4600 100 0 0 0 0 0
intr 1234
"""


def test_busy_times_count_every_column_but_idle_and_iowait():
    assert cores.busy_times(STAT) == {0: (600, 5100), 1: (200, 4900)}


def test_busy_shares_are_the_busy_part_of_the_time_between_two_readings():
    before = {0: (600, 5100), 1: (200, 4900)}
    after = {0: (700, 5200), 1: (225, 5000)}
    assert cores.busy_shares(before, after) == {0: 1.0, 1: 0.25}


def test_cpu_lists_read_as_the_kernel_writes_them():
    assert cores.cpu_list("0-3,6\n") == {0, 1, 2, 3, 6}
    assert cores.cpu_list("1") == {1}


def always(value):
    return lambda: value


@pytest.mark.parametrize("shares, mine, expected", [
    # Two busy replicas on core 0, core 1 idle: one moves.
    ({0: 1.0, 1: 0.0}, 0.5, 1),
    # A busy replica alone on its core, the other core partly used: a move would not help.
    ({0: 1.0, 1: 0.3}, 1.0, None),
    # Other work keeps its core busy: even an idle replica is better off on the idle core...
    ({0: 0.4, 1: 0.0}, 0.0, 1),
    # ...but not for a difference smaller than the margin.
    ({0: 0.2, 1: 0.0}, 0.0, None),
    # Its own core is the idlest already.
    ({0: 0.1, 1: 0.9}, 0.1, None),
])
def test_a_replica_moves_only_where_both_cores_end_less_loaded(shares, mine, expected):
    assert cores.better_core(0, shares, mine, {0, 1}, chance=always(0.0)) == expected


def test_two_replicas_that_see_the_same_idle_core_do_not_both_move():
    # The coin: each of two crowded replicas moves with a chance of one half.
    assert cores.better_core(0, {0: 1.0, 1: 0.0}, 0.5, {0, 1}, chance=always(0.7)) is None


def test_a_replica_with_one_core_has_nowhere_to_go():
    assert cores.better_core(0, {0: 1.0}, 1.0, {0}, chance=always(0.0)) is None


def test_pin_puts_every_thread_of_a_process_on_one_core():
    child = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        assert cores.main(["pin", str(child.pid)]) == 0
        assert len(os.sched_getaffinity(child.pid)) == 1
    finally:
        child.communicate(b"")


def test_pin_passes_over_a_process_that_has_ended():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    cores.pin(child.pid, 0)  # no error: a health check may end while the replica moves


def test_pin_without_a_pid_says_how_to_call_it(capsys):
    assert cores.main(["pin"]) == 2
    assert "usage" in capsys.readouterr().err
