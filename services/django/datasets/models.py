from django.conf import settings
from django.db import models
from django.utils import timezone

from partners.models import Partner


class Dataset(models.Model):
    """One uploaded table, stored as a Parquet file on the datasets volume."""

    # PROTECT: a partner with data is deactivated, not deleted by a stray click in the admin.
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="datasets")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
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

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["partner", "name"], name="dataset_name_unique_per_partner")]

    def __str__(self):
        return self.name

    @property
    def file(self):
        return settings.DATASETS_DIR / self.path
