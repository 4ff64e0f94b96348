from django.core.management.base import BaseCommand

from datasets import files


class Command(BaseCommand):
    help = (
        "Removes what interrupted uploads leave in DATASETS_DIR: temporary files and Parquet files "
        "that no dataset points at; and uploads spooled to the upload folder. Files younger than "
        "--older-than minutes are left alone, so uploads in progress are safe (the container's start "
        "script runs it with 0, before any upload can be in progress)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=60, metavar="MINUTES")
        parser.add_argument("--dry-run", action="store_true", help="Only list what would be removed")

    def handle(self, *args, older_than, dry_run, **options):
        found = files.strays(older_than * 60)
        for path in found:
            if not dry_run:
                path.unlink(missing_ok=True)
            self.stdout.write(f"{'Would remove' if dry_run else 'Removed'} {path}")
        self.stdout.write(f"{len(found)} stray file(s).")
