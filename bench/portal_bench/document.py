"""docs/benchmarks.md from one run's results: document.md's wording with the run's figures filled
in. The figures, and which of document.md's fragments they call for, are computed here from the
results alone, so every figure in it is one the run measured."""
from __future__ import annotations

import functools
import math
import re
from pathlib import Path
from string import Template

from portal_bench import stats
from portal_bench.gate import ASSET, CHECK, GATED, SERIES as GATE_SERIES, UNGATED
from portal_bench.portal import GUNICORN, NGINX, PAGES, RUNSERVER, SERVERS, STATIC, STATIC_PATH
from portal_bench.sessions import GIVE_UP_MS, dropped_sessions

SECOND_MS = 1000.0
PAGE_NAMES = {"login": "login page", "home": "home page of a logged-in partner"}
TEMPLATE = Path(__file__).with_name("document.md")
MARKER = re.compile(r"^<!-- (\S+) -->\n", re.MULTILINE)


# -- the wording -------------------------------------------------------------------------------
@functools.cache
def fragments() -> dict[str, Template]:
    """document.md's fragments by name, in the file's order."""
    parts = MARKER.split(TEMPLATE.read_text(encoding="utf-8"))
    return {name: Template(text.rstrip("\n")) for name, text in zip(parts[1::2], parts[2::2])}


def fill(name: str, **figures) -> str:
    return fragments()[name].substitute(figures)


# -- formatting --------------------------------------------------------------------------------
def ms(value: float | None) -> str:
    if value is None:
        return "–"
    if value == math.inf:
        return fill("dropped")
    if value >= SECOND_MS:
        return f"{value / SECOND_MS:.2f} s"
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def rate(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def size(value: float | None) -> str:
    if value is None:
        return "–"
    if abs(value) >= 2**30:
        return f"{value / 2**30:.1f} GiB"
    if abs(value) >= 100 * 2**20:
        return f"{value / 2**20:.0f} MiB"
    return f"{value / 2**20:.1f} MiB"


def times(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}×"


def percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f} %"


def cpus(value: float | None) -> str:
    return "no limit" if not value else f"{value:g} CPU"


def rows(cells: list[list[str]]) -> str:
    """A table's body; its header is in document.md."""
    return "\n".join("| " + " | ".join(row) + " |" for row in cells)


def columns(names: list[str]) -> dict[str, str]:
    """A header's columns that vary from run to run, and their rule cells."""
    return {"names": " | ".join(names), "rules": "".join(" --- |" for _ in names)}


def users(count: int) -> str:
    return fill("one_user" if count == 1 else "users", count=count)


def sessions_count(count: float | None) -> str:
    return "–" if count is None else f"{math.floor(count):,}"


# -- looking results up ------------------------------------------------------------------------
def http_row(results: dict, series: str, page: str, users: int) -> dict | None:
    for row in results["http"]:
        if row["series"] == series and row["page"] == page and row["users"] == users:
            return row
    return None


def levels(results: dict, series: str, page: str) -> list[int]:
    return sorted({row["users"] for row in results["http"] if row["series"] == series and row["page"] == page})


def value(row: dict | None, key: str) -> float | None:
    return None if row is None else row.get(key)


def p95_curve(results: dict, series: str, page: str) -> list[tuple[int, float | None]]:
    return [(users, value(http_row(results, series, page, users), "p95")) for users in levels(results, series, page)]


def crossing_text(points, unit: str) -> str:
    """What p95 does against 1 s, as a predicate ("passes 1 s between …"), from (level, p95 ms)."""
    found = stats.crossing(points, SECOND_MS)
    if not found["crossed"]:
        if found["below"] is None:
            return fill("crossing_unmeasured")
        top, p95 = found["below"]
        return fill("crossing_none", level=top, unit=unit, p95=ms(p95))
    above_level, above_p95 = found["above"]
    if found["below"] is None:
        return fill("crossing_first", above_level=above_level, unit=unit, above_p95=ms(above_p95))
    below_level, below_p95 = found["below"]
    return fill("crossing_between", below_level=below_level, below_p95=ms(below_p95), above_level=above_level,
                unit=unit, above_p95=ms(above_p95), estimate=math.floor(found["estimate"]))


