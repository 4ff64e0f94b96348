"""The monitoring app: load history from the probes' snapshots (`recordload`, thinning)
and the staff-only status page /ops/status/ that shows it."""
import io
import json
import re
from datetime import datetime, timedelta, timezone

import polib
import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import Client
from django.utils import timezone as django_timezone

from portal_probe import language as probe_language
from portal_probe.advice import Thresholds, snapshot_warnings
from monitoring import history, load_charts
from monitoring.management.commands import recordload
from monitoring.models import LoadSample
from monitoring.readings import read_folder

pytestmark = pytest.mark.django_db(transaction=True)

MIB = 1024 * 1024


@pytest.fixture
def reports(settings, tmp_path):
    folder = tmp_path / "probe"
    folder.mkdir()
    settings.PROBE_REPORT_DIR = folder
    settings.PROBE_INTERVAL = 15
    return folder


def snapshot(number=1, service="streamlit", age_s=5, **fields):
    """A snapshot as `portal_probe report` writes it, taken age_s seconds ago."""
    taken = django_timezone.now().replace(microsecond=0) - timedelta(seconds=age_s)
    return {
        "time": taken.isoformat(),
        "service": service,
        "hostname": f"3f2a{number}",
        "container": f"partner-portal-{service}-{number}",
        "health": {"ok": True, "reason": None},
        "cpu_percent": 41.3,
        "cpu_quota_cores": 1.0,
        "cpu_count": 2,
        "memory_bytes": 300 * MIB,
        "memory_limit_bytes": 1000 * MIB,
        "memory_percent": 30.0,
        "processes": 2,
        "threads": 13,
        "workers": 4 if service == "django" else None,
        "connections": 3,
        "sessions": 2 if service == "streamlit" else None,
        **fields,
    }


def write(folder, *snapshots):
    for one in snapshots:
        (folder / f"{one['container']}.json").write_text(json.dumps(one))


