from django.core.management.base import BaseCommand

from partners import people
from partners.management.named import user_named


class Command(BaseCommand):
    help = (
        "Deactivates a user: they can no longer log in, their sessions end at their next request "
        "and their links do nothing. The account and what it uploaded stay."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--undo", action="store_true", help="Activate the user again")

    def handle(self, *args, username, undo, **options):
        user = user_named(username)
        state = "active" if undo else "inactive"
        if user.is_active == undo:
            self.stdout.write(f"{username} is already {state}.")
            return
        people.set_active(user, undo)
        self.stdout.write(self.style.SUCCESS(f"{username} is now {state}."))