def held_p95(level: dict) -> float:
    """A sessions level's rerun p95, or infinity when the replica dropped sessions in it: one
    whose memory ran out and that restarted held none of them, however quick its other reruns."""
    return math.inf if dropped_sessions(level) else level["p95"]


def held_curve(sessions: dict) -> list[tuple[int, float | None]]:
    return [(level["sessions"], held_p95(level)) for level in sessions["levels"]]


def session_capacity(sessions: dict) -> float | None:
    """Sessions one replica holds with p95 under 1 s: the interpolated crossing, or the largest
    level measured when none crossed (a lower bound)."""
    found = stats.crossing(held_curve(sessions), SECOND_MS)
    if found["crossed"]:
        if found["below"] is None:
            return None
        return found["estimate"]
    return found["below"][0] if found["below"] else None


def memory_fit(sessions: dict, key: str) -> tuple[float, float] | None:
    return stats.linear_fit([(level["sessions"], level[key]) for level in sessions["levels"]])


# Bytes a session: a memory fit's slope below it is the noise of a replica's memory, not a cost.
PER_SESSION_NOISE = 0.05 * 2**20


def per_session_text(fit: tuple[float, float] | None) -> str:
    """What an open session adds, from the fit's slope; below PER_SESSION_NOISE the fit only
    shows noise."""
    if fit is None:
        return "–"
    return fill("per_session_noise") if fit[0] < PER_SESSION_NOISE else size(fit[0])


def sessions_by_memory(sessions: dict, fail_percent: float) -> float | None:
    """Sessions before the replica's peak memory would reach the probe's failure mark; None when
    memory did not grow with the sessions (dividing by noise gave hundreds of thousands)."""
    fit = memory_fit(sessions, "memory_peak")
    limit = sessions.get("memory_limit")
    if fit is None or limit is None or fit[0] < PER_SESSION_NOISE:
        return None
    slope, intercept = fit
    return max((limit * fail_percent / 100 - intercept) / slope, 0)


# -- figures, section by section ---------------------------------------------------------------
def machine_figures(results: dict) -> dict:
    m = results["machine"]
    lim = m["limits"]
    runserver = lim.get("runserver")
    return {
        **{key: m[key] for key in ("cpus", "cpu_model", "kernel", "docker", "compose", "nginx", "gunicorn",
                                   "gunicorn_workers", "gunicorn_worker_class", "gunicorn_threads", "django",
                                   "streamlit", "python", "locust", "load_python", "replicas")},
        "memory": size(m["memory"]),
        **{f"{service}_cpus": cpus(lim[service]["cpus"]) for service in ("nginx", "django", "streamlit")},
        **{f"{service}_memory": size(lim[service]["memory"]) for service in ("nginx", "django", "streamlit")},
        "runserver_limits": fill("runserver_limits", cpus=cpus(runserver["cpus"]), memory=size(runserver["memory"]))
        if runserver else "",
    }


