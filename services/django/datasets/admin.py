from django.contrib import admin

from .models import Dataset


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "rows", "size_bytes", "uploaded_by", "uploaded_at"]
    list_filter = ["partner"]
    list_select_related = ["partner", "uploaded_by"]
    search_fields = ["name", "description"]
    fields = [
        "partner",
        "name",
        "description",
        "number",
        "path",
        "rows",
        "columns",
        "size_bytes",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]
    # Only the words are editable: the rest describes the stored file.
    readonly_fields = [field for field in fields if field not in ("name", "description")]

    # Files come in through the portal's upload or importdataset, which check and convert them.
    def has_add_permission(self, request):
        return False
