"""docs/benchmarks.md from one run's results: a pure function of the results (no I/O), so every
figure in it is one the run measured."""
from __future__ import annotations

import math

from bench import stats
from bench.gate import CHECK, GATED, SERIES as GATE_SERIES, UNGATED
from bench.portal import GUNICORN, NGINX, PAGES, RUNSERVER, SERVERS, STATIC

SECOND_MS = 1000.0
PAGE_NAMES = {"login": "login page", "home": "home page of a logged-in partner"}


# -- formatting --------------------------------------------------------------------------------
def ms(value: float | None) -> str:
    if value is None:
        return "–"
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


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


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
            return "was not measured"
        top, p95 = found["below"]
        return f"stays under 1 s up to {top} {unit} (p95 {ms(p95)} at {top})"
    above_level, above_p95 = found["above"]
    if found["below"] is None:
        return f"is over 1 s already at {above_level} {unit} (p95 {ms(above_p95)})"
    below_level, below_p95 = found["below"]
    return (f"passes 1 s between {below_level} (p95 {ms(below_p95)}) and {above_level} {unit} "
            f"(p95 {ms(above_p95)}), at about {math.floor(found['estimate'])} {unit} on a straight line between them")


def session_capacity(sessions: dict) -> float | None:
    """Sessions one replica holds with p95 under 1 s: the interpolated crossing, or the largest
    level measured when none crossed (a lower bound)."""
    points = [(level["sessions"], level["p95"]) for level in sessions["levels"]]
    found = stats.crossing(points, SECOND_MS)
    if found["crossed"]:
        if found["below"] is None:
            return None
        return found["estimate"]
    return found["below"][0] if found["below"] else None


def memory_fit(sessions: dict, key: str) -> tuple[float, float] | None:
    return stats.linear_fit([(level["sessions"], level[key]) for level in sessions["levels"]])


def per_session_text(fit: tuple[float, float] | None) -> str:
    """What an open session adds, from the fit's slope; below 0.1 MiB the fit only shows noise."""
    if fit is None:
        return "–"
    return "less than 0.1 MiB" if fit[0] < 0.05 * 2**20 else size(fit[0])


def sessions_by_memory(sessions: dict, fail_percent: float) -> float | None:
    """Sessions before the replica's peak memory would reach the probe's failure mark."""
    fit = memory_fit(sessions, "memory_peak")
    limit = sessions.get("memory_limit")
    if fit is None or limit is None or fit[0] <= 0:
        return None
    slope, intercept = fit
    return max((limit * fail_percent / 100 - intercept) / slope, 0)


# -- sections ----------------------------------------------------------------------------------
def machine_section(results: dict) -> str:
    m = results["machine"]
    lim = m["limits"]
    return "\n".join([
        f"**Machine:** {m['cpus']} CPUs ({m['cpu_model']}), {size(m['memory'])} memory, Linux {m['kernel']}; "
        f"Docker {m['docker']}, Compose {m['compose']}; nginx {m['nginx']}, Gunicorn {m['gunicorn']} "
        f"({m['gunicorn_workers']} {m['gunicorn_worker_class']} workers × {m['gunicorn_threads']} threads), "
        f"Django {m['django']}, Streamlit {m['streamlit']}, Python {m['python']} in the containers; "
        f"load from locust {m['locust']} (Python {m['load_python']}), one process on the same machine.",
        "",
        f"**Container limits:** nginx {cpus(lim['nginx']['cpus'])}, {size(lim['nginx']['memory'])}; "
        f"django {cpus(lim['django']['cpus'])}, {size(lim['django']['memory'])}; each streamlit replica "
        f"{cpus(lim['streamlit']['cpus'])}, {size(lim['streamlit']['memory'])} ({m['replicas']} replicas at start)"
        + (f"; Django's own server, in its extra container, {cpus(lim['runserver']['cpus'])}, "
           f"{size(lim['runserver']['memory'])}" if "runserver" in lim else "") + ".",
    ])