def claims_figures(results: dict) -> dict:
    m = results["machine"]
    sessions = results["sessions"]
    settings = results["settings"]
    top = max(levels(results, GUNICORN, "home"))

    def p95(series, page, users):
        return value(http_row(results, series, page, users), "p95")

    # Django's own server against the notes' 5 and 20 users.
    checked = [p95(RUNSERVER, page, users) for page in PAGES for users in (5, 20) if http_row(results, RUNSERVER, page, users)]
    holds = bool(checked) and all(v is not None and v <= SECOND_MS for v in checked)
    verdict = "verdict_unmeasured" if not checked else "verdict_holds" if holds else "verdict_fails"

    # Gunicorn, and what bounds the portal.
    home_ratio = stats.ratio(value(http_row(results, GUNICORN, "home", top), "rps"),
                             value(http_row(results, RUNSERVER, "home", top), "rps"))
    static = http_row(results, STATIC, "static", top)
    ceiling = stats.ratio(value(http_row(results, NGINX, "home", top), "rps"), value(static, "rps"))
    django_cpus = m["limits"]["django"]["cpus"]
    held = home_ratio is not None and home_ratio < 1.5 and django_cpus

    # A replica's sessions, by time and by memory, and the routing.
    capacity = session_capacity(sessions)
    by_memory = sessions_by_memory(sessions, settings["PROBE_MEM_FAIL"])
    if by_memory is None or capacity is None:
        binding = ""
    else:
        binding = fill("bound_by_cpu" if by_memory > capacity else "bound_by_memory")
    spread = []
    for mode, figures in results["routing"]["modes"].items():
        scale = figures["scale"]
        scaling = fill("mode_scaling", scale_from=scale["from"], scale_to=scale["to"],
                       moved=percent(scale["moved"])) if scale else ""
        worst = max(entry["max_over_fair"] for entry in figures["spread"].values())
        spread.append(fill("mode_spread", mode=mode, worst=f"{worst:.2f}", scaling=scaling))

    # When to scale.
    setting = settings["STREAMLIT_SESSIONS_PER_REPLICA"]
    portal_users = 20 if http_row(results, NGINX, "home", 20) else top
    return {
        "runserver_verdict": fill(verdict),
        "runserver_p95_5": ms(p95(RUNSERVER, "home", 5)),
        "gunicorn_p95_5": ms(p95(GUNICORN, "home", 5)),
        "runserver_p95_20": ms(p95(RUNSERVER, "home", 20)),
        "gunicorn_p95_20": ms(p95(GUNICORN, "home", 20)),
        "runserver_home": crossing_text(p95_curve(results, RUNSERVER, "home"), "users"),
        "runserver_login": crossing_text(p95_curve(results, RUNSERVER, "login"), "users"),
        "runserver_lacks": fill("runserver_lacks") if holds else "",
        "top": top,
        "home_ratio": times(home_ratio),
        "gunicorn_home": crossing_text(p95_curve(results, GUNICORN, "home"), "users"),
        "nginx_home": crossing_text(p95_curve(results, NGINX, "home"), "users"),
        "ceiling": percent(ceiling),
        "generator_bound": fill("generator_bound", client_cpu=percent(static["client_cpu"]))
        if static and static["client_cpu"] > 0.9 else "",
        "bound": fill("bound_by_python" if ceiling is not None and ceiling < 0.5 else "bound_by_nginx"),
        "cpu_held": fill("cpu_held", django_cpus=cpus(django_cpus), gunicorn_workers=m["gunicorn_workers"])
        if held else "",
        "capacity": sessions_count(capacity),
        "think_from": f"{sessions['think'][0]:g}",
        "think_to": f"{sessions['think'][1]:g}",
        "sessions_curve": crossing_text(held_curve(sessions), "sessions"),
        "per_session": per_session_text(memory_fit(sessions, "memory_settled")),
        "memory_bound": fill("memory_holds", memory_limit=size(sessions["memory_limit"]),
                             by_memory=sessions_count(by_memory)) if by_memory is not None else fill("memory_flat"),
        "binding": binding,
        "spread": "; ".join(spread),
        "setting_compared": fill("setting_compared", setting=setting, capacity=sessions_count(capacity)),
        "peak_cpu": f"{max(level['cpu_cores'] for level in sessions['levels']):.2f}",
        "replica_cpus": cpus(m["limits"]["streamlit"]["cpus"]),
        "portal_p95": ms(p95(NGINX, "home", portal_users)),
        "portal_users": portal_users,
    }


