"""One-time links that set a password: an invitation and a password reset are the same link.

A link is Django's own password-reset link: the user's id and a PasswordResetTokenGenerator
token. The token's hash covers the password and the last login, so it stops working once a
password has been set with it; it expires after INVITE_LINK_HOURS (PASSWORD_RESET_TIMEOUT); and
the confirm view (accounts.views) refuses it for a deactivated user. Nothing is stored: a link
lives only in the page, the command's output or the e-mail that carries it.

Mail goes out only when EMAIL_HOST is set. A mail is written in the language given (the
inviter's choice, the user's saved one, PORTAL_LANGUAGE) and says so in Content-Language.
"""
import logging
import smtplib
import threading

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

log = logging.getLogger(__name__)

INVITATION = "invitation"
RESET = "password_reset"


def kind_for(user):
    """An invitee who never chose a password gets an invitation again, anybody else a reset."""
    return RESET if user.has_usable_password() else INVITATION


def path_for(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    return reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})


def base_url(request=None):
    """Where links start: the address this request came to, or PORTAL_URL (may be empty)."""
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    return settings.PORTAL_URL


def link_for(user, request=None):
    return base_url(request) + path_for(user)


def message(user, kind, link, language):
    """The e-mail carrying a link (kind: INVITATION or RESET) to the user, in that language."""
    membership = getattr(user, "membership", None)
    context = {
        "username": user.get_username(),
        "partner": membership.partner.name if membership else "",
        "link": link,
        "hours": settings.INVITE_LINK_HOURS,
    }
    with translation.override(language):
        subject = "".join(render_to_string(f"registration/{kind}_subject.txt", context).splitlines())
        body = render_to_string(f"registration/{kind}_email.txt", context)
    return EmailMessage(subject, body, to=[user.email], headers={"Content-Language": language})


def send(user, kind, link, language):
    """Mails the link when mail is configured and the user has an address; True once the mail
    server took it. A failure is logged and answered False: the caller shows the link instead."""
    if not (settings.EMAIL_ENABLED and user.email):
        return False
    try:
        message(user, kind, link, language).send()
    except (smtplib.SMTPException, OSError):
        log.exception("could not mail the %s link of %s", kind, user.get_username())
        return False
    return True


def send_in_background(user, kind, link, language):
    """Writes and sends the mail without the request waiting: a "forgot password" answer must take
    as long for a known address as for an unknown one. The user comes with their partner already
    read, so the thread needs no database. Not a daemon thread: a worker that is shutting down
    finishes its mails first."""

    def deliver():
        try:
            message(user, kind, link, language).send()
        except (smtplib.SMTPException, OSError):
            log.exception("could not mail the %s link of %s", kind, user.get_username())

    threading.Thread(target=deliver, name="reset-mail").start()