def ratio_rows(results: dict) -> tuple[list[int], list[list[str]]]:
    columns = sorted({row["users"] for row in results["http"]})
    rows = []

    def line(label, measure, numerator, denominator):
        rows.append([label, measure] + [times(stats.ratio(numerator(u), denominator(u))) for u in columns])

    for page in PAGES:
        line(f"Gunicorn ÷ runserver, {page} page (both direct)", "req/s",
             lambda u, p=page: value(http_row(results, GUNICORN, p, u), "rps"),
             lambda u, p=page: value(http_row(results, RUNSERVER, p, u), "rps"))
    for page in PAGES:
        line(f"runserver ÷ Gunicorn, {page} page (both direct)", "p95",
             lambda u, p=page: value(http_row(results, RUNSERVER, p, u), "p95"),
             lambda u, p=page: value(http_row(results, GUNICORN, p, u), "p95"))
    for page in PAGES:
        line(f"Gunicorn via nginx ÷ nginx static ceiling, {page} page", "req/s",
             lambda u, p=page: value(http_row(results, NGINX, p, u), "rps"),
             lambda u: value(http_row(results, STATIC, "static", u), "rps"))
    line("gated ÷ ungated Streamlit asset", "p50",
         lambda u: value(http_row(results, GATED, "asset", u), "p50"),
         lambda u: value(http_row(results, UNGATED, "asset", u), "p50"))
    return columns, rows


def ratios_section(results: dict) -> str:
    columns, rows = ratio_rows(results)
    return "\n".join([
        "## Ratios, measured in this one run",
        "",
        "Columns are concurrent users. Above 1 means the first server does more (req/s) or waits "
        "longer (p95, p50).",
        "",
        table(["ratio", "of", *[_users(u) for u in columns]], rows),
    ])


