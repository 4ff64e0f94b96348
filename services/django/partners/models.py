from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy

# The slug names the partner's folder on the datasets volume and travels to Streamlit in a header.
slug_validator = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$", "Use lowercase letters, digits and single hyphens, e.g. acme-korea."
)


class Partner(models.Model):
    slug = models.CharField(max_length=50, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=200)
    active = models.BooleanField(default=True, help_text="Inactive partners can no longer reach their data.")
    require_mfa = models.BooleanField(
        default=False, help_text="Its people must set up a second factor (an authenticator app) to sign in."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """Ties a user to the one partner whose data they see. Staff need none: they pick a partner.
    A partner's admins also manage its people (partners.people); members see the data only."""

    MEMBER = "member"
    ADMIN = "admin"
    ROLES = [(MEMBER, gettext_lazy("member")), (ADMIN, gettext_lazy("admin"))]

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=ROLES, default=MEMBER)

    def __str__(self):
        return f"{self.user} in {self.partner}"
