from django import forms
from django.conf import settings
from django.contrib.auth.validators import ASCIIUsernameValidator
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy

from . import people
from .models import Membership, Partner


class ActAsForm(forms.Form):
    """Staff pick the partner whose data they see here and in /app/."""

    partner = forms.ModelChoiceField(
        queryset=Partner.objects.all(),
        to_field_name="slug",
        empty_label=gettext_lazy("— choose a partner —"),
        label=gettext_lazy("Partner"),
    )


class InviteForm(forms.Form):
    """A partner's admin invites a colleague: a user without a password, and a link to set one."""

    username = forms.CharField(
        label=gettext_lazy("Username"),
        max_length=150,
        validators=[ASCIIUsernameValidator()],
        help_text=gettext_lazy("Letters, digits and @ . + - _ only; they log in with it."),
    )
    email = forms.EmailField(label=gettext_lazy("E-mail address"), required=False)
    role = forms.ChoiceField(
        label=gettext_lazy("Role"), choices=Membership.ROLES, initial=Membership.MEMBER,
        help_text=gettext_lazy("Admins also manage the people of your partner."),
    )
    language = forms.ChoiceField(label=gettext_lazy("Language of the e-mail"), choices=settings.LANGUAGES)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if settings.EMAIL_ENABLED:
            self.fields["email"].help_text = gettext_lazy("The link goes to this address; without one, you get it to hand over.")
            self.fields["language"].initial = settings.LANGUAGE_CODE
        else:
            # Without a mail server the link is shown here, and an address only names the person.
            del self.fields["language"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                people.check_new(cleaned["username"], cleaned["email"])
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned
