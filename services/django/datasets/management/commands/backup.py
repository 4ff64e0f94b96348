import contextlib
import sys
from pathlib import Path

from django.core.management.base import BaseCommand

from datasets import backups


class Command(BaseCommand):
    help = (
        "Writes a backup archive of the running portal: an online copy of the database, every file in "
        "DATASETS_DIR and a manifest with each file's sha256 and size. Partners keep working meanwhile. "
        "Messages go to standard error, so the archive can go to standard output (ops/backup streams it "
        "out of the container that way, then reads it back with restore --check)."
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="The file to write (it must not exist yet), or - for standard output")
        parser.add_argument("--project", default="", help="Which installation this is, for the manifest")

    def handle(self, *args, output, project, **options):
        # Lines like the ops/ scripts' own, which pass them on: no colours.
        self.stderr.style_func = None
        try:
            with self.open(output) as out:
                backups.write_backup(out, project, self.say)
        except (backups.BackupError, OSError) as error:
            self.stderr.write(f"error: {error}")
            sys.exit(1)

    @contextlib.contextmanager
    def open(self, output):
        if output == "-":
            if sys.stdout.isatty():
                raise backups.BackupError("standard output is a terminal: send the archive to a file or a pipe")
            yield sys.stdout.buffer
            return
        path = Path(output)
        with path.open("xb") as out:
            try:
                yield out
            except BaseException:
                # A failed backup leaves no file that could pass for one.
                path.unlink()
                raise

    def say(self, message):
        self.stderr.write(f"==> {message}")