def ratio_figures(results: dict) -> dict:
    user_columns = sorted({row["users"] for row in results["http"]})
    cells = []

    def line(label, measure, numerator, denominator):
        cells.append([label, measure] + [times(stats.ratio(numerator(u), denominator(u))) for u in user_columns])

    for page in PAGES:
        line(fill("ratio_gunicorn_rps", page=page), "req/s",
             lambda u, p=page: value(http_row(results, GUNICORN, p, u), "rps"),
             lambda u, p=page: value(http_row(results, RUNSERVER, p, u), "rps"))
    for page in PAGES:
        line(fill("ratio_runserver_p95", page=page), "p95",
             lambda u, p=page: value(http_row(results, RUNSERVER, p, u), "p95"),
             lambda u, p=page: value(http_row(results, GUNICORN, p, u), "p95"))
    for page in PAGES:
        line(fill("ratio_ceiling", page=page), "req/s",
             lambda u, p=page: value(http_row(results, NGINX, p, u), "rps"),
             lambda u: value(http_row(results, STATIC, "static", u), "rps"))
    line(fill("ratio_gate"), "p50",
         lambda u: value(http_row(results, GATED, "asset", u), "p50"),
         lambda u: value(http_row(results, UNGATED, "asset", u), "p50"))
    header = columns([users(u) for u in user_columns])
    return {"user_columns": header["names"], "user_rules": header["rules"], "ratio_rows": rows(cells)}


def _http_cells(series: str, row: dict) -> list[str]:
    return [series, str(row["users"]), rate(row["rps"]), ms(row["p50"]), ms(row["p95"]), ms(row["p99"]),
            f"{row['errors']:,}", percent(row["client_cpu"])]


def _http_rows(results: dict, all_series, page: str) -> str:
    return rows([_http_cells(series, http_row(results, series, page, users))
                 for series in all_series for users in levels(results, series, page)])


def portal_figures(results: dict) -> dict:
    tables = [fill("page_table", page_name=PAGE_NAMES[page], path=path, rows=_http_rows(results, SERVERS, page))
              for page, path in PAGES.items()]
    header = columns([PAGE_NAMES[page] for page in PAGES])
    return {
        "page_tables": "\n\n".join(tables),
        "static_path": STATIC_PATH,
        "static_rows": _http_rows(results, [STATIC], "static"),
        "page_columns": header["names"],
        "page_rules": header["rules"],
        "crossing_rows": rows([[series, *[crossing_text(p95_curve(results, series, page), "users") for page in PAGES]]
                               for series in SERVERS]),
    }


def gate_figures(results: dict) -> dict:
    added = []
    for count in levels(results, GATED, "asset"):
        gated = value(http_row(results, GATED, "asset", count), "p50")
        ungated = value(http_row(results, UNGATED, "asset", count), "p50")
        check = value(http_row(results, CHECK, "asset", count), "p50")
        if gated is not None and ungated is not None:
            added.append(fill("gate_added", added=ms(gated - ungated), users=users(count), check=ms(check)))
    return {"asset": ASSET, "gate_rows": _http_rows(results, GATE_SERIES, "asset"), "gate_added": "; ".join(added)}


def cpu_per_rerun(level: dict) -> float | None:
    """The replica's CPU time per rerun at a level, in ms; none where it dropped its sessions,
    since a restarted container counts its CPU and memory from nothing again."""
    if dropped_sessions(level) or not level["rerun_rate"]:
        return None
    return level["cpu_cores"] / level["rerun_rate"] * SECOND_MS


def _session_rows(levels_: list[dict]) -> str:
    def restarted_or(level: dict, text: str) -> str:
        return "–" if dropped_sessions(level) else text

    return rows([[str(l["sessions"]), f"{l['reruns']:,}", f"{l['rerun_rate']:.1f}", ms(l["p50"]), ms(l["p95"]),
                  ms(l["max"]), str(l["errors"]), restarted_or(l, f"{l['cpu_cores']:.2f}"),
                  restarted_or(l, size(l["memory_settled"])),
                  size(l["memory_peak"]), ms(l["first_run_p50"]), ms(cpu_per_rerun(l))]
                 for l in levels_])


def sessions_figures(results: dict) -> dict:
    s = results["sessions"]
    return {
        "page": s["page"],
        "rows": f"{s['rows']:,}",
        "seconds": f"{s['seconds']:g}",
        "control": s["control"],
        "session_rows": _session_rows(s["levels"]),
        "plain_session_rows": _session_rows(s["plain"]["levels"]),
        "give_up": ms(GIVE_UP_MS),
        "memory_idle": size(s["memory_idle"]),
        "per_session_peak": per_session_text(memory_fit(s, "memory_peak")),
    }


