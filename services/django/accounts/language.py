"""Which language a user reads, decided here for the portal and the analytics alike.

Order: the choice saved on the account (the switcher on every portal page and in the analytics'
sidebar), then the browser's Accept-Language, then PORTAL_LANGUAGE (settings.LANGUAGE_CODE).
The saved choice is cached per user: every request and every analytics rerun asks for it.
"""
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.translation.trans_real import get_supported_language_variant, parse_accept_lang_header

from .models import Preferences

CODES = [code for code, _ in settings.LANGUAGES]
# Bounded only against a value cached by a request racing an invalidation.
TIMEOUT = 3600


def _key(user_id):
    return f"accounts:language:{user_id}"


def saved_language(user):
    """The language this user chose, or None."""
    if not user.is_authenticated:
        return None
    key = _key(user.pk)
    language = cache.get(key)
    if language is None:
        language = Preferences.objects.filter(user_id=user.pk).values_list("language", flat=True).first() or ""
        cache.set(key, language, TIMEOUT)
    return language or None


def save_language(user, language):
    Preferences.objects.update_or_create(user=user, defaults={"language": language})


def from_accept_language(header):
    """The first of our languages the header asks for, or None."""
    for accepted, _ in parse_accept_lang_header(header or ""):
        if accepted == "*":
            break
        try:
            return get_supported_language_variant(accepted)
        except LookupError:
            continue
    return None


def for_user(user, accept_language=""):
    """A user's language where there is no browser request (the analytics ask by ticket)."""
    return saved_language(user) or from_accept_language(accept_language) or settings.LANGUAGE_CODE


class PreferredLanguageMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware (language cookie, then Accept-Language, then LANGUAGE_CODE), with
    the choice saved on the account first. After AuthenticationMiddleware: it needs the user."""

    def process_request(self, request):
        language = saved_language(request.user) or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


@receiver([post_save, post_delete], sender=Preferences)
def _forget(sender, instance, **kwargs):
    transaction.on_commit(lambda: cache.delete(_key(instance.user_id)))


@receiver(user_logged_in)
def _keep_choice_made_before_sign_in(sender, request, user, **kwargs):
    """A language picked on the login page (a cookie) becomes the account's, so the analytics,
    which never see the portal's cookies, agree with the portal."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) if request is not None else None
    if chosen in CODES and saved_language(user) is None:
        save_language(user, chosen)
