"""A partner's people, managed by its admins in the portal and by ops with management commands:
both go through these functions, so both refuse the same things with the same words.

An invitee is an active user without a usable password: nobody can log in as them until they
set one through their link (accounts.links). Deactivating a user ends their sessions at their
next request (Django no longer authenticates them) and makes their links do nothing.

Each change is an audit event: made in the portal, it names who did it and from where (the
request being served); made by a command, it names nobody.
"""
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy

from accounts import second_factor
from audit.models import Event
from audit.trail import record

from .models import Membership

USERNAME_TAKEN = gettext_lazy("The username %(username)s is already taken. Choose another one.")
EMAIL_TAKEN = gettext_lazy("Somebody already uses the e-mail address %(email)s.")


def check_new(username, email):
    """Raises ValidationError (with the field at fault) when these cannot be a new user's."""
    User = get_user_model()
    # ASCII only: the username travels to Streamlit in an HTTP header.
    try:
        ASCIIUsernameValidator()(username)
    except ValidationError as error:
        raise ValidationError({"username": error}) from None
    if email:
        try:
            validate_email(email)
        except ValidationError as error:
            raise ValidationError({"email": error}) from None
    # Case-insensitive: the lockout counts kim and Kim as one.
    if User.objects.filter(username__iexact=username).exists():
        raise _taken(username)
    if email and User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": ValidationError(EMAIL_TAKEN, code="taken", params={"email": email})})


def _taken(username):
    return ValidationError({"username": ValidationError(USERNAME_TAKEN, code="taken", params={"username": username})})


def invite(partner, username, email="", role=Membership.MEMBER):
    """Creates a user of the partner who has no password yet; the caller hands out their link."""
    check_new(username, email)
    user = get_user_model()(username=username, email=email)
    user.set_unusable_password()
    try:
        with transaction.atomic():
            user.save()
            Membership.objects.create(user=user, partner=partner, role=role)
    except IntegrityError:
        # The same username taken by another request between the check and the save.
        raise _taken(username) from None
    record(Event.INVITED, partner=partner, target=username, detail=role)
    return user


def set_active(user, active):
    """Deactivates the user (their sessions end at their next request), or activates them again."""
    user.is_active = active
    user.save(update_fields=["is_active"])
    record(Event.REACTIVATED if active else Event.DEACTIVATED, partner=_partner(user), target=user.get_username())


def set_role(membership, role):
    membership.role = role
    membership.save()  # save(), not update(): the signal drops the cached role
    record(Event.ROLE_CHANGED, partner=membership.partner, target=membership.user.get_username(), detail=role)


def reset_second_factor(user):
    """Removes the user's authenticator and recovery codes (a lost phone): they sign in with the
    password and, where a factor is required, set up a new one at once."""
    second_factor.reset(user)
    record(Event.FACTOR_RESET, partner=_partner(user), target=user.get_username())


def link_made(user):
    """An invitation or reset link was made for the user (the link itself is never recorded)."""
    record(Event.LINK_MADE, partner=_partner(user), target=user.get_username())


def _partner(user):
    membership = Membership.objects.filter(user=user).select_related("partner").first()
    return membership.partner if membership else None