def capacity_figures(results: dict) -> dict:
    """Sessions per replica, the app's page against the plain page's, and a rerun's CPU at the
    busiest level both pages measured below 1 s."""
    s = results["sessions"]
    ours, plain = session_capacity(s), session_capacity(s["plain"])
    below = [(mine, theirs) for mine, theirs in zip(s["levels"], s["plain"]["levels"])
             if all(level["p95"] is not None and held_p95(level) <= SECOND_MS for level in (mine, theirs))
             ] or list(zip(s["levels"], s["plain"]["levels"]))[:1]
    mine, theirs = below[-1] if below else (None, None)
    crossed = stats.crossing(held_curve(s), SECOND_MS)["crossed"]
    return {
        "plain_capacity": sessions_count(plain),
        "capacity_ratio": times(stats.ratio(ours, plain)),
        "capacity_lower": "" if crossed else fill("capacity_lower"),
        "cpu_per_rerun": ms(cpu_per_rerun(mine)) if mine else "–",
        "plain_cpu_per_rerun": ms(cpu_per_rerun(theirs)) if theirs else "–",
        "cost_level": theirs["sessions"] if theirs else "–",
        "plain_sessions_curve": crossing_text(held_curve(s["plain"]), "sessions"),
    }


def fairness_figures(results: dict) -> dict:
    f = results["fairness"]
    settings = results["settings"]

    def cells(name, figures, tabs):
        return [f"{fill(name)} ({tabs})", f"{figures['reruns']:,}", ms(figures["p50"]), ms(figures["p95"]),
                str(figures["errors"])]

    return {
        "fair_sessions": f["b_sessions"],
        "fair_seconds": f"{f['seconds']:g}",
        "heavy_sessions": f["heavy_sessions"],
        "heavy_rows": f"{f['heavy_rows']:,}",
        "per_partner": settings["STREAMLIT_COMPUTATIONS_PER_PARTNER"],
        "fair_rows": rows([cells("fair_alone", f["alone"], f["b_sessions"]),
                           cells("fair_loaded", f["loaded"], f["b_sessions"]),
                           cells("fair_heavy", f["heavy"], f["heavy_sessions"])]),
        "fair_alone": ms(f["alone"]["p95"]),
        "fair_loaded": ms(f["loaded"]["p95"]),
        "fair_ratio": times(f["ratio"]),
        "fair_heavy_reruns": f"{f['heavy']['reruns']:,}",
        "fair_waited": f"{f['heavy']['waited']:,}",
    }


def startup_figures(results: dict) -> dict:
    st = results["startup"]
    return {
        "up_seconds": f"{st['up_seconds']:.1f}",
        "build_seconds": f"{st['build_seconds']:.1f}",
        "image_rows": rows([[f"`{image}`", size(bytes_)] for image, bytes_ in st["images"].items()]),
    }


def analytics_figures(results: dict) -> dict:
    a = results["analytics"]
    known = [name.removeprefix("step_") for name in fragments() if name.startswith("step_")]
    # The steps analytics_timing.py reports, known ones first; generating the data is not a step.
    names = [n for n in known if n in a["ms"]] + sorted(set(a["ms"]) - set(known) - {"generate"})

    def timing(entry):
        if isinstance(entry, dict):
            return fill("repeated_timing", median=ms(entry["median"]), fastest=ms(entry["min"]))
        return ms(entry)

    machine = a.get("machine", {})
    return {
        "analytics_rows": f"{a['rows']:,}",
        "columns": a["columns"],
        "file_size": size(a["file_bytes"]),
        "memory_size": size(a["memory_bytes"]),
        "copy_size": fill("copy_size", size=size(a["copy_bytes"])) if "copy_bytes" in a else "",
        "polars": machine.get("polars", "?"),
        "polars_threads": machine.get("polars_threads", "?"),
        "step_rows": rows([[fill(f"step_{name}") if name in known else name, timing(a["ms"][name])]
                           for name in names]),
    }


