from django.core.management.base import BaseCommand

from accounts import second_factor
from partners import people
from partners.management.named import user_named


class Command(BaseCommand):
    help = (
        "Removes USERNAME's authenticator and recovery codes (a lost phone): they sign in with "
        "their password and set up a new one where a second factor is required. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = user_named(username)
        if not second_factor.has_device(user):
            self.stdout.write(f"{username} has no second factor.")
            return
        people.reset_second_factor(user)
        self.stdout.write(self.style.SUCCESS(f"The second factor of {username} is reset."))
