import contextlib
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection

from datasets import backups


class Command(BaseCommand):
    help = (
        "Checks a backup archive written by the backup command through and through (its manifest, every "
        "file's sha256 and size, nothing extra or unsafe in it), then makes the database and DATASETS_DIR "
        "the archive's, swapping them in only once all of it has checked out: a damaged or partial archive "
        "changes nothing. The portal must be stopped (ops/restore runs this in a throwaway container of "
        "the image). Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="The archive to read, or - for standard input")
        parser.add_argument("--check", action="store_true", help="Only check the archive; change nothing")
        parser.add_argument("--name", help="What to call the archive in messages (default: ARCHIVE)")

    def handle(self, *args, archive, check, name, **options):
        # Lines like the ops/ scripts' own, which pass them on: no colours.
        self.stderr.style_func = None
        name = name or archive
        try:
            with self.open(archive) as stream:
                if check:
                    manifest = backups.read_archive(stream)
                    project = f" of project {manifest['project']}" if manifest["project"] else ""
                    self.say(f"{name} checks out: a backup{project} made {manifest['created']}")
                    self.say(backups.describe(manifest))
                else:
                    manifest = backups.restore(stream, connection.settings_dict["NAME"], settings.DATASETS_DIR)
                    self.say(f"restored {backups.describe(manifest)}")
        except backups.ArchiveError as error:
            self.fail(f"{name} is refused: {error}")
        except OSError as error:
            self.fail(error)

    def open(self, archive):
        return contextlib.nullcontext(sys.stdin.buffer) if archive == "-" else Path(archive).open("rb")

    def say(self, message):
        self.stderr.write(f"==> {message}")

    def fail(self, message):
        self.stderr.write(f"error: {message}")
        sys.exit(1)
