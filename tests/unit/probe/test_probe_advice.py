from datetime import datetime, timezone

import pytest

from portal_probe.advice import Thresholds, advise, latest_by_service, snapshot_warnings, streamlit_need
from portal_probe.language import Said
from portal_probe.settings import SettingsError


def snapshot(service="streamlit", hostname="replica-1", **fields):
    values = {
        "time": "2025-03-01T12:00:00+00:00",
        "service": service,
        "hostname": hostname,
        "health": {"ok": True, "reason": None},
        "cpu_percent": 10.0,
        "cpu_quota_cores": 1.0,
        "cpu_count": 2,
        "memory_percent": 20.0,
        "workers": 4 if service == "django" else None,
        "sessions": 0 if service == "streamlit" else None,
    }
    values.update(fields)
    return values


def replicas(count, **fields):
    return [snapshot(hostname=f"replica-{n}", **fields) for n in range(1, count + 1)]


# The tests' own mark, whatever the shipped default: their figures are worked out from it.
TEN_A_REPLICA = Thresholds(sessions_per_replica=10)
TEN_A_REPLICA_BY_USER = Thresholds(sessions_per_replica=10, routing="user")


def only_advice(snapshots_by_service, thresholds=TEN_A_REPLICA):
    (advice,) = advise(snapshots_by_service, thresholds)
    return advice


def test_streamlit_with_room_is_enough():
    advice = only_advice({"streamlit": replicas(2, sessions=1)})
    assert advice.recommendation == "streamlit: 2 replicas, 2 sessions; the busiest at 20 % memory, 10 % CPU: enough"
    assert (advice.scale_to, advice.warnings) == (None, ())


def test_streamlit_sessions_past_the_per_replica_level_scale_out():
    advice = only_advice({"streamlit": replicas(3, memory_percent=82.0, sessions=14)})
    # 42 sessions need 5 replicas at 10 each; memory alone would need ceil(3 * 82 / 80) = 4.
    assert (
        advice.recommendation
        == "streamlit: 3 replicas, 42 sessions; the busiest at 82 % memory, 10 % CPU: scale to 5 (ops/scale 5)"
    )
    assert advice.scale_to == 5
    assert len(advice.warnings) == 3
    assert advice.warnings[0] == "replica-1 (streamlit): memory 82 % of its limit, over 80 %"


def test_streamlit_memory_past_the_level_scales_to_bring_it_back_under():
    advice = only_advice({"streamlit": replicas(2, memory_percent=90.0, sessions=3)})
    assert advice.scale_to == 3  # 2 x 90 % spread over 3 replicas is 60 %


def test_one_saturated_replica_scales_to_two():
    advice = only_advice({"streamlit": [snapshot(cpu_percent=97.0, sessions=4)]})
    assert (
        advice.recommendation == "streamlit: 1 replica at 20 % memory, 97 % CPU, 4 sessions: scale to 2 (ops/scale 2)"
    )
    assert advice.warnings == ("replica-1 (streamlit): CPU 97 % of its quota, over 85 %",)


def test_streamlit_without_memory_limit_is_judged_on_cpu_and_sessions():
    advice = only_advice({"streamlit": replicas(2, memory_percent=None, cpu_quota_cores=None, sessions=3)})
    assert advice.recommendation == "streamlit: 2 replicas, 6 sessions; the busiest at 10 % CPU, no memory limit: enough"


def test_one_replica_at_its_memory_level_counts_though_the_mean_is_low():
    # A mean of 50 % would read "enough"; the busy replica is what its partners feel.
    busy, calm = snapshot(hostname="replica-1", memory_percent=90.0), snapshot(hostname="replica-2", memory_percent=10.0)
    advice = only_advice({"streamlit": [busy, calm]})
    assert advice.scale_to == 3  # 2 x 90 % spread over 3 replicas is 60 %
    assert "the busiest at 90 % memory" in advice.recommendation