def routing_figures(results: dict) -> dict:
    r = results["routing"]
    modes = r["modes"].values()
    counts = sorted({int(c) for figures in modes for c in figures["spread"]})
    cells = []
    for count in counts:
        spread = []
        for figures in modes:
            entry = figures["spread"].get(count) or figures["spread"].get(str(count))
            spread.append("–" if entry is None else fill(
                "routing_spread_cell", clients=" / ".join(str(c) for c in entry["clients"]),
                largest=f"{entry['max_over_fair']:.2f}"))
        cells.append([fill("routing_spread", count=count), *spread])
    scale = next(iter(modes))["scale"]
    if scale:
        cells.append([fill("routing_scaled", scale_from=scale["from"], scale_to=scale["to"]),
                      *[percent(f["scale"]["moved"]) for f in modes]])
        cells.append([fill("routing_fewest", scale_to=scale["to"]), *[percent(1 / f["scale"]["to"]) for f in modes]])
    failure = next(iter(modes))["failure"]

    def failed(key):
        return [percent(f["failure"][key]) if f["failure"] else "–" for f in modes]

    cells.append([fill("routing_stopped", of=failure["of"] if failure else "–"), *failed("victim_share")])
    cells.append([fill("routing_moved"), *failed("moved")])
    cells.append([fill("routing_survivors"), *failed("survivors_moved")])
    header = columns(list(r["modes"]))
    return {"clients": f"{r['clients']:,}", "pool": r["pool"], "mode_columns": header["names"],
            "mode_rules": header["rules"], "routing_rows": rows(cells)}


UPLOAD_FILES = {"xlsx": "upload_xlsx", "csv": "upload_csv"}


def uploads_figures(results: dict) -> dict:
    u = results["uploads"]
    files = u["files"]
    cells = []
    for kind, figures in files.items():
        cells.append([fill(UPLOAD_FILES[kind]), size(figures["file_bytes"]), ms(figures["preview_ms"]),
                      ms(figures["store_ms"]), size(figures["peak_bytes"]),
                      percent(figures["peak_bytes"] / (figures["child_limit_mb"] * 2**20))])
    xlsx, csv = files["xlsx"], files["csv"]
    return {
        "upload_rows": f"{u['rows']:,}",
        "upload_kinds": ", ".join(f"{name} {kind}" for name, kind in csv["kinds"].items()),
        "upload_rows_table": rows(cells),
        "upload_ratio": times(stats.ratio(xlsx["preview_ms"], csv["preview_ms"])),
        "upload_store_ratio": times(stats.ratio(csv["store_ms"], csv["preview_ms"])),
    }


def autoscaling_figures(results: dict) -> dict:
    a = results["autoscaling"]
    return {
        "autoscale_sessions": a["sessions"], "autoscale_mark": a["mark"], "autoscale_cooldown": a["cooldown"],
        "autoscale_out": f"{a['out_seconds']:.1f}", "autoscale_in": f"{a['in_seconds']:.1f}",
        "autoscale_opened": a["opened"], "autoscale_lost_out": a["lost_out"],
        "autoscale_kept": a["kept_in"], "autoscale_lost_in": a["lost_in"],
    }


def render(results: dict, charts: list[tuple[str, str]] | None = None) -> str:
    figures = {
        "date": results["date"],
        "plan": results["plan"],
        "minutes": f"{results['seconds'] / 60:.1f}",
        **machine_figures(results),
        **claims_figures(results),
        **ratio_figures(results),
        **portal_figures(results),
        **gate_figures(results),
        **sessions_figures(results),
        **capacity_figures(results),
        **fairness_figures(results),
        **startup_figures(results),
        **analytics_figures(results),
        **routing_figures(results),
        **uploads_figures(results),
        **autoscaling_figures(results),
    }
    parts = [fill("document", **figures)]
    if charts:
        parts.append(fill("charts", images="\n\n".join(fill("chart", title=title, path=path) for title, path in charts)))
    return "\n\n".join(parts) + "\n"
