"""ops/bench's pure parts, importable without Docker; a fixture result set shaped like a run's."""
import pytest

from portal_bench.gate import CHECK, GATED, REUSED, UNGATED
from portal_bench.portal import GUNICORN, NGINX, RUNSERVER, STATIC

MIB = 1 << 20


def http(series, page, users, rps, p50, p95, p99, errors=0):
    return {"series": series, "page": page, "users": users, "rps": rps, "p50": p50, "p95": p95, "p99": p99,
            "errors": errors, "requests": int(rps * 5), "max": p99 * 1.5, "seconds": 5.0, "client_cpu": 0.4,
            "key": f"{series}|{page}|{users}", "failures": {}}


def portal_rows():
    rows = []
    # users: (req/s, p95 ms) per server; runserver's p95 passes 1 s between 20 and 50 users.
    curves = {
        NGINX: {1: (400, 4), 5: (900, 9), 20: (1000, 40), 50: (1000, 120)},
        GUNICORN: {1: (500, 3), 5: (1000, 8), 20: (1200, 30), 50: (1200, 100)},
        RUNSERVER: {1: (300, 5), 5: (320, 40), 20: (300, 600), 50: (300, 1600)},
    }
    for page in ("login", "home"):
        for series, curve in curves.items():
            for users, (rps, p95) in curve.items():
                rows.append(http(series, page, users, rps, p95 / 2, p95, p95 * 2))
    for users, rps in {1: 2000, 5: 4000, 20: 5000, 50: 5000}.items():
        rows.append(http(STATIC, "static", users, rps, 0.5, 2.0, 4.0))
    for users in (1, 20):
        rows += [
            http(GATED, "asset", users, 200, 4.0 * users, 9.0 * users, 12.0 * users),
            http(UNGATED, "asset", users, 500, 1.0 * users, 4.0 * users, 6.0 * users),
            http(REUSED, "asset", users, 20, 45.0, 60.0, 70.0),
            http(CHECK, "asset", users, 300, 2.0 * users, 7.0 * users, 9.0 * users),
        ]
    return rows


def session_level(sessions, p50, p95, settled_mib, peak_mib, cpu):
    return {"sessions": sessions, "reruns": sessions * 7, "errors": 0, "rerun_rate": sessions * 0.45,
            "first_run_p50": 100.0, "p50": p50, "p95": p95, "max": p95 * 1.2, "cpu_cores": cpu,
            "memory_settled": settled_mib * MIB, "memory_peak": peak_mib * MIB}


