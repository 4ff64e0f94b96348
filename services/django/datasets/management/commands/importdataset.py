from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from datasets import ingest
from datasets.models import Dataset
from partners.models import Partner


class Command(BaseCommand):
    help = "Imports a CSV, TSV or Parquet file as a dataset of a partner, checked like an upload."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", required=True)
        parser.add_argument("--description", default="")
        parser.add_argument("--replace", action="store_true", help="Replace the data of the dataset with this name")

    def handle(self, *args, slug, file, name, description, replace, **options):
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            raise CommandError(f"No partner {slug!r}; create it with createpartner.")
        existing = Dataset.objects.filter(partner=partner, name=name).first()
        if existing and not replace:
            raise CommandError(
                f"Partner {slug} already has a dataset named {name!r}; pass --replace to replace its data."
            )
        if existing and not description:
            description = existing.description
        try:
            layout = ingest.inspect(file)
            dataset = ingest.store(file, layout, partner, name=name, description=description, replacing=existing)
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror or error}") from None
        except ingest.IngestError as error:
            raise CommandError(f"{file}: {error}") from None
        verb = "Replaced" if existing else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {name!r} for {slug}: {layout.rows:,} rows, {len(layout.columns)} columns ({layout.source}), "
                f"stored as {dataset.path}."
            )
        )