def recordload_once():
    out, err = io.StringIO(), io.StringIO()
    call_command("recordload", "--once", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def rows(*fields):
    return list(LoadSample.objects.order_by("container", "time").values_list(*fields))


# Recording ------------------------------------------------------------------------------------


def test_recordload_stores_each_containers_snapshot(reports):
    write(reports, snapshot(1), snapshot(2, cpu_percent=90.5, health={"ok": False, "reason": "no server"}))

    out, err = recordload_once()

    assert "Stored 2 snapshot(s); 0 already stored, 0 stale, 0 unreadable." in out
    assert err == ""
    assert rows("container", "service", "healthy", "cpu_percent", "memory_bytes", "memory_limit_bytes", "sessions") == [
        ("partner-portal-streamlit-1", "streamlit", True, 41.3, 300 * MIB, 1000 * MIB, 2),
        ("partner-portal-streamlit-2", "streamlit", False, 90.5, 300 * MIB, 1000 * MIB, 2),
    ]
    assert rows("samples", "period_s") == [(1, 0), (1, 0)]


def test_recordload_stores_a_snapshot_once_and_the_next_one_beside_it(reports):
    write(reports, snapshot(1, age_s=20), snapshot(2, service="django", age_s=20))
    recordload_once()

    out, _ = recordload_once()
    assert "Stored 0 snapshot(s); 2 already stored" in out
    assert LoadSample.objects.count() == 2

    write(reports, snapshot(1, age_s=5, cpu_percent=60.0))
    out, _ = recordload_once()

    assert "Stored 1 snapshot(s); 1 already stored" in out
    assert rows("container", "cpu_percent") == [
        ("partner-portal-django-2", 41.3),
        ("partner-portal-streamlit-1", 41.3),
        ("partner-portal-streamlit-1", 60.0),
    ]


def test_recordload_skips_a_snapshot_older_than_three_intervals(reports):
    # PROBE_INTERVAL is 15 s: 40 s old is late but alive, 60 s old is a container gone.
    write(reports, snapshot(1, age_s=40), snapshot(2, age_s=60))

    out, _ = recordload_once()

    assert "Skipped partner-portal-streamlit-2: stale" in out
    assert "Stored 1 snapshot(s); 0 already stored, 1 stale" in out
    assert rows("container") == [("partner-portal-streamlit-1",)]


def test_recordload_skips_unreadable_snapshots_and_says_which(reports):
    write(reports, snapshot(1))
    (reports / "half-written.json").write_text('{"service": ')
    broken = snapshot(2)
    del broken["cpu_percent"]
    naive = snapshot(3, time="2026-11-28T01:00:05")
    boolean = snapshot(4, memory_bytes=True)
    timeless = snapshot(5)
    del timeless["time"]
    write(reports, broken, naive, boolean, timeless, snapshot(6, time="yesterday"))

    out, err = recordload_once()

    assert "Stored 1 snapshot(s); 0 already stored, 0 stale, 5 unreadable." in out
    assert "Skipped partner-portal-streamlit-2: unreadable snapshot: no cpu_percent" in err
    assert "Skipped partner-portal-streamlit-3: unreadable snapshot: time has no time zone" in err
    assert "Skipped partner-portal-streamlit-4: unreadable snapshot: memory_bytes is True" in err
    assert "Skipped partner-portal-streamlit-5: unreadable snapshot: no time" in err
    assert "Skipped partner-portal-streamlit-6: unreadable snapshot: time is not an ISO date and time" in err
    assert rows("container") == [("partner-portal-streamlit-1",)]


def test_recordload_names_a_container_by_its_hostname_when_the_snapshot_has_no_name(reports):
    older = snapshot(1)
    del older["container"]
    (reports / "3f2a1.json").write_text(json.dumps(older))

    recordload_once()

    assert rows("container") == [("3f2a1",)]


def test_recordload_loop_survives_a_failed_pass_and_stops_on_interrupt(reports, monkeypatch):
    write(reports, snapshot(1))
    real_record, calls, sleeps = history.record, [], []

    def record_failing_first(readings, now):
        calls.append(now)
        if len(calls) == 1:
            raise OSError("disk full")
        return real_record(readings, now)

    def sleep(seconds):
        sleeps.append(seconds)
        if len(sleeps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(history, "record", record_failing_first)
    monkeypatch.setattr(recordload.time, "sleep", sleep)
    err = io.StringIO()

    call_command("recordload", stdout=io.StringIO(), stderr=err)

    assert "recordload: OSError: disk full" in err.getvalue()
    assert len(calls) == 2 and all(0 <= seconds <= 15 for seconds in sleeps)
    assert rows("container") == [("partner-portal-streamlit-1",)]


def test_recording_takes_two_queries_whatever_the_number_of_containers(reports, django_assert_num_queries):
    write(reports, *(snapshot(number) for number in range(1, 9)))
    readings, _ = read_folder(reports)

    # Which of them are stored already, then one insert in a transaction of its own (BEGIN, COMMIT).
    with django_assert_num_queries(4):
        recorded = history.record(readings, django_timezone.now())

    assert len(recorded.stored) == 8


# Thinning -------------------------------------------------------------------------------------

NOW = datetime(2026, 11, 28, 12, 0, 30, tzinfo=timezone.utc)


def sample(container, time, cpu, *, healthy=True, memory=None, samples=1, period_s=0, service="streamlit"):
    return LoadSample(
        container=container,
        service=service,
        time=time,
        healthy=healthy,
        cpu_percent=cpu,
        memory_bytes=memory,
        memory_limit_bytes=1000 if memory is not None else None,
        sessions=None,
        connections=None,
        samples=samples,
        period_s=period_s,
    )


def at(hour, minute, second=0, day=28):
    return datetime(2026, 11, day, hour, minute, second, tzinfo=timezone.utc)


def everything():
    return rows("container", "time", "cpu_percent", "memory_bytes", "healthy", "samples", "period_s")


def test_thinning_keeps_the_last_hour_averages_minutes_then_ten_minutes_and_drops_the_old():
    LoadSample.objects.bulk_create(
        [
            # The last hour: every snapshot stays.
            sample("a", at(11, 30, 0), 10),
            sample("a", at(11, 30, 15), 20),
            # Two hours old: one row per minute, the mean; unhealthy if any snapshot was.
            sample("a", at(10, 0, 0), 10, memory=100),
            sample("a", at(10, 0, 15), 20, memory=200, healthy=False),
            sample("a", at(10, 0, 30), 30, memory=None),
            sample("a", at(10, 0, 45), 40, memory=300),
            sample("a", at(10, 1, 0), 50),
            sample("b", at(10, 0, 30), 70),
            # Thirty hours old: one row per 10 minutes, weighted by the snapshots each stands for.
            sample("a", at(6, 0, 0, day=27), 20, samples=4, period_s=60),
            sample("a", at(6, 9, 0, day=27), 50, samples=2, period_s=60),
            sample("a", at(6, 9, 50, day=27), 30),
            # Eight days old: gone.
            sample("a", at(10, 0, 0, day=20), 99, samples=40, period_s=600),
        ]
    )

    thinned = history.thin(NOW)

    assert everything() == [
        ("a", at(6, 0, 0, day=27), 30.0, None, True, 7, 600),
        ("a", at(10, 0), 25.0, 200, False, 4, 60),
        ("a", at(10, 1), 50.0, None, True, 1, 60),
        ("a", at(11, 30, 0), 10.0, None, True, 1, 0),
        ("a", at(11, 30, 15), 20.0, None, True, 1, 0),
        ("b", at(10, 0), 70.0, None, True, 1, 60),
    ]
    # The late 06:09:50 snapshot first joined its minute's mean, which then joined its ten minutes.
    assert thinned == history.Thinned(merged=10, means=5, removed=1)


def test_thinning_twice_changes_nothing():
    LoadSample.objects.bulk_create(
        [sample("a", NOW - timedelta(seconds=15 * step), step % 7, memory=step) for step in range(0, 4 * 60 * 26)]
    )
    history.thin(NOW)
    once = list(LoadSample.objects.order_by("id").values_list())

    assert history.thin(NOW) == history.Thinned(0, 0, 0)
    assert list(LoadSample.objects.order_by("id").values_list()) == once
    # Snapshots from 11:00:00 (the last whole minute an hour old ends there), 23 hours of
    # minutes, and the two hours from 10:00 the day before in ten minutes.
    assert len(once) == (60 * 60 + 30) // 15 + 1 + 23 * 60 + 2 * 6


def test_thinning_leaves_a_minute_still_filling_for_the_next_run():
    LoadSample.objects.bulk_create(
        [sample("a", at(10, 59, 20), 10), sample("a", at(10, 59, 40), 20)]
        + [sample("a", at(11, 0, 10), 30), sample("a", at(11, 0, 25), 40)]
    )

    history.thin(NOW)  # 12:00:30: the 11:00 minute is not wholly an hour old yet
    assert rows("time", "cpu_percent", "period_s") == [
        (at(10, 59), 15.0, 60),
        (at(11, 0, 10), 30.0, 0),
        (at(11, 0, 25), 40.0, 0),
    ]

    history.thin(NOW + timedelta(seconds=35))
    assert rows("time", "cpu_percent", "period_s") == [(at(10, 59), 15.0, 60), (at(11, 0), 35.0, 60)]


def test_a_late_snapshot_joins_its_periods_mean_instead_of_sitting_beside_it():
    LoadSample.objects.bulk_create(
        [sample("a", at(10, 0), 20, samples=3, period_s=60), sample("a", at(10, 0, 50), 40)]
    )

    history.thin(NOW)

    assert rows("time", "cpu_percent", "samples", "period_s") == [(at(10, 0), 25.0, 4, 60)]


def test_thinning_every_few_minutes_takes_a_few_queries(django_assert_max_num_queries):
    def snapshots(end, seconds):
        return [
            sample(container, end - timedelta(seconds=15 * step), 50)
            for container in ("a", "b", "c")
            for step in range(seconds // 15)
        ]

    LoadSample.objects.bulk_create(snapshots(NOW, 2 * 3600))
    history.thin(NOW)
    later = NOW + timedelta(minutes=5)
    LoadSample.objects.bulk_create(snapshots(later, 5 * 60))

    # The old rows' delete, then per resolution: the first row to thin, and in a transaction
    # (BEGIN, COMMIT) a read, a delete and one insert of the means.
    with django_assert_max_num_queries(13):
        thinned = history.thin(later)

    assert thinned == history.Thinned(merged=3 * 5 * 4, means=3 * 5, removed=0)  # five new minutes each


# The status page ------------------------------------------------------------------------------


def nginx_snapshot():
    latency = {
        "window_s": 300,
        "requests": 1234,
        "p50_ms": 12.0,
        "p95_ms": 230.0,
        "routes": {
            "portal": {"requests": 1000, "p50_ms": 10.0, "p95_ms": 180.0},
            "app": {"requests": 234, "p50_ms": None, "p95_ms": None},
        },
    }
    return snapshot(1, service="nginx", sessions=None, latency=latency)


@pytest.fixture
def loaded(reports):
    """A stack whose first streamlit replica is at 85 % memory and whose second went away."""
    write(
        reports,
        nginx_snapshot(),
        snapshot(1, service="django"),
        snapshot(1, memory_bytes=850 * MIB, memory_percent=85.0, sessions=7),
        snapshot(2, age_s=600),
    )
    now = django_timezone.now()
    LoadSample.objects.bulk_create(
        [
            sample(
                "partner-portal-streamlit-1",
                now - timedelta(minutes=minutes),
                40,
                memory=900 if 60 <= minutes < 70 else 500,
                period_s=60,
            )
            for minutes in range(1, 24 * 60)
        ]
    )
    return reports


def test_the_status_page_shows_each_container_with_health_cpu_memory_and_sessions(staff_client, loaded):
    response = staff_client.get("/ops/status/")

    assert response.status_code == 200
    assert response["Refresh"] == "30"
    assert "no-cache" in response["Cache-Control"]
    table = [
        (row.container, row.service, row.health, row.cpu, row.memory, row.memory_of.replace("\xa0", " "), row.sessions)
        for row in response.context["rows"]
    ]
    assert table == [
        ("partner-portal-django-1", "django", "healthy", "41 %", "30 %", "300.0 MB of 1000.0 MB", None),
        ("partner-portal-nginx-1", "nginx", "healthy", "41 %", "30 %", "300.0 MB of 1000.0 MB", None),
        ("partner-portal-streamlit-1", "streamlit", "healthy", "41 %", "85 %", "850.0 MB of 1000.0 MB", 7),
        ("partner-portal-streamlit-2", "streamlit", "stale", "41 %", "30 %", "300.0 MB of 1000.0 MB", 2),
    ]
    assert [row.memory_over for row in response.context["rows"]] == [False, False, True, False]
    assert response.context["rows"][3].age == "10 min"
    html = response.content.decode()
    assert "<td>partner-portal-streamlit-1</td>" in html and '<tr class="stale">' in html
    assert "of 1 core" in html


def test_the_status_page_shows_nginx_request_times_per_route(staff_client, loaded):
    response = staff_client.get("/ops/status/")

    latency = response.context["latency"]
    assert latency["window"] == "5 min" and not latency["stale"]
    assert [(route.name, route.requests, route.p50, route.p95) for route in latency["routes"]] == [
        ("all", "1,234", "12 ms", "230 ms"),
        ("app", "234", "—", "—"),
        ("portal", "1,000", "10 ms", "180 ms"),
    ]
    assert "Request time, last 5 min" in response.content.decode()


def test_the_status_page_warns_and_recommends(staff_client, loaded):
    response = staff_client.get("/ops/status/")

    html = response.content.decode()
    warnings = response.context["warnings"]
    assert warnings[0] == (
        "partner-portal-streamlit-2: no snapshot for 10 min: the container is gone or its reporter stopped"
    )
    high = snapshot_warnings(json.loads((loaded / "partner-portal-streamlit-1.json").read_text()), Thresholds())
    assert high and set(high) <= set(warnings)
    assert all(warning in html for warning in warnings)
    # One replica reports, at 85 % memory: advise() asks for a second.
    advice = {service.service: service for service in response.context["advice"]}
    assert sorted(advice) == ["django", "nginx", "streamlit"]
    assert (advice["streamlit"].replicas, advice["streamlit"].scale_to) == (1, 2)
    assert "scale to 2" in advice["streamlit"].recommendation
    assert all(service.recommendation in html for service in advice.values())
    crossed = LoadSample.objects.filter(memory_bytes=900).order_by("time").first().time
    at = django_timezone.localtime(crossed)
    expected = f"partner-portal-streamlit-1 crossed 80 % memory at {at:%H:%M} (peak 90 %)"
    assert response.context["crossings"] == [expected]
    assert expected in html


def loadstatus(*args):
    out = io.StringIO()
    call_command("loadstatus", *args, stdout=out)
    return out.getvalue()


def test_loadstatus_gives_the_pages_rows_advice_and_warnings_for_machines(staff_client, loaded):
    page = staff_client.get("/ops/status/").context
    report = json.loads(loadstatus("--json"))

    assert [(row["container"], row["health"], row["sessions"]) for row in report["containers"]] == [
        (row.container, row.health, row.sessions) for row in page["rows"]
    ]
    (replica,) = [row for row in report["containers"] if row["container"] == "partner-portal-streamlit-1"]
    assert (replica["memory_bytes"], replica["memory_limit_bytes"], replica["cpu_quota_cores"]) == (
        850 * MIB, 1000 * MIB, 1.0
    )
    assert report["warnings"] == page["warnings"]
    assert [advice["recommendation"] for advice in report["advice"]] == page["recommendations"]
    (streamlit,) = [advice for advice in report["advice"] if advice["service"] == "streamlit"]
    assert streamlit["scale_to"] == 2
    # The fresh snapshots the advice read: the stale replica's is not among them.
    assert [one["container"] for one in report["snapshots"]["streamlit"]] == ["partner-portal-streamlit-1"]
    assert report["latency"]["requests"] == 1234


def test_loadstatus_prints_a_table_on_the_portals_clock_then_warnings_and_advice(settings, loaded):
    settings.TIME_ZONE = "Asia/Seoul"
    text = loadstatus()

    first, *lines = text.splitlines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST \(Asia/Seoul\); each container reports every 15 s", first)
    assert lines[0].split() == ["CONTAINER", "HEALTH", "CPU", "MEMORY", "/", "LIMIT", "SESSIONS", "REPORTED"]
    assert lines[3].split()[:5] == ["partner-portal-streamlit-1", "healthy", "41%", "of", "1"]
    assert "850M / 1000M (85%)" in lines[3]
    assert lines[4].split()[:2] == ["partner-portal-streamlit-2", "stale"]
    assert "nginx over the last 5 min: all 1234 requests, p50 12ms, p95 230ms; app 234 requests" in text
    assert "warning: partner-portal-streamlit-2: no snapshot for 10 min" in text
    assert re.search(r"^streamlit: 1 replica at .*: scale to 2 \(ops/scale 2\)$", text, re.M), text


def test_loadstatus_is_english_whatever_the_portals_language(settings, loaded, korean_catalogs):
    settings.LANGUAGE_CODE = "ko"
    text = loadstatus()

    assert "no snapshot for 10 min" in text and "scale to 2" in text


@pytest.fixture
def korean_catalogs(settings, tmp_path, monkeypatch):
    """The portal's and the probe's Korean catalogs compiled as the image build does."""
    portal_mo = tmp_path / "locale" / "ko" / "LC_MESSAGES" / "django.mo"
    portal_mo.parent.mkdir(parents=True)
    polib.pofile(str(settings.BASE_DIR / "locale/ko/LC_MESSAGES/django.po")).save_as_mofile(str(portal_mo))
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    probe_mo = tmp_path / "probe-locale" / "ko" / "LC_MESSAGES" / f"{probe_language.DOMAIN}.mo"
    probe_mo.parent.mkdir(parents=True)
    polib.pofile(str(probe_language.LOCALE_DIR / "ko/LC_MESSAGES/portal_probe.po")).save_as_mofile(str(probe_mo))
    monkeypatch.setattr(probe_language, "LOCALE_DIR", tmp_path / "probe-locale")


def test_the_status_page_reads_in_korean_advice_and_warnings_included(staff_client, loaded, korean_catalogs):
    response = staff_client.get("/ops/status/", headers={"accept-language": "ko"})

    html = response.content.decode()
    rows = {row.container: row for row in response.context["rows"]}
    assert (rows["partner-portal-django-1"].health, rows["partner-portal-streamlit-2"].health) == ("정상", "오래됨")
    assert rows["partner-portal-streamlit-1"].memory == "85%"
    assert rows["partner-portal-streamlit-2"].age == "10분"
    streamlit = response.context["recommendations"][-1]
    assert streamlit == "streamlit: 레플리카 1개, 메모리 85%, CPU 41%, 세션 7개: 2개로 늘리십시오 (ops/scale 2)"
    warnings = response.context["warnings"]
    assert "partner-portal-streamlit-1 (streamlit): 메모리가 한도의 85%로 경고 수준 80%를 넘었습니다" in warnings
    assert all(text in html for text in [streamlit, *warnings])
    assert "메모리가 80%를 넘었습니다 (최고 90%)" in response.context["crossings"][0]
    for english in ("scale to", "enough", "of its limit", "crossed", "healthy", "workers at"):
        assert english not in html


def test_a_container_unhealthy_minutes_ago_keeps_the_advice_from_saying_enough(staff_client, loaded):
    # django reports healthy and calm now, but was unhealthy two minutes ago.
    now = django_timezone.now()
    LoadSample.objects.bulk_create(
        [sample("partner-portal-django-1", now - timedelta(minutes=minutes), 20, healthy=minutes != 2, service="django")
         for minutes in (3, 2, 1)]
    )
    at = django_timezone.localtime(now - timedelta(minutes=2))

    response = staff_client.get("/ops/status/")

    django = dict(zip([service.service for service in response.context["advice"]], response.context["recommendations"]))["django"]
    assert django.endswith(f"partner-portal-django-1 was unhealthy at {at:%H:%M} in the last minutes")
    assert "enough" not in django


def test_the_status_page_draws_the_last_day_as_svg(staff_client, loaded):
    response = staff_client.get("/ops/status/")

    cpu, memory, sessions = response.context["charts"]
    assert [line.label for line in cpu.lines] == ["partner-portal-streamlit-1"]
    assert 280 <= cpu.lines[0].points <= load_charts.MAX_POINTS
    assert memory.level.label == "80 %" and sessions.lines == []
    html = response.content.decode()
    assert html.count("<svg viewBox=") == 2  # no sessions in the history: nothing to draw
    path = cpu.lines[0].path
    assert path.startswith("M") and path.count("L") == cpu.lines[0].points - 1
    assert f'<path d="{path}" fill="none" stroke="{cpu.lines[0].colour}"' in html
    assert "<script" not in html and "style=" not in html


def test_the_status_page_is_refused_to_partners_and_sends_visitors_to_log_in(alice_client, loaded):
    assert alice_client.get("/ops/status/").status_code == 403

    response = Client().get("/ops/status/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/ops/status/"


def test_only_staff_see_the_link_to_the_status_page(staff_client, alice_client):
    assert 'href="/ops/status/"' in staff_client.get("/").content.decode()
    assert 'href="/ops/status/"' not in alice_client.get("/").content.decode()


def test_the_status_page_says_when_there_is_nothing_to_show(staff_client, reports, settings):
    settings.PROBE_REPORT_DIR = reports / "missing"

    response = staff_client.get("/ops/status/")

    html = response.content.decode()
    assert response.status_code == 200
    assert "No snapshots in" in html and "No history yet" in html and "No request times" in html


def test_the_status_page_names_unreadable_snapshots_and_shows_the_rest(staff_client, reports):
    broken = snapshot(1)
    broken["health"] = "fine"
    # advise() would fail on a django snapshot without its workers: it never gets one.
    workerless = snapshot(1, service="django")
    del workerless["workers"]
    write(reports, broken, workerless, snapshot(2))

    response = staff_client.get("/ops/status/")

    assert response.status_code == 200
    assert response.context["warnings"] == [
        "partner-portal-django-1: unreadable snapshot: no workers",
        "partner-portal-streamlit-1: unreadable snapshot: health is 'fine'",
    ]
    assert [row.container for row in response.context["rows"]] == ["partner-portal-streamlit-2"]


def test_the_status_page_takes_five_queries_whatever_the_history_holds(
    staff_client, reports, django_assert_max_num_queries
):
    write(reports, *(snapshot(number) for number in range(1, 7)))
    now = django_timezone.now()
    LoadSample.objects.bulk_create(
        [
            sample(f"partner-portal-streamlit-{number}", now - timedelta(seconds=15 * step), 50, memory=400)
            for number in range(1, 7)
            for step in range(4 * 60)
        ]
        + [
            sample(f"partner-portal-streamlit-{number}", now - timedelta(minutes=minutes), 50, period_s=60)
            for number in range(1, 7)
            for minutes in range(61, 24 * 60)
        ]
    )

    # The session, the user, the user's saved language and second factor (both cached from then
    # on), the day's history.
    with django_assert_max_num_queries(5):
        response = staff_client.get("/ops/status/")

    assert len(response.context["rows"]) == 6
    assert all(line.points <= load_charts.MAX_POINTS for chart in response.context["charts"] for line in chart.lines)


# Pieces -------------------------------------------------------------------------------------------


def test_a_chart_breaks_its_line_where_a_container_sent_nothing(settings):
    now = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    times = [now - timedelta(hours=hours) for hours in (20, 19.9, 19.8, 3)]
    line = history.Series("streamlit-1", "streamlit", times, [True] * 4, [10, 20, 30, 40], [None] * 4, [None] * 4)

    chart = load_charts.chart(
        "CPU", [line], lambda line: line.cpu_percent, now=now, tz=timezone.utc, colour_of={line.container: "#000"}
    )

    path = chart.lines[0].path
    assert path.count("M") == 2 and path.count("L") == 2 and path.endswith("h0")
    # The axis spans the 20 hours there are, in steps that give at most six labels.
    assert [tick.label for tick in chart.x_ticks] == ["16:00", "20:00", "00:00", "04:00", "08:00", "12:00"]
    assert [tick.label for tick in chart.y_ticks] == ["0 %", "50 %", "100 %"]


def test_a_young_history_fills_its_chart_and_ends_at_the_newest_reading():
    now = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    # Half an hour of snapshots every 15 s: 0 sessions, then 15 in the last minute.
    times = [now - timedelta(seconds=15 * step) for step in reversed(range(120))]
    sessions = [15 if now - time < timedelta(minutes=1) else 0 for time in times]
    line = history.Series("streamlit-1", "streamlit", times, [True] * 120, [10] * 120, [None] * 120, sessions)

    chart = load_charts.chart(
        "Sessions", [line], lambda line: line.sessions, now=now, tz=timezone.utc, colour_of={line.container: "#000"},
        unit="",
    )

    # An hour at least, labelled every 10 minutes; the line ends at 15, as the table shows it.
    assert [tick.label for tick in chart.x_ticks] == ["11:00", "11:10", "11:20", "11:30", "11:40", "11:50", "12:00"]
    assert chart.lines[0].last == "15"
    assert chart.lines[0].path.count("M") == 1, "one line: the snapshots came every 15 s"


@pytest.fixture
def load_settings(reload_settings):
    return lambda **env: reload_settings(with_stand_ins=True, **env)


def test_the_probe_settings_have_the_probes_defaults_and_are_checked(load_settings, monkeypatch):
    monkeypatch.delenv("PROBE_REPORT_DIR", raising=False)
    monkeypatch.delenv("PROBE_INTERVAL", raising=False)
    loaded = load_settings()
    assert (str(loaded.PROBE_REPORT_DIR), loaded.PROBE_INTERVAL) == ("/var/lib/portal-probe", 15)

    with pytest.raises(ImproperlyConfigured, match="PROBE_INTERVAL"):
        load_settings(PROBE_INTERVAL="fast")


def test_a_malformed_warning_level_stops_the_portal_at_start(monkeypatch):
    monkeypatch.setenv("PROBE_MEM_WARN", "eighty")

    with pytest.raises(ImproperlyConfigured, match="PROBE_MEM_WARN"):
        apps.get_app_config("monitoring").ready()
