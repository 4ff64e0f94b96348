from django.core.management.base import BaseCommand

from partners.management.named import partner_named


class Command(BaseCommand):
    help = (
        "Makes a partner's people set up a second factor (an authenticator app) to sign in, or, "
        "with --off, leaves it to each of them. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--off", action="store_true", help="No longer require it")

    def handle(self, *args, slug, off, **options):
        partner = partner_named(slug)
        partner.require_mfa = not off
        partner.save()  # save(), not update(): the signal drops the cached partner
        state = "optional" if off else "required"
        self.stdout.write(self.style.SUCCESS(f"A second factor is now {state} for the people of {slug}."))
