import argparse
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from monitoring import history
from monitoring.readings import read_folder


def minutes(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Stores the probes' load snapshots (PROBE_REPORT_DIR) as history every PROBE_INTERVAL seconds "
        "and thins the history as it ages. Runs until stopped; --once does one pass and says what it did."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="record and thin once, report, and exit")
        parser.add_argument(
            "--thin-every", type=minutes, default=5, metavar="MINUTES", help="minutes between thinnings (5)"
        )

    def handle(self, *args, once, thin_every, verbosity, **options):
        folder = settings.PROBE_REPORT_DIR
        self.told = set()
        if once:
            self.record(folder, report=True)
            thinned = history.thin(timezone.now())
            self.stdout.write(
                f"Thinned {thinned.merged} row(s) into {thinned.means}; removed {thinned.removed} older than 7 days."
            )
            return
        self.stdout.write(f"Recording load from {folder} every {settings.PROBE_INTERVAL} s.")
        next_thinning = time.monotonic()
        try:
            while True:
                started = time.monotonic()
                try:
                    self.record(folder, report=verbosity > 1)
                    if started >= next_thinning:
                        history.thin(timezone.now())
                        next_thinning = started + thin_every * 60
                except Exception as error:  # one bad pass (a locked database, a full disk) must not end the history
                    self.stderr.write(f"recordload: {type(error).__name__}: {error}")
                finally:
                    # Like a request's end: an idle open connection would hold back SQLite's WAL
                    # checkpoints, and a broken one is replaced on the next pass.
                    close_old_connections()
                time.sleep(max(0.0, settings.PROBE_INTERVAL - (time.monotonic() - started)))
        except KeyboardInterrupt:
            return

    def record(self, folder, report):
        readings, malformed = read_folder(folder)
        recorded = history.record(readings, timezone.now())
        # A bad file stays until its probe replaces it: the loop says so once, not every pass.
        for name, problem in malformed if report else sorted(set(malformed) - self.told):
            self.stderr.write(f"Skipped {name}: unreadable snapshot: {problem}")
        self.told = set(malformed)
        if report:
            for reading in recorded.stale:
                self.stdout.write(f"Skipped {reading.container}: stale, taken {reading.time:%Y-%m-%d %H:%M:%S} UTC")
            self.stdout.write(
                f"Stored {len(recorded.stored)} snapshot(s); {recorded.duplicates} already stored, "
                f"{len(recorded.stale)} stale, {len(malformed)} unreadable."
            )
