from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts import second_factor
from partners import people


class Command(BaseCommand):
    help = (
        "Removes USERNAME's authenticator and recovery codes (a lost phone): they sign in with "
        "their password and set up a new one where a second factor is required. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}.")
        if not second_factor.has_device(user):
            self.stdout.write(f"{username} has no second factor.")
            return
        people.reset_second_factor(user)
        self.stdout.write(self.style.SUCCESS(f"The second factor of {username} is reset."))