def test_sessions_piled_on_one_replica_say_that_more_replicas_will_not_spread_them():
    piled, empty = snapshot(hostname="replica-1", sessions=15), snapshot(hostname="replica-2", sessions=0)
    advice = only_advice({"streamlit": [piled, empty]})
    # All 15 would fit 2 replicas at 10 each: scaling out is not the answer.
    assert advice.scale_to is None
    assert advice.recommendation.endswith(
        "replica-1 holds 15 of the 15 sessions, over 10 a replica: routing keeps each client address on its "
        "replica, so more replicas only take clients from other addresses; STREAMLIT_ROUTING=user spreads the "
        "people behind one address"
    )


def test_sessions_piled_on_one_replica_by_user_say_so():
    piled, empty = snapshot(hostname="replica-1", sessions=15), snapshot(hostname="replica-2", sessions=0)
    advice = only_advice({"streamlit": [piled, empty]}, TEN_A_REPLICA_BY_USER)
    assert advice.recommendation.endswith("routing keeps each user on one replica, so more replicas only take other users")


def test_a_container_troubled_in_the_last_minutes_is_never_enough():
    calm = snapshot("django", "web", cpu_percent=20.0)
    (advice,) = advise({"django": [calm]}, Thresholds(), recent={"web": Said("unhealthy at {at}", at="08:32")})
    assert advice.recommendation == (
        "django: 4 workers at 20 % memory, 20 % CPU: web was unhealthy at 08:32 in the last minutes"
    )


def test_a_warning_now_is_never_enough():
    sick = snapshot("nginx", "proxy", health={"ok": False, "reason": "no worker process"})
    assert only_advice({"nginx": [sick]}).recommendation == "nginx: 20 % memory, 10 % CPU: see the warnings"


def test_idle_replicas_are_never_scaled_below_what_runs():
    advice = only_advice({"streamlit": replicas(4, memory_percent=5.0, cpu_percent=1.0)})
    assert advice.scale_to is None


def test_no_streamlit_replica_reporting_asks_for_one():
    advice = only_advice({"streamlit": []})
    assert (advice.scale_to, advice.recommendation) == (1, "streamlit: no replica reporting: scale to 1 (ops/scale 1)")


def test_django_with_saturated_cpu_needs_more_cpu_or_another_host():
    advice = only_advice({"django": [snapshot("django", "web", cpu_percent=96.0, cpu_quota_cores=2.0)]})
    assert advice.recommendation == (
        "django: 4 workers at 20 % memory, 96 % CPU: CPU saturated: raise its CPU limit or add another host"
    )


def test_django_with_busy_workers_and_idle_cores_needs_more_workers():
    # 2 workers using 1.8 of 4 cores: each worker is 90 % busy, the container only 45 %.
    advice = only_advice({"django": [snapshot("django", "web", cpu_percent=45.0, cpu_quota_cores=4.0, workers=2)]})
    assert advice.recommendation.endswith("workers all busy with cores to spare: raise GUNICORN_WORKERS to 9")


def test_django_without_quota_counts_the_host_cores():
    calm = snapshot("django", "web", cpu_percent=45.0, cpu_quota_cores=None, cpu_count=2, workers=2)
    assert only_advice({"django": [calm]}).recommendation == "django: 2 workers at 20 % memory, 45 % CPU: enough"


def test_nginx_past_its_memory_level_needs_a_higher_limit():
    advice = only_advice({"nginx": [snapshot("nginx", "proxy", memory_percent=88.0)]})
    assert advice.recommendation == "nginx: 88 % memory, 10 % CPU: raise its memory limit"
    assert advice.warnings == ("proxy (nginx): memory 88 % of its limit, over 80 %",)


def test_unhealthy_snapshot_warns_with_its_reason():
    sick = snapshot(health={"ok": False, "reason": "no streamlit server process (streamlit run)"})
    assert snapshot_warnings(sick, Thresholds()) == [
        "replica-1 (streamlit): unhealthy: no streamlit server process (streamlit run)"
    ]


def test_the_routing_comes_from_the_environment():
    assert Thresholds.from_env({"STREAMLIT_ROUTING": "user"}).routing == "user"
    assert Thresholds.from_env({}).routing == "consistent"


