from django import forms
from django.utils.translation import gettext_lazy

from .models import Partner


class ActAsForm(forms.Form):
    """Staff pick the partner whose data they see here and in /app/."""

    partner = forms.ModelChoiceField(
        queryset=Partner.objects.all(),
        to_field_name="slug",
        empty_label=gettext_lazy("— choose a partner —"),
        label=gettext_lazy("Partner"),
    )
