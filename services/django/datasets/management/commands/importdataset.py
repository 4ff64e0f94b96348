from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from datasets import ingest
from datasets.forms import CHOSEN_KINDS
from datasets.models import Dataset
from datasets.reading import Options
from partners.management.named import partner_named


class Command(BaseCommand):
    help = (
        "Imports a CSV, TSV, Excel or Parquet file as a dataset of a partner, checked like an upload. "
        "With --preview, prints what the upload's preview shows and stores nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("file", type=Path)
        parser.add_argument("--name", required=True)
        parser.add_argument("--description", default="")
        parser.add_argument("--replace", action="store_true", help="Store it as a new version of the dataset with this name")
        parser.add_argument("--sheet", default="", help="The workbook's sheet (default: its first with data)")
        parser.add_argument("--header-row", type=int, default=0, metavar="N",
                            help="The header's line, or a sheet's row as Excel numbers it (default: found)")
        parser.add_argument("--type", action="append", default=[], metavar="COLUMN=KIND", dest="types",
                            help=f"Store this column as KIND ({', '.join(CHOSEN_KINDS)}); repeat for more columns")
        parser.add_argument("--preview", action="store_true", help="Print the columns and first rows; store nothing")

    def handle(self, *args, slug, file, name, description, replace, sheet, header_row, types, preview, **options):
        partner = partner_named(slug)
        existing = Dataset.objects.filter(partner=partner, name=name).first()
        if existing and not replace and not preview:
            raise CommandError(
                f"Partner {slug} already has a dataset named {name!r}; pass --replace to store a new version of it."
            )
        if existing and not description:
            description = existing.description
        chosen = Options(sheet=sheet, header_line=header_row, kinds=_kinds(types))
        try:
            layout, findings = ingest.examine(file, chosen)
            unknown = sorted({column for column, _ in chosen.kinds} - {column for column, _ in layout.columns})
            if unknown:
                raise CommandError(f"{file}: no column named {', '.join(map(repr, unknown))} under the header.")
            if preview:
                self._print_preview(layout, findings)
                return
            dataset = ingest.store(file, layout, partner, name=name, description=description, replacing=existing)
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror or error}") from None
        except ingest.IngestError as error:
            raise CommandError(f"{file}: {error}") from None
        verb = "Stored a new version of" if existing else "Imported"
        self.stdout.write(
            self.style.SUCCESS(
                f"{verb} {name!r} for {slug}: {layout.rows:,} rows, {len(layout.columns)} columns ({layout.source}), "
                f"stored as {dataset.path}."
            )
        )

    def _print_preview(self, layout, findings):
        where = "row" if layout.kind == "excel" else "line"
        self.stdout.write(f"{layout.rows:,} rows ({layout.source}), header at {where} {layout.header_line or '-'}:")
        for index, (column, kind) in enumerate(layout.columns):
            said = f"  {column}: {kind}"
            if column in layout.chosen:
                said += f" (found {findings.found[index]})"
            count, examples = findings.misfits[index]
            if count:
                shown = "; ".join(f"{where} {line}: {value!r}" for line, value in examples)
                said += f", {count:,} values do not fit and would be stored empty ({shown})"
            elif findings.near and findings.near[index]:
                near, count, examples = findings.near[index]
                said += f", all but {count:,} values read as {near} (--type {column}={near})"
            self.stdout.write(said)
        for row in findings.rows:
            self.stdout.write("  | " + " | ".join("" if value is None else str(value) for value in row))


def _kinds(types):
    kinds = []
    for given in types:
        column, _, kind = given.rpartition("=")
        if not column or kind not in CHOSEN_KINDS:
            raise CommandError(f"--type {given!r}: write COLUMN=KIND, KIND one of {', '.join(CHOSEN_KINDS)}.")
        kinds.append((column, kind))
    return tuple(kinds)
