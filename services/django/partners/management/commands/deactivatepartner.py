from django.core.management.base import BaseCommand

from partners.management.named import partner_named


class Command(BaseCommand):
    help = "Deactivates a partner: its users keep their accounts but reach neither pages nor /app/."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--undo", action="store_true", help="Activate the partner again")

    def handle(self, *args, slug, undo, **options):
        partner = partner_named(slug)
        state = "active" if undo else "inactive"
        if partner.active == undo:
            self.stdout.write(f"Partner {slug} is already {state}.")
            return
        partner.active = undo
        partner.save()  # save(), not update(): the signal drops the cached active flag
        self.stdout.write(self.style.SUCCESS(f"Partner {slug} is now {state}."))