def sample_results():
    return {
        "plan": "full",
        "date": "2026-11-28",
        "seconds": 690.0,
        "machine": {
            "cpus": 2, "cpu_model": "Test CPU @ 2.0GHz", "memory": 24 * 1024 * MIB, "kernel": "6.1.0-test",
            "docker": "20.10.24", "compose": "2.40.3", "nginx": "1.26.3", "gunicorn": "23.0.0",
            "django": "5.2.19", "streamlit": "1.67.0", "python": "3.13.5", "load_python": "3.11.7",
            "locust": "2.47.0", "gunicorn_workers": 4, "gunicorn_threads": 2, "gunicorn_worker_class": "gthread",
            "replicas": 2,
            "limits": {"nginx": {"cpus": 0.5, "memory": 256 * MIB}, "django": {"cpus": 1.0, "memory": 1024 * MIB},
                       "streamlit": {"cpus": 1.0, "memory": 2048 * MIB},
                       "runserver": {"cpus": 1.0, "memory": 1024 * MIB}},
        },
        "settings": {"STREAMLIT_SESSIONS_PER_REPLICA": 10, "PROBE_MEM_WARN": 80, "PROBE_MEM_FAIL": 90,
                     "STREAMLIT_COMPUTATIONS_PER_PARTNER": 2},
        "startup": {"build_seconds": 4.2, "up_seconds": 31.5,
                    "images": {"partner-portal-django:local": 450 * MIB, "partner-portal-nginx:local": 184 * MIB}},
        "http": portal_rows(),
        "sessions": {
            "page": "Explore", "control": "Aggregate", "rows": 100_000, "seconds": 15.0, "think": [1.0, 3.0],
            "memory_limit": 2048 * MIB, "cpu_limit": 1.0, "memory_idle": 150 * MIB,
            "levels": [
                session_level(1, 90.0, 110.0, 170, 175, 0.1),
                session_level(5, 100.0, 300.0, 171, 180, 0.3),
                session_level(10, 150.0, 800.0, 172, 185, 0.5),
                session_level(25, 500.0, 1800.0, 175, 190, 0.9),
                session_level(50, 2900.0, 4200.0, 180, 195, 1.0),
            ],
            "plain": {
                "memory_limit": 2048 * MIB, "cpu_limit": 1.0, "memory_idle": 160 * MIB,
                "levels": [
                    session_level(1, 100.0, 150.0, 200, 210, 0.2),
                    session_level(5, 400.0, 700.0, 260, 300, 0.8),
                    session_level(10, 1500.0, 3500.0, 330, 400, 1.0),
                ],
            },
        },
        "fairness": {
            "b_sessions": 5, "heavy_sessions": 8, "heavy_rows": 1_000_000, "rows": 100_000, "seconds": 30.0,
            "think": [1.0, 3.0],
            "alone": {"reruns": 40, "errors": 0, "p50": 60.0, "p95": 120.0},
            "loaded": {"reruns": 38, "errors": 0, "p50": 70.0, "p95": 150.0},
            "heavy": {"reruns": 90, "waited": 70, "errors": 0, "p50": 900.0, "p95": 1400.0},
            "ratio": 1.25,
        },
        "analytics": {
            "rows": 1_000_000, "columns": 8, "file_bytes": 10 * MIB, "memory_bytes": 53 * MIB,
            "machine": {"polars": "2.1.0", "polars_threads": 1},
            "ms": {"generate": 340.0, "imports": 756.4, "first_load": 231.4,
                   "filter_change": {"median": 26.4, "min": 24.5}, "group_by": {"median": 9.4, "min": 9.2},
                   "comparison": {"median": 55.7, "min": 42.7}},
        },
        "routing": {
            "clients": 1000, "pool": "10.0.0.0/8",
            "modes": {
                "consistent": {
                    "spread": {2: {"clients": [520, 480], "max_over_fair": 1.04, "min_over_fair": 0.96},
                               3: {"clients": [300, 330, 370], "max_over_fair": 1.11, "min_over_fair": 0.9}},
                    "scale": {"from": 2, "to": 3, "moved": 0.31},
                    "failure": {"of": 3, "stopped": "p-streamlit-1", "victim_share": 0.3, "moved": 0.3,
                                "survivors_moved": 0.0},
                },
                "ip_hash": {
                    "spread": {2: {"clients": [500, 500], "max_over_fair": 1.0, "min_over_fair": 1.0},
                               3: {"clients": [333, 333, 334], "max_over_fair": 1.002, "min_over_fair": 0.999}},
                    "scale": {"from": 2, "to": 3, "moved": 0.66},
                    "failure": {"of": 3, "stopped": "p-streamlit-1", "victim_share": 0.33, "moved": 0.8,
                                "survivors_moved": 0.7},
                },
            },
        },
        "uploads": {
            "rows": 100_000,
            "files": {
                kind: {"kind": kind, "rows": 100_000, "file_bytes": size, "kinds": {"일자": "date", "금액": "integer"},
                       "preview_ms": preview, "store_ms": store, "peak_bytes": peak * 2**20, "child_limit_mb": 320}
                for kind, size, preview, store, peak in (("xlsx", 2_785_095, 2700.0, 780.0, 178),
                                                         ("csv", 4_578_922, 1350.0, 690.0, 156))
            },
        },
        "autoscaling": {"sessions": 3, "mark": 2, "cooldown": 30, "out_seconds": 26.34, "in_seconds": 61.0,
                        "opened": 3, "lost_out": 0, "kept_in": 1, "lost_in": 0, "rounds": 30},
    }


@pytest.fixture
def results():
    return sample_results()
