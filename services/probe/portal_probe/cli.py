"""Command line: `check SERVICE` for the Docker healthcheck, `report SERVICE` for load snapshots,
and for a streamlit replica as ops/scale drains it: `sessions` (the partner sessions it holds
now), `drain DEADLINE` and `kept` (portal_probe.replica)."""

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from portal_probe import replica
from portal_probe.cgroup import DEFAULT_ROOT, CgroupError
from portal_probe.health import run_check
from portal_probe.processes import ProcessRecord, read_process_table
from portal_probe.report import STREAMLIT_PORT, Reporter, count_established, read_tcp_connections, run_report_loop
from portal_probe.settings import SERVICES, Settings, SettingsError

EXIT_OK, EXIT_FAIL = 0, 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m portal_probe", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="exit 0 when the service is healthy, 1 with a reason when not")
    check.add_argument("service", choices=SERVICES)
    report = commands.add_parser("report", help="write a JSON load snapshot every PROBE_INTERVAL seconds")
    report.add_argument("service", choices=SERVICES)
    report.add_argument("--once", action="store_true", help="print one snapshot to stdout and exit")
    commands.add_parser("sessions", help="print how many sessions this streamlit replica holds now")
    drain = commands.add_parser("drain", help="take no new partners; print the moment this replica will be stopped")
    drain.add_argument("deadline", type=int, help="Unix time; an earlier deadline already set stays")
    commands.add_parser("kept", help="take new partners again after a drain")
    return parser.parse_args(argv)


def main(
    argv: list[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    read_table: Callable[[], list[ProcessRecord]] = read_process_table,
    cgroup_root: Path = DEFAULT_ROOT,
) -> int:
    args = parse_args(argv)
    if args.command == "sessions":
        # Counted as the snapshots count them, without waiting for a CPU window.
        print(count_established(read_tcp_connections(), local_port=STREAMLIT_PORT))
        return EXIT_OK
    if args.command == "drain":
        print(int(replica.mark_draining(args.deadline, replica.DRAIN_FILE)))
        return EXIT_OK
    if args.command == "kept":
        replica.mark_kept(replica.DRAIN_FILE)
        return EXIT_OK
    try:
        settings = Settings.from_env(environ)
        if args.command == "check":
            result = run_check(args.service, settings, read_table(), cgroup_root)
            print(result.line, file=sys.stdout if result.ok else sys.stderr)
            return EXIT_OK if result.ok else EXIT_FAIL
        reporter = Reporter(args.service, settings, read_table, cgroup_root)
        if args.once:
            print(json.dumps(reporter.snapshot(), indent=2))
            return EXIT_OK
        run_report_loop(reporter, settings.report_dir, settings.interval_s)
    except KeyboardInterrupt:
        return EXIT_OK
    except (SettingsError, CgroupError) as error:
        print(f"fail: {args.service}: {error}", file=sys.stderr)
        return EXIT_FAIL
    except Exception as error:  # the healthcheck log shows one line, never a traceback
        print(f"fail: {args.service}: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        return EXIT_FAIL
