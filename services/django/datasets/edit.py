"""The form that renames a dataset and edits its description; the stored file stays as it is."""
from django import forms
from django.utils.translation import gettext_lazy

from .models import Dataset

# Worded as the upload's own check.
TAKEN = gettext_lazy("You already have a dataset named “{name}”.")


class EditForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=Dataset._meta.get_field("name").max_length)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, dataset, **kwargs):
        super().__init__(*args, **kwargs)
        self.dataset = dataset

    def clean_name(self):
        name = self.cleaned_data["name"]
        others = Dataset.objects.filter(partner_id=self.dataset.partner_id, name=name).exclude(pk=self.dataset.pk)
        if others.exists():
            raise forms.ValidationError(TAKEN.format(name=name))
        return name
