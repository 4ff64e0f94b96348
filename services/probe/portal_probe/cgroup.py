"""The container's own memory and CPU, read from its cgroup (v1 or v2).

psutil reports the host's figures; the cgroup holds the container's usage and limits. The root
is taken to be the container's own cgroup, as Docker mounts it (v1 bind mounts, v2 private
cgroup namespace).
"""

import time
from dataclasses import dataclass
from pathlib import Path

DEFAULT_ROOT = Path("/sys/fs/cgroup")
# v1 has no "max": an unset memory limit reads as the largest page-aligned 64-bit value.
V1_NO_LIMIT_FROM = 1 << 62
# cpu and cpuacct may be separate mounts or one combined one, depending on the host.
V1_CPU_DIRS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")
V1_CPUACCT_DIRS = ("cpuacct", "cpu,cpuacct", "cpuacct,cpu")


class CgroupError(Exception):
    """A cgroup file is missing or holds something unexpected."""


@dataclass(frozen=True)
class Memory:
    working_set_bytes: int
    limit_bytes: int | None

    @property
    def percent(self) -> float | None:
        if self.limit_bytes is None:
            return None
        return 100.0 * self.working_set_bytes / self.limit_bytes


@dataclass(frozen=True)
class CpuSample:
    usage_seconds: float
    monotonic_seconds: float


class _CgroupFiles:
    def __init__(self, root: Path):
        self.root = Path(root)

    def read_text(self, name: str) -> str:
        try:
            return (self.root / name).read_text().strip()
        except OSError as error:
            raise CgroupError(f"cannot read {name}: {error.strerror or error}") from None

    def read_int(self, name: str) -> int:
        return self.parse_int(name, self.read_text(name))

    @staticmethod
    def parse_int(name: str, text: str) -> int:
        try:
            return int(text)
        except ValueError:
            raise CgroupError(f"cannot read {name}: malformed value {text!r}") from None

    def read_stat(self, name: str, key: str) -> int:
        """One value of a flat "key value" file such as memory.stat."""
        for line in self.read_text(name).splitlines():
            fields = line.split()
            if len(fields) == 2 and fields[0] == key:
                try:
                    return int(fields[1])
                except ValueError:
                    raise CgroupError(f"cannot read {name}: malformed {key} {fields[1]!r}") from None
        raise CgroupError(f"cannot read {name}: no {key} line")

    def first_dir(self, candidates: tuple[str, ...], wanted_file: str) -> str:
        for directory in candidates:
            if (self.root / directory / wanted_file).exists():
                return directory
        return candidates[0]  # reading it then names the usual place in the error


class CgroupV2(_CgroupFiles):
    def memory(self) -> Memory:
        usage = self.read_int("memory.current")
        # Inactive page cache is reclaimable: the kernel drops it before it would OOM-kill.
        inactive_file = self.read_stat("memory.stat", "inactive_file")
        limit_text = self.read_text("memory.max")
        limit = None if limit_text == "max" else self.parse_int("memory.max", limit_text)
        return Memory(working_set_bytes=max(usage - inactive_file, 0), limit_bytes=limit)

    def cpu_quota_cores(self) -> float | None:
        text = self.read_text("cpu.max")
        fields = text.split()
        try:
            quota, period = fields[0], int(fields[1])
            if quota == "max":
                return None
            return int(quota) / period
        except (IndexError, ValueError, ZeroDivisionError):
            raise CgroupError(f"cannot read cpu.max: malformed value {text!r}") from None

    def cpu_usage_seconds(self) -> float:
        return self.read_stat("cpu.stat", "usage_usec") / 1e6


class CgroupV1(_CgroupFiles):
    def memory(self) -> Memory:
        usage = self.read_int("memory/memory.usage_in_bytes")
        inactive_file = self.read_stat("memory/memory.stat", "total_inactive_file")
        limit = self.read_int("memory/memory.limit_in_bytes")
        return Memory(
            working_set_bytes=max(usage - inactive_file, 0),
            limit_bytes=None if limit >= V1_NO_LIMIT_FROM else limit,
        )

    def cpu_quota_cores(self) -> float | None:
        directory = self.first_dir(V1_CPU_DIRS, "cpu.cfs_quota_us")
        quota = self.read_int(f"{directory}/cpu.cfs_quota_us")
        if quota < 0:
            return None
        period = self.read_int(f"{directory}/cpu.cfs_period_us")
        if period <= 0:
            raise CgroupError(f"cannot read {directory}/cpu.cfs_period_us: malformed value {period!r}")
        return quota / period

    def cpu_usage_seconds(self) -> float:
        directory = self.first_dir(V1_CPUACCT_DIRS, "cpuacct.usage")
        return self.read_int(f"{directory}/cpuacct.usage") / 1e9


def open_cgroup(root: Path = DEFAULT_ROOT) -> CgroupV1 | CgroupV2:
    root = Path(root)
    if (root / "cgroup.controllers").exists():
        return CgroupV2(root)
    if (root / "memory").is_dir():
        return CgroupV1(root)
    raise CgroupError(f"no cgroup v1 or v2 found under {root}")


def sample_cpu(cgroup: CgroupV1 | CgroupV2) -> CpuSample:
    return CpuSample(usage_seconds=cgroup.cpu_usage_seconds(), monotonic_seconds=time.monotonic())


def cpu_percent(before: CpuSample, after: CpuSample, quota_cores: float | None, host_cores: int) -> float:
    """Share of the container's CPU quota used between two samples (100 = all of it).

    With no quota the container may use every core it may run on (`host_cores`), so that is the
    100 %; so it is when those are fewer than its quota holds (a streamlit replica runs on one
    core under a quota with headroom: analytics.cores).
    """
    elapsed = after.monotonic_seconds - before.monotonic_seconds
    if elapsed <= 0:
        raise ValueError("the CPU samples must be taken some time apart")
    cores = min(quota_cores, host_cores) if quota_cores is not None else host_cores
    used_cores = max(after.usage_seconds - before.usage_seconds, 0.0) / elapsed
    return 100.0 * used_cores / cores