def claims_section(results: dict) -> str:
    m = results["machine"]
    sessions = results["sessions"]
    settings = results.get("settings", {})
    top = max(levels(results, GUNICORN, "home"))
    lines = ["## The original notes' claims, answered by this run", ""]

    def p95(series, page, users):
        return value(http_row(results, series, page, users), "p95")

    checked = [p95(RUNSERVER, page, users) for page in PAGES for users in (5, 20) if http_row(results, RUNSERVER, page, users)]
    holds = bool(checked) and all(v is not None and v <= SECOND_MS for v in checked)
    if not checked:
        verdict = "This run did not measure 5 or 20 users: "
    else:
        verdict = "On speed, it is: " if holds else "It is not, on this machine: "
    lines += [
        "**“Django's own server is enough for about 5 concurrent and 20 total users.”** " + verdict
        + f"with 5 users sending requests back to back, `runserver` answers the home page at p95 "
        f"{ms(p95(RUNSERVER, 'home', 5))} (Gunicorn: {ms(p95(GUNICORN, 'home', 5))}), and at 20 users at "
        f"{ms(p95(RUNSERVER, 'home', 20))} (Gunicorn: {ms(p95(GUNICORN, 'home', 20))}). On the home page its p95 "
        f"{crossing_text(p95_curve(results, RUNSERVER, 'home'), 'users')}; on the login page it "
        f"{crossing_text(p95_curve(results, RUNSERVER, 'login'), 'users')}. These users never pause, so each "
        "stands for many partners who read between clicks"
        + ("; what runserver lacks is not speed at this size but what a production server adds: worker "
           "processes that are watched and restarted, timeouts, and its own authors' support for production."
           if holds else "."),
        "",
    ]
    home_ratio = stats.ratio(value(http_row(results, GUNICORN, "home", top), "rps"),
                             value(http_row(results, RUNSERVER, "home", top), "rps"))
    static = http_row(results, STATIC, "static", top)
    ceiling = stats.ratio(value(http_row(results, NGINX, "home", top), "rps"), value(static, "rps"))
    bound = ("the Python work behind a page, not nginx, is what bounds the portal" if ceiling is not None and ceiling < 0.5
             else "nginx itself is close to its ceiling")
    django_cpus = m["limits"]["django"]["cpus"]
    held = ""
    if home_ratio is not None and home_ratio < 1.5 and django_cpus:
        held = (f" Both servers run under the django container's limit of {cpus(django_cpus)}: within it, "
                f"{m['gunicorn_workers']} worker processes do no more work than one process with threads, so "
                "Gunicorn's way to grow is more CPU for the container (`DJANGO_CPUS`) with workers to match.")
    generator = (f" (the static figure is partly the load generator's limit: it used {percent(static['client_cpu'])} "
                 "of a core)" if static and static["client_cpu"] > 0.9 else "")
    lines += [
        "**“Gunicorn with 4 workers behind nginx is the way to grow.”** "
        f"At {top} users Gunicorn ({m['gunicorn_workers']} workers × {m['gunicorn_threads']} threads) serves "
        f"{times(home_ratio)} runserver's req/s on the home page. Its p95 "
        f"{crossing_text(p95_curve(results, GUNICORN, 'home'), 'users')} (direct), and "
        f"{crossing_text(p95_curve(results, NGINX, 'home'), 'users')} through nginx. Through nginx the "
        f"home page reaches {percent(ceiling)} of the req/s at which nginx serves a static file{generator}: {bound}."
        + held,
        "",
    ]
    capacity = session_capacity(sessions)
    by_memory = sessions_by_memory(sessions, float(settings.get("PROBE_MEM_FAIL") or 90))
    per_session = memory_fit(sessions, "memory_settled")
    if by_memory is None or capacity is None:
        binding = ""
    elif by_memory > capacity:
        binding = ": CPU time, not memory, bounds a replica"
    else:
        binding = ": memory, before CPU time, bounds a replica"
    spread_bits = []
    for mode, figures in results["routing"]["modes"].items():
        worst = max(entry["max_over_fair"] for entry in figures["spread"].values())
        bit = f"with {mode} the busiest replica gets at most {worst:.2f}× its fair share"
        if figures["scale"]:
            bit += (f" and scaling {figures['scale']['from']} → {figures['scale']['to']} moves "
                    f"{percent(figures['scale']['moved'])} of the clients")
        spread_bits.append(bit)
    think = sessions["think"]
    lines += [
        "**“Pre-started Streamlit processes, one per client IP, keep the load spread out.”** "
        f"One replica keeps the p95 of a rerun under 1 s up to about {_sessions(capacity)} sessions whose "
        f"partners think {think[0]:g}–{think[1]:g} s between changes (its p95 "
        f"{crossing_text([(l['sessions'], l['p95']) for l in sessions['levels']], 'sessions')}). "
        f"An open session adds {per_session_text(per_session)} of memory, so by memory a "
        f"replica with a {size(sessions['memory_limit'])} limit would hold about {_sessions(by_memory)} sessions "
        f"before the probe's failure mark{binding}. Routing by client address over "
        f"{results['routing']['clients']:,} simulated clients: " + "; ".join(spread_bits)
        + ". All partners behind one address share one replica in either mode.",
        "",
    ]
    setting = settings.get("STREAMLIT_SESSIONS_PER_REPLICA")
    peak_cpu = max(level["cpu_cores"] for level in sessions["levels"])
    replica_cpus = m["limits"]["streamlit"]["cpus"]
    portal_p95 = p95(NGINX, "home", 20) if http_row(results, NGINX, "home", 20) else p95(NGINX, "home", top)
    lines += [
        "**When ops should scale.** Add a replica when the busiest one holds about "
        f"{_sessions(capacity)} active partner sessions, or when its memory passes the probe's warning mark"
        + (f" (`STREAMLIT_SESSIONS_PER_REPLICA`, the probe's advice threshold, is {setting}; this run says "
           f"{_sessions(capacity)})" if setting else "")
        + f". A replica's reruns used at most {peak_cpu:.2f} CPU cores (its limit: {cpus(replica_cpus)}): one "
        f"Python process runs its scripts on one core, so past {m['cpus']} busy replicas on this "
        f"{m['cpus']}-CPU machine another replica adds memory, not rerun capacity, and the next step is a "
        f"second host. The portal is not what needs scaling: Gunicorn through nginx answers the home page at "
        f"p95 {ms(portal_p95)} with {20 if http_row(results, NGINX, 'home', 20) else top} users sending requests "
        "back to back.",
    ]
    return "\n".join(lines)


def _sessions(count: float | None) -> str:
    return "–" if count is None else f"{math.floor(count):,}"


def _users(count: int) -> str:
    return f"{count} user" if count == 1 else f"{count} users"


def portal_section(results: dict) -> str:
    lines = [
        "## 1–3. Portal pages: Gunicorn, Django's own server, and the static ceiling",
        "",
        "Closed-loop users: each sends its next request as soon as the last one answered, on its own "
        "keep-alive connection. *Gunicorn via nginx* goes to nginx's address on the front network; "
        "*direct* goes to the server's address on the back network (runserver runs in an extra "
        "container of the django image with the django service's settings, volumes and limits). "
        "Load CPU is the load generator's own use of one core: near 100 % means the figure is the "
        "generator's limit, not the server's.",
    ]
    for page in PAGES:
        rows = []
        for series in SERVERS:
            for users in levels(results, series, page):
                rows.append(_http_cells(series, http_row(results, series, page, users)))
        lines += ["", f"### The {PAGE_NAMES[page]} (`{PAGES[page]}`)", "",
                  table(["server", "users", "req/s", "p50", "p95", "p99", "errors", "load CPU"], rows)]
    rows = [_http_cells(STATIC, http_row(results, STATIC, "static", users))
            for users in levels(results, STATIC, "static")]
    lines += ["", "### nginx serving a static file (`/static/admin/css/base.css`): the ceiling", "",
              table(["server", "users", "req/s", "p50", "p95", "p99", "errors", "load CPU"], rows)]
    lines += ["", "### Each server's p95 against 1 s", "",
              table(["server", *[PAGE_NAMES[p] for p in PAGES]],
                    [[s, *[crossing_text(p95_curve(results, s, p), "users") for p in PAGES]] for s in SERVERS])]
    return "\n".join(lines)


