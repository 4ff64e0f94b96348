from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class PortalSession(AbstractBaseSession):
    """Django's database session, plus the ticket the analytics know it by (accounts.sessions)."""

    ticket = models.CharField(max_length=64, unique=True, null=True)
    # The last request that used the session (seconds since the epoch). A column of its own,
    # written with an UPDATE: rewriting the session's data for it could undo a change that
    # another request of the same session saved meanwhile (staff switching partner).
    seen_at = models.FloatField(null=True)

    @classmethod
    def get_session_store_class(cls):
        from .sessions import SessionStore

        return SessionStore


class LoginAttempt(models.Model):
    """One password check, reserved before it is made, or one password reset asked for
    (accounts.lockout). It counts against its username and its client address until it is
    LOGIN_LOCKOUT_SECONDS old."""

    username = models.TextField(
        blank=True, help_text="Case-folded; empty when none was given, or once that username logged in"
    )
    address = models.CharField(max_length=45, help_text="The client address nginx saw")
    at = models.FloatField(help_text="Seconds since the epoch")

    class Meta:
        indexes = [
            models.Index(fields=["username", "at"], name="login_attempt_username_at"),
            models.Index(fields=["address", "at"], name="login_attempt_address_at"),
            models.Index(fields=["at"], name="login_attempt_at"),  # pruning
        ]

    def __str__(self):
        return f"{self.username or '-'} from {self.address} at {self.at:.0f}"


class Preferences(models.Model):
    """What a user chose for themselves; today the language both the portal and the analytics use."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preferences")
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)

    def __str__(self):
        return f"{self.user} ({self.language})"
