from django.core.management.base import BaseCommand, CommandError

from partners import people
from partners.models import Membership


class Command(BaseCommand):
    help = "Makes a user of a partner its admin (who manages its people in the portal) or a member. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("username")
        parser.add_argument("role", choices=[Membership.ADMIN, Membership.MEMBER])

    def handle(self, *args, slug, username, role, **options):
        membership = Membership.objects.filter(user__username=username, partner__slug=slug).first()
        if membership is None:
            raise CommandError(f"{username} is not a user of partner {slug!r}.")
        if membership.role == role:
            self.stdout.write(f"{username} is already {role} of {slug}.")
            return
        people.set_role(membership, role)
        self.stdout.write(self.style.SUCCESS(f"{username} is now {role} of {slug}."))