def _http_cells(series: str, row: dict) -> list[str]:
    return [series, str(row["users"]), rate(row["rps"]), ms(row["p50"]), ms(row["p95"]), ms(row["p99"]),
            f"{row['errors']:,}", percent(row["client_cpu"])]


def gate_section(results: dict) -> str:
    rows = []
    for series in GATE_SERIES:
        for users in levels(results, series, "asset"):
            rows.append(_http_cells(series, http_row(results, series, "asset", users)))
    added = []
    for users in levels(results, GATED, "asset"):
        gated = value(http_row(results, GATED, "asset", users), "p50")
        ungated = value(http_row(results, UNGATED, "asset", users), "p50")
        check = value(http_row(results, CHECK, "asset", users), "p50")
        if gated is not None and ungated is not None:
            added.append(f"{ms(gated - ungated)} at {_users(users)} (`/auth/check` alone, straight from "
                         f"Gunicorn at the same concurrency: {ms(check)})")
    return "\n".join([
        "## 4. The auth gate",
        "",
        "A small Streamlit asset (`/app/favicon.png`) through nginx, where every request first asks "
        "Django's `/auth/check`; the same asset straight from a replica; and `/auth/check` alone, "
        "straight from Gunicorn.",
        "",
        table(["way", "users", "req/s", "p50", "p95", "p99", "errors", "load CPU"], rows),
        "",
        "Added latency of the gate and nginx's hop (p50, gated minus ungated): " + "; ".join(added) + ".",
    ])


def sessions_section(results: dict) -> str:
    s = results["sessions"]
    rows = [[str(l["sessions"]), f"{l['reruns']:,}", f"{l['rerun_rate']:.1f}", ms(l["p50"]), ms(l["p95"]),
             ms(l["max"]), str(l["errors"]), f"{l['cpu_cores']:.2f}", size(l["memory_settled"]),
             size(l["memory_peak"]), ms(l["first_run_p50"])]
            for l in s["levels"]]
    settled, peak = memory_fit(s, "memory_settled"), memory_fit(s, "memory_peak")
    points = [(l["sessions"], l["p95"]) for l in s["levels"]]
    return "\n".join([
        "## 5. Streamlit sessions on one replica",
        "",
        f"Each level has a fresh replica of its own (limits as above) and opens that many simulated browser "
        f"tabs on the {s['page']} page of a {s['rows']:,}-row dataset; for {s['seconds']:g} s each tab "
        f"changes the chart's {s['control']} after a think time of {s['think'][0]:g}–{s['think'][1]:g} s "
        "and waits for the rerun to finish. Memory is the replica's working set; CPU is in cores.",
        "",
        table(["sessions", "reruns", "reruns/s", "p50", "p95", "max", "errors", "CPU", "memory, after",
               "memory, peak", "first open p50"], rows),
        "",
        f"- A fresh replica at rest: {size(s['memory_idle'])}.",
        f"- Memory per open session (straight-line fit over the levels): {per_session_text(settled)}"
        f" after the reruns, {per_session_text(peak)} at the peak.",
        f"- The p95 rerun latency {crossing_text(points, 'sessions')}.",
    ])


def startup_section(results: dict) -> str:
    st = results["startup"]
    rows = [[f"`{image}`", size(bytes_)] for image, bytes_ in st["images"].items()]
    return "\n".join([
        "## 6. Start-up and images",
        "",
        f"`ops/up` on a fresh project with the images built: **{st['up_seconds']:.1f} s** until every "
        f"service is healthy (its cached build step included; a separate cached build took "
        f"{st['build_seconds']:.1f} s).",
        "",
        table(["image", "size"], rows),
    ])


ANALYTICS_STEPS = {
    "imports": "imports and warm-up (once, at process start)",
    "first_load": "first load of the dataset (once per version and replica)",
    "filter_change": "a filter change (row count and line over time)",
    "group_by": "a group-by chart (mean per category)",
    "comparison": "a comparison of two segments per month",
    "cache_data_copy": "the copy `st.cache_data` would hand each rerun (not used: for comparison)",
}


