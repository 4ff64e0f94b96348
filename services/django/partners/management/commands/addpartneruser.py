import getpass
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from partners.management.named import partner_named
from partners.models import Membership


class Command(BaseCommand):
    help = (
        "Creates a user of a partner. The password comes from the first line of standard input "
        "(--password-stdin) or a prompt. Safe to run twice; change a password with changepassword."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("username")
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input")
        parser.add_argument("--email", default="")

    def handle(self, *args, slug, username, password_stdin, email, **options):
        self.stdin = options.get("stdin", sys.stdin)
        partner = partner_named(slug)
        User = get_user_model()
        user = User.objects.filter(username=username).select_related("membership__partner").first()
        if user is not None:
            self._check_existing(user, partner)
            return
        # ASCII only: the username travels to Streamlit in an HTTP header.
        try:
            ASCIIUsernameValidator()(username)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        user = User(username=username, email=email)
        password = self._password(password_stdin)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from None
        user.set_password(password)
        with transaction.atomic():
            user.save()
            Membership.objects.create(user=user, partner=partner)
        self.stdout.write(self.style.SUCCESS(f"Created user {username} of partner {slug}."))

    def _check_existing(self, user, partner):
        if user.is_staff:
            raise CommandError(f"{user.username} is staff; staff pick a partner in the portal instead.")
        membership = getattr(user, "membership", None)
        if membership is None:
            Membership.objects.create(user=user, partner=partner)
            self.stdout.write(self.style.SUCCESS(f"Added existing user {user.username} to partner {partner.slug}."))
        elif membership.partner_id != partner.id:
            raise CommandError(f"{user.username} already belongs to partner {membership.partner.slug}.")
        else:
            self.stdout.write(f"{user.username} is already a user of {partner.slug}; the password is unchanged.")

    def _password(self, from_stdin):
        if from_stdin:
            password = self.stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError("No password on standard input.")
            return password
        if not (hasattr(self.stdin, "isatty") and self.stdin.isatty()):
            raise CommandError("No terminal to ask for the password: use --password-stdin.")
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return password
