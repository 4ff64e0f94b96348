"""What the commands find by the name ops type: a user by username, a partner by slug."""
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from partners.models import Partner


def user_named(username):
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user {username!r}.")
    return user


def partner_named(slug):
    partner = Partner.objects.filter(slug=slug).first()
    if partner is None:
        raise CommandError(f"No partner {slug!r}; createpartner makes one.")
    return partner
