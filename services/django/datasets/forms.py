from django import forms
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from .reading import Options

# What the partner calls each kind of column; "decimal" comes only from Parquet files.
KINDS = {
    "text": gettext_lazy("Text"),
    "integer": gettext_lazy("Whole number"),
    "float": gettext_lazy("Number"),
    "date": gettext_lazy("Date"),
    "datetime": gettext_lazy("Date and time"),
    "boolean": gettext_lazy("True/false"),
    "decimal": gettext_lazy("Decimal number"),
}
CHOSEN_KINDS = ["text", "integer", "float", "date", "datetime", "boolean"]


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
            "An Excel workbook (.xlsx, .xls), CSV or TSV (UTF-8, or CP949/EUC-KR as Korean Excel saves it), "
            "or Parquet. Up to {mb} MB. You check how it reads before anything is stored."
        ).format(mb=settings.UPLOAD_MAX_MB)


class PreviewForm(forms.Form):
    """The choices of an upload's preview: which sheet, which row is the header, each column's
    kind, and the dataset's name. A field left out of the POST keeps what the preview showed."""

    sheet = forms.ChoiceField(label=gettext_lazy("Sheet"), required=False)
    header_line = forms.TypedChoiceField(label=gettext_lazy("Header row"), coerce=int, required=False, empty_value=0)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=200, required=False)
    description = forms.CharField(
        label=gettext_lazy("Description"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    as_version = forms.BooleanField(
        label=gettext_lazy("Store it as a new version of my dataset of this name"), required=False
    )

    def __init__(self, data=None, *, waiting):
        layout, findings = waiting.layout, waiting.findings
        initial = {
            "sheet": layout.sheet,
            "header_line": layout.header_line,
            "name": waiting.name,
            "description": waiting.description,
        }
        self.kind_fields = []
        if layout.kind != "parquet":
            for index, (name, kind) in enumerate(layout.columns):
                initial[f"kind_{index}"] = kind
        if data is not None:
            # What the POST leaves out keeps its value in the preview the partner saw.
            data = {**initial, **{key: value for key, value in data.items() if key != "csrfmiddlewaretoken"}}
        super().__init__(data, initial=initial)
        self.waiting = waiting
        self.fields["sheet"].choices = [(sheet, sheet) for sheet in findings.sheets]
        self.fields["header_line"].choices = [(line, line) for line, _ in findings.head]
        if layout.kind != "excel":
            del self.fields["sheet"]
        if layout.kind == "parquet":
            del self.fields["header_line"]
            return
        choices = [(kind, KINDS[kind]) for kind in CHOSEN_KINDS]
        for index, (name, _) in enumerate(layout.columns):
            field = forms.ChoiceField(label=name, choices=choices)
            self.fields[f"kind_{index}"] = field
            self.kind_fields.append(self[f"kind_{index}"])

    def options(self):
        """The Options these choices make. Another sheet starts again from what it holds, and
        another header from its own columns."""
        data, waiting = self.cleaned_data, self.waiting
        layout = waiting.layout
        if layout.kind == "parquet":
            return waiting.options
        sheet = data.get("sheet", "") or layout.sheet
        header_line = data.get("header_line") or layout.header_line
        if sheet != layout.sheet:
            return Options(sheet=sheet)
        if header_line != layout.header_line:
            return Options(sheet=sheet, header_line=header_line)
        found = waiting.findings.found
        kinds = tuple(
            (name, data[f"kind_{index}"])
            for index, (name, _) in enumerate(layout.columns)
            if data[f"kind_{index}"] != found[index]
        )
        return Options(sheet=sheet, header_line=header_line, kinds=kinds)
