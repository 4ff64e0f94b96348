from django.conf import settings
from django.db import models
from django.utils import timezone

from partners.models import Partner


class StoredFile(models.Model):
    """What describes one stored Parquet file: a dataset's current file, or an earlier one it keeps."""

    # A new file name for every upload, so readers of the previous file are never disturbed.
    path = models.CharField(max_length=255, unique=True, help_text="Relative to DATASETS_DIR")
    rows = models.PositiveBigIntegerField()
    columns = models.JSONField(help_text='The columns in file order: [{"name": ..., "type": ...}]')
    size_bytes = models.PositiveBigIntegerField(help_text="Size of the stored Parquet file")
    sha256 = models.CharField(max_length=64, help_text="Checksum of the stored file; Streamlit's cache version")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    number = models.PositiveIntegerField(
        default=1, help_text="Version number: 1 for the first file, then one more each"
    )

    # The fields above, which move with the file when a version is kept or restored.
    FILE_FIELDS = ("path", "rows", "columns", "size_bytes", "sha256", "uploaded_by_id", "uploaded_at", "number")

    class Meta:
        abstract = True

    @property
    def file(self):
        return settings.DATASETS_DIR / self.path


class Dataset(StoredFile):
    """One uploaded table, stored as a Parquet file on the datasets volume."""

    # PROTECT: a partner with data is deactivated, not deleted by a stray click in the admin.
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="dataset_name_unique_per_partner")]

    def __str__(self):
        return self.name


class DatasetVersion(StoredFile):
    """An earlier file of a dataset, kept so that the partner can download or restore it.
    DATASET_VERSIONS_KEPT of them are kept per dataset, those replaced last (datasets.versions)."""

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="versions")
    replaced_at = models.DateTimeField(default=timezone.now, help_text="When it stopped being the current file")

    class Meta:
        ordering = ["-replaced_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["dataset", "number"], name="dataset_version_number_unique")]

    def __str__(self):
        return f"{self.dataset} v{self.number}"