def analytics_section(results: dict) -> str:
    a = results["analytics"]

    def timing(entry):
        if isinstance(entry, dict):
            return f"{ms(entry['median'])} (fastest {ms(entry['min'])})"
        return ms(entry)

    # The steps analytics.bench reports, known ones first; generating the data is not a step.
    names = [n for n in ANALYTICS_STEPS if n in a["ms"]] + sorted(set(a["ms"]) - set(ANALYTICS_STEPS) - {"generate"})
    machine = a.get("machine", {})
    copy = f", {size(a['copy_bytes'])} as an unpickled copy" if "copy_bytes" in a else ""
    return "\n".join([
        f"## 7. Analytics at {a['rows']:,} rows",
        "",
        f"`python3 -m analytics.bench` inside a streamlit replica: a generated dataset of {a['rows']:,} rows "
        f"and {a['columns']} columns ({size(a['file_bytes'])} of Parquet, {size(a['memory_bytes'])} in memory"
        f"{copy}), polars {machine.get('polars', '?')} with {machine.get('polars_threads', '?')} threads. "
        "Repeated steps: median of the runs.",
        "",
        table(["step", "time"], [[ANALYTICS_STEPS.get(name, name), timing(a["ms"][name])] for name in names]),
    ])


def routing_section(results: dict) -> str:
    r = results["routing"]
    lines = [
        f"## Routing over {r['clients']:,} simulated client addresses",
        "",
        f"Addresses drawn at random from {r['pool']} (nearly every one in its own /24), sent as "
        "X-Forwarded-For from this host, which nginx trusts for the measurement (`TRUSTED_PROXIES`); "
        "the replica that served each request is read from nginx's access log.",
        "",
    ]
    header = ["", *r["modes"]]
    counts = sorted({int(c) for figures in r["modes"].values() for c in figures["spread"]})
    rows = []
    for count in counts:
        cells = []
        for figures in r["modes"].values():
            entry = figures["spread"].get(count) or figures["spread"].get(str(count))
            cells.append("–" if entry is None else
                         f"{' / '.join(str(c) for c in entry['clients'])} (largest {entry['max_over_fair']:.2f}× fair)")
        rows.append([f"clients per replica, {count} replicas", *cells])
    scale = next(iter(r["modes"].values()))["scale"]
    if scale:
        rows.append([f"moved when scaling {scale['from']} → {scale['to']}",
                     *[percent(f["scale"]["moved"]) for f in r["modes"].values()]])
        rows.append([f"… the fewest an even spread allows (1/{scale['to']})",
                     *[percent(1 / f["scale"]["to"]) for f in r["modes"].values()]])
    failure = next(iter(r["modes"].values()))["failure"]
    rows.append([f"clients on the replica that is stopped (one of {failure['of'] if failure else '–'})",
                 *[percent(f["failure"]["victim_share"]) if f["failure"] else "–" for f in r["modes"].values()]])
    rows.append(["moved when it stops (all clients)",
                 *[percent(f["failure"]["moved"]) if f["failure"] else "–" for f in r["modes"].values()]])
    rows.append(["… of the clients not on the stopped replica",
                 *[percent(f["failure"]["survivors_moved"]) if f["failure"] else "–" for f in r["modes"].values()]])
    lines.append(table(header, rows))
    return "\n".join(lines)


def charts_section(charts: list[tuple[str, str]]) -> str:
    lines = ["## Charts", ""]
    for title, path in charts:
        lines += [f"![{title}]({path})", ""]
    return "\n".join(lines).rstrip()


def render(results: dict, charts: list[tuple[str, str]] | None = None) -> str:
    header = [
        "# Benchmarks",
        "",
        f"Measured by `ops/bench` on {results['date']} ({results['plan']} run, {results['seconds'] / 60:.1f} "
        "minutes): every figure below comes from that one run on the machine described here. "
        "`ops/bench --write` regenerates this file and its charts; nothing in it is typed by hand.",
        "",
        machine_section(results),
    ]
    sections = [
        "\n".join(header),
        claims_section(results),
        ratios_section(results),
        portal_section(results),
        gate_section(results),
        sessions_section(results),
        startup_section(results),
        analytics_section(results),
        routing_section(results),
    ]
    if charts:
        sections.append(charts_section(charts))
    return "\n\n".join(sections) + "\n"