def test_levels_come_from_thresholds():
    advice = only_advice({"streamlit": replicas(2, sessions=3)}, Thresholds(sessions_per_replica=2))
    assert advice.scale_to == 3


def test_advice_is_in_service_order():
    by_service = {
        "streamlit": replicas(1),
        "django": [snapshot("django", "web")],
        "nginx": [snapshot("nginx", "proxy")],
    }
    assert [advice.service for advice in advise(by_service)] == ["django", "nginx", "streamlit"]


def test_latest_by_service_keeps_each_hosts_newest_and_drops_stale_hosts():
    old = snapshot(hostname="replica-1", time="2025-03-01T12:00:00+00:00", sessions=1)
    new = snapshot(hostname="replica-1", time="2025-03-01T12:00:15+00:00", sessions=2)
    gone = snapshot(hostname="replica-2", time="2025-03-01T11:00:00+00:00")
    web = snapshot("django", "web", time="2025-03-01T12:00:10+00:00")
    grouped = latest_by_service([new, old, gone, web], newer_than=datetime(2025, 3, 1, 11, 30, tzinfo=timezone.utc))
    assert grouped == {"streamlit": [new], "django": [web]}


def test_thresholds_from_env():
    thresholds = Thresholds.from_env({"PROBE_MEM_WARN": "70", "STREAMLIT_SESSIONS_PER_REPLICA": "25"})
    assert thresholds == Thresholds(
        mem_warn_percent=70.0, cpu_warn_percent=85.0, sessions_per_replica=25, gunicorn_workers=4
    )


def test_malformed_threshold_names_the_variable():
    with pytest.raises(SettingsError, match="STREAMLIT_SESSIONS_PER_REPLICA must be a whole number"):
        Thresholds.from_env({"STREAMLIT_SESSIONS_PER_REPLICA": "ten"})


def test_sessions_of_one_address_on_one_replica_say_more_replicas_will_not_spread_them():
    # 14 tabs of one browser's address: 15 sessions on one replica, none on the other.
    piled = snapshot(hostname="replica-1", sessions=15, sessions_by_address={"203.0.113.7": 14, "198.51.100.2": 1})
    empty = snapshot(hostname="replica-2", sessions=0, sessions_by_address={})
    advice = only_advice({"streamlit": [piled, empty]})
    assert advice.scale_to is None
    assert advice.recommendation.endswith(
        "14 of the 15 sessions on replica-1 come from one client address (203.0.113.7): routing keeps "
        "an address on one replica, so more replicas will not spread them; STREAMLIT_ROUTING=user spreads the "
        "people behind one address"
    )


def test_one_address_past_the_level_is_named_and_no_scale_out_is_advised():
    # Another replica would take none of that address's sessions: the advice (and ops/autoscale,
    # which follows it) adds none.
    crowded = snapshot(sessions=14, sessions_by_address={"203.0.113.7": 14})
    advice = only_advice({"streamlit": [crowded]})
    assert advice.scale_to is None
    assert [str(action).split(":")[0] for action in advice.actions] == [
        "14 of the 14 sessions on replica-1 come from one client address (203.0.113.7)"]


def test_many_addresses_or_routing_by_user_name_no_address():
    spread = snapshot(sessions=14, sessions_by_address={f"203.0.113.{n}": 1 for n in range(14)})
    assert "client address (" not in only_advice({"streamlit": [spread]}).recommendation
    one = snapshot(hostname="replica-1", sessions=15, sessions_by_address={"203.0.113.7": 15})
    by_user = only_advice({"streamlit": [one, snapshot(hostname="replica-2")]}, TEN_A_REPLICA_BY_USER)
    assert "client address (" not in by_user.recommendation
    assert by_user.recommendation.endswith("so more replicas only take other users")


def test_the_need_behind_the_advice_carries_its_figures():
    need = streamlit_need([snapshot(sessions=12, cpu_percent=50.0), snapshot(sessions=9, memory_percent=70.0)],
                          TEN_A_REPLICA)
    assert (need.replicas, need.needed, need.sessions) == (2, 3, 21)
    assert (need.busiest_cpu_percent, need.busiest_memory_percent) == (50.0, 70.0)
