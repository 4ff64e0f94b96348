from pathlib import Path

from django import forms
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from . import ingest
from .models import Dataset


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("File"))
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Leave empty to use the file's name."),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    def __init__(self, *args, partner, **kwargs):
        super().__init__(*args, **kwargs)
        self.partner = partner
        self.fields["file"].help_text = gettext(
            "CSV or TSV (UTF-8, or CP949/EUC-KR as Korean Excel saves it), or Parquet. Up to {mb} MB."
        ).format(mb=settings.UPLOAD_MAX_MB)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload is None:
            return cleaned
        name = cleaned.get("name", "").strip() or Path(upload.name).stem[:200]
        if Dataset.objects.filter(partner_id=self.partner.id, name=name).exists():
            taken = gettext("You already have a dataset named “{name}”. Choose another name or delete that one first.")
            self.add_error("name", taken.format(name=name))
        cleaned["name"] = name
        try:
            # Uploads always spool to disk (FILE_UPLOAD_HANDLERS): the reader takes the path.
            cleaned["layout"] = ingest.inspect(upload.temporary_file_path())
        except ingest.IngestError as error:
            self.add_error("file", str(error))
        return cleaned
