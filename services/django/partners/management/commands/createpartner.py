from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from partners.models import Partner


class Command(BaseCommand):
    help = "Creates a partner, or renames an existing one to NAME. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="Short lowercase id; names the partner's datasets folder")
        parser.add_argument("--name", required=True, help="The partner's display name")

    def handle(self, *args, slug, name, **options):
        partner = Partner.objects.filter(slug=slug).first()
        if partner is None:
            partner = Partner(slug=slug, name=name)
            try:
                partner.full_clean()
            except ValidationError as error:
                problems = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
                raise CommandError("; ".join(problems)) from None
            partner.save()
            self.stdout.write(self.style.SUCCESS(f"Created partner {slug} ({name})."))
        elif partner.name != name:
            partner.name = name
            partner.save()
            self.stdout.write(self.style.SUCCESS(f"Partner {slug} exists; renamed to {name}."))
        else:
            state = "active" if partner.active else "inactive"
            self.stdout.write(f"Partner {slug} ({name}) already exists; it is {state}.")
