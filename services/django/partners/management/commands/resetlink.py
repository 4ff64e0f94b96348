from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import links
from accounts.language import saved_language
from partners.management.handout import print_link
from partners.management.named import user_named


class Command(BaseCommand):
    help = (
        "Prints a one-time link that sets a new password for USERNAME (mailed too when EMAIL_HOST "
        "is set and the user has an address). The password stays as it is until the link is used."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        user = user_named(username)
        if not user.is_active:
            raise CommandError(f"{username} is deactivated: a link would do nothing (deactivateuser --undo lets them back).")
        print_link(self, user, links.kind_for(user), saved_language(user) or settings.LANGUAGE_CODE)
