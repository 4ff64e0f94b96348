from django.conf import settings
from django.db import models
from django.utils.translation import gettext, gettext_lazy, ngettext


class Event(models.Model):
    """One thing somebody did, kept for AUDIT_RETENTION_DAYS (audit.trail). Rows are only ever
    added, and removed by age: nothing in the web or the admin edits or deletes one."""

    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOCKED_OUT = "locked_out"
    LOGOUT = "logout"
    FACTOR_VERIFIED = "factor_verified"
    FACTOR_FAILED = "factor_failed"
    RECOVERY_CODE_USED = "recovery_code_used"
    FACTOR_ENROLLED = "factor_enrolled"
    RECOVERY_CODES_NEW = "recovery_codes_new"
    FACTOR_RESET = "factor_reset"
    PASSWORD_CHANGED = "password_changed"
    PASSWORD_SET = "password_set"
    INVITED = "invited"
    LINK_MADE = "link_made"
    ROLE_CHANGED = "role_changed"
    DEACTIVATED = "deactivated"
    REACTIVATED = "reactivated"
    DATASET_UPLOADED = "dataset_uploaded"
    DATASET_NEW_VERSION = "dataset_new_version"
    DATASET_RENAMED = "dataset_renamed"
    DATASET_DELETED = "dataset_deleted"
    DATASET_DOWNLOADED = "dataset_downloaded"
    DATASET_OPENED = "dataset_opened"
    ANALYTICS_EXPORT = "analytics_export"
    ADMIN_CHANGE = "admin_change"
    ACTED_AS = "acted_as"
    ACTIONS = [
        (LOGIN, gettext_lazy("signed in (password)")),
        (LOGIN_FAILED, gettext_lazy("failed sign-in")),
        (LOCKED_OUT, gettext_lazy("sign-in refused: locked out")),
        (LOGOUT, gettext_lazy("signed out")),
        (FACTOR_VERIFIED, gettext_lazy("second factor: code accepted")),
        (FACTOR_FAILED, gettext_lazy("second factor: wrong code")),
        (RECOVERY_CODE_USED, gettext_lazy("second factor: recovery code used")),
        (FACTOR_ENROLLED, gettext_lazy("second factor: authenticator set up")),
        (RECOVERY_CODES_NEW, gettext_lazy("second factor: new recovery codes")),
        (FACTOR_RESET, gettext_lazy("second factor: reset")),
        (PASSWORD_CHANGED, gettext_lazy("password changed")),
        (PASSWORD_SET, gettext_lazy("password set through a link")),
        (INVITED, gettext_lazy("invited")),
        (LINK_MADE, gettext_lazy("password link made")),
        (ROLE_CHANGED, gettext_lazy("role changed")),
        (DEACTIVATED, gettext_lazy("deactivated")),
        (REACTIVATED, gettext_lazy("activated again")),
        (DATASET_UPLOADED, gettext_lazy("dataset uploaded")),
        (DATASET_NEW_VERSION, gettext_lazy("dataset: new version uploaded")),
        (DATASET_RENAMED, gettext_lazy("dataset renamed")),
        (DATASET_DELETED, gettext_lazy("dataset deleted")),
        (DATASET_DOWNLOADED, gettext_lazy("dataset downloaded")),
        (DATASET_OPENED, gettext_lazy("dataset opened in the analytics")),
        (ANALYTICS_EXPORT, gettext_lazy("exported from the analytics")),
        (ADMIN_CHANGE, gettext_lazy("changed in the admin")),
        (ACTED_AS, gettext_lazy("staff: acts as this partner")),
    ]

    at = models.DateTimeField(db_index=True)
    action = models.CharField(max_length=32, choices=ACTIONS)
    # The names are kept as text too: the trail outlives a deleted user or partner.
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    actor_name = models.CharField(max_length=150, blank=True, help_text="Empty for a management command")
    partner = models.ForeignKey("partners.Partner", on_delete=models.SET_NULL, null=True, related_name="+")
    partner_name = models.CharField(max_length=200, blank=True)
    address = models.CharField(max_length=45, blank=True, help_text="The client address nginx saw")
    target = models.CharField(max_length=300, blank=True, help_text="Whom or what it was done to")
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["partner", "-at"], name="audit_event_partner_at")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_name or '-'} {self.action} {self.target}"

    def detail_display(self):
        """The detail in the reader's language: it is stored as a code word, a number or a name."""
        from partners.models import Membership

        if self.action in (self.INVITED, self.ROLE_CHANGED):
            return str(dict(Membership.ROLES).get(self.detail, self.detail))
        if self.action == self.RECOVERY_CODE_USED and self.detail.isdigit():
            left = int(self.detail)
            return ngettext("%(count)d recovery code left", "%(count)d recovery codes left", left) % {"count": left}
        if self.action == self.DATASET_RENAMED:
            return gettext("formerly {name}").format(name=self.detail)
        return self.detail
