"""Fixture cgroup trees for the probe's tests."""

from pathlib import Path

import pytest

MIB = 1 << 20


def write_tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


@pytest.fixture
def cgroup_tree(tmp_path):
    """Any cgroup tree: {relative file name: content}."""
    return lambda files: write_tree(tmp_path / "tree", files)


@pytest.fixture
def cgroup_v2(tmp_path):
    """A v2 tree: 600 MiB used, 100 MiB of it inactive cache, 1000 MiB limit, half a core."""

    def make(**overrides: str) -> Path:
        files = {
            "cgroup.controllers": "cpu memory pids\n",
            "memory.current": f"{600 * MIB}\n",
            "memory.max": f"{1000 * MIB}\n",
            "memory.stat": f"anon {400 * MIB}\nfile {200 * MIB}\ninactive_file {100 * MIB}\nactive_file {100 * MIB}\n",
            "cpu.max": "50000 100000\n",
            "cpu.stat": "usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n",
        }
        files.update(overrides)
        return write_tree(tmp_path / "v2", files)

    return make


@pytest.fixture
def cgroup_v1(tmp_path):
    """A v1 tree with separate cpu and cpuacct mounts: 300 MiB working set of 512 MiB, 1.5 cores."""

    def make(**overrides: str) -> Path:
        files = {
            "memory/memory.usage_in_bytes": f"{350 * MIB}\n",
            "memory/memory.limit_in_bytes": f"{512 * MIB}\n",
            # The group's own inactive_file must not be taken for the hierarchy's total.
            "memory/memory.stat": (
                f"cache {80 * MIB}\nrss {270 * MIB}\ninactive_file {1 * MIB}\ntotal_inactive_file {50 * MIB}\n"
            ),
            "cpu/cpu.cfs_quota_us": "150000\n",
            "cpu/cpu.cfs_period_us": "100000\n",
            "cpuacct/cpuacct.usage": "7000000000\n",
        }
        files.update(overrides)
        return write_tree(tmp_path / "v1", files)

    return make
