from django import forms

from .models import Partner


class ActAsForm(forms.Form):
    """Staff pick the partner whose data they see here and in /app/."""

    partner = forms.ModelChoiceField(
        queryset=Partner.objects.all(), to_field_name="slug", empty_label="— choose a partner —"
    )
