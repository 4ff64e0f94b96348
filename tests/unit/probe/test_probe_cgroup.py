import pytest

from portal_probe.cgroup import CgroupError, CgroupV1, CgroupV2, CpuSample, Memory, cpu_percent, open_cgroup

MIB = 1 << 20


def test_v2_is_detected_by_its_controllers_file(cgroup_v2):
    assert isinstance(open_cgroup(cgroup_v2()), CgroupV2)


def test_v2_memory_working_set_subtracts_inactive_file(cgroup_v2):
    memory = open_cgroup(cgroup_v2()).memory()
    assert memory == Memory(working_set_bytes=500 * MIB, limit_bytes=1000 * MIB)
    assert memory.percent == pytest.approx(50.0)


def test_v2_max_means_no_memory_limit(cgroup_v2):
    memory = open_cgroup(cgroup_v2(**{"memory.max": "max\n"})).memory()
    assert memory.limit_bytes is None
    assert memory.percent is None


def test_v2_cpu_quota_and_usage(cgroup_v2):
    cgroup = open_cgroup(cgroup_v2())
    assert cgroup.cpu_quota_cores() == pytest.approx(0.5)
    assert cgroup.cpu_usage_seconds() == pytest.approx(2.5)


def test_v2_max_quota_means_no_quota(cgroup_v2):
    assert open_cgroup(cgroup_v2(**{"cpu.max": "max 100000\n"})).cpu_quota_cores() is None


def test_v1_is_detected_by_its_memory_folder(cgroup_v1):
    assert isinstance(open_cgroup(cgroup_v1()), CgroupV1)


def test_v1_memory_working_set_subtracts_total_inactive_file(cgroup_v1):
    memory = open_cgroup(cgroup_v1()).memory()
    assert memory == Memory(working_set_bytes=300 * MIB, limit_bytes=512 * MIB)


def test_v1_huge_limit_means_no_limit(cgroup_v1):
    root = cgroup_v1(**{"memory/memory.limit_in_bytes": "9223372036854771712\n"})
    assert open_cgroup(root).memory().limit_bytes is None


def test_v1_cpu_quota_and_usage_from_separate_mounts(cgroup_v1):
    cgroup = open_cgroup(cgroup_v1())
    assert cgroup.cpu_quota_cores() == pytest.approx(1.5)
    assert cgroup.cpu_usage_seconds() == pytest.approx(7.0)


def test_v1_cpu_from_combined_cpu_cpuacct_folder(cgroup_tree):
    root = cgroup_tree(
        {
            "memory/memory.usage_in_bytes": "1\n",
            "cpu,cpuacct/cpu.cfs_quota_us": "200000\n",
            "cpu,cpuacct/cpu.cfs_period_us": "100000\n",
            "cpu,cpuacct/cpuacct.usage": "3000000000\n",
        },
    )
    cgroup = open_cgroup(root)
    assert cgroup.cpu_quota_cores() == pytest.approx(2.0)
    assert cgroup.cpu_usage_seconds() == pytest.approx(3.0)


def test_v1_minus_one_quota_means_no_quota(cgroup_v1):
    assert open_cgroup(cgroup_v1(**{"cpu/cpu.cfs_quota_us": "-1\n"})).cpu_quota_cores() is None


def test_working_set_never_goes_below_zero(cgroup_v2):
    root = cgroup_v2(**{"memory.current": "100\n", "memory.stat": "inactive_file 500\n"})
    assert open_cgroup(root).memory().working_set_bytes == 0


def test_missing_file_names_it(cgroup_v2):
    root = cgroup_v2()
    (root / "memory.max").unlink()
    with pytest.raises(CgroupError, match=r"^cannot read memory\.max: No such file"):
        open_cgroup(root).memory()


def test_malformed_number_names_file_and_value(cgroup_v1):
    root = cgroup_v1(**{"memory/memory.usage_in_bytes": "lots\n"})
    with pytest.raises(CgroupError, match=r"cannot read memory/memory\.usage_in_bytes: malformed value 'lots'"):
        open_cgroup(root).memory()


def test_stat_without_the_inactive_file_line_is_an_error(cgroup_v2):
    root = cgroup_v2(**{"memory.stat": "anon 5\n"})
    with pytest.raises(CgroupError, match=r"cannot read memory\.stat: no inactive_file line"):
        open_cgroup(root).memory()


def test_malformed_cpu_max_is_an_error(cgroup_v2):
    with pytest.raises(CgroupError, match=r"cannot read cpu\.max: malformed value 'half'"):
        open_cgroup(cgroup_v2(**{"cpu.max": "half\n"})).cpu_quota_cores()


def test_missing_cpuacct_names_the_usual_place(cgroup_v1):
    root = cgroup_v1()
    (root / "cpuacct/cpuacct.usage").unlink()
    with pytest.raises(CgroupError, match=r"cannot read cpuacct/cpuacct\.usage"):
        open_cgroup(root).cpu_usage_seconds()


def test_a_folder_without_cgroups_is_an_error(tmp_path):
    with pytest.raises(CgroupError, match="no cgroup v1 or v2 found"):
        open_cgroup(tmp_path)


def test_cpu_percent_is_of_the_quota():
    before, after = CpuSample(10.0, 100.0), CpuSample(10.5, 101.0)
    assert cpu_percent(before, after, quota_cores=0.5, host_cores=8) == pytest.approx(100.0)
    assert cpu_percent(before, after, quota_cores=2.0, host_cores=8) == pytest.approx(25.0)


def test_cpu_percent_of_a_container_on_fewer_cores_than_its_quota_is_of_those_cores():
    # A streamlit replica pinned to one core under a quota of 1.25 CPUs is full at one core.
    before, after = CpuSample(10.0, 100.0), CpuSample(10.5, 100.5)
    assert cpu_percent(before, after, quota_cores=1.25, host_cores=1) == pytest.approx(100.0)


def test_cpu_percent_without_quota_is_of_the_host_cores():
    assert cpu_percent(CpuSample(0.0, 0.0), CpuSample(1.0, 2.0), None, host_cores=2) == pytest.approx(25.0)


def test_cpu_percent_needs_time_between_samples():
    with pytest.raises(ValueError):
        cpu_percent(CpuSample(1.0, 5.0), CpuSample(2.0, 5.0), None, host_cores=2)
