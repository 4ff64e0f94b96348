from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import links
from partners import people
from partners.management.handout import print_link
from partners.management.named import partner_named
from partners.models import Membership


class Command(BaseCommand):
    help = (
        "Invites a user to a partner: creates them without a password and prints a one-time link "
        "that sets one (mailed too when EMAIL_HOST is set and --email given)."
    )

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument("--admin", action="store_true", help="The user also manages the partner's people")
        parser.add_argument("--language", choices=[code for code, _ in settings.LANGUAGES],
                            help="Language of the e-mail (default: PORTAL_LANGUAGE)")

    def handle(self, *args, slug, username, email, admin, language, **options):
        partner = partner_named(slug)
        role = Membership.ADMIN if admin else Membership.MEMBER
        try:
            user = people.invite(partner, username, email, role)
        except ValidationError as error:
            problem = " ".join(error.messages)
            raise CommandError(f"{problem} Nothing was changed; for an existing user, use resetlink.") from None
        self.stdout.write(self.style.SUCCESS(f"Invited {username} to partner {slug} as {role}."))
        print_link(self, user, links.INVITATION, language or settings.LANGUAGE_CODE)
