from django.db import models


class LoadSample(models.Model):
    """One container's load at one time: a probe snapshot, or once thinned, the mean of several.

    `recordload` stores the snapshots and thins them as they age (see `history.py`).
    """

    time = models.DateTimeField(help_text="When the probe took the snapshot; the period's start once thinned")
    container = models.CharField(max_length=200)
    service = models.CharField(max_length=50)
    healthy = models.BooleanField(help_text="The healthcheck passed; once thinned, in every sample of the period")
    cpu_percent = models.FloatField(help_text="Of the container's CPU quota, or of the host's cores without one")
    memory_bytes = models.BigIntegerField(null=True, help_text="Working set")
    memory_limit_bytes = models.BigIntegerField(null=True, help_text="None: no limit")
    # Means of thinned rows are fractional.
    sessions = models.FloatField(null=True, help_text="Streamlit's open websockets; None for other services")
    connections = models.FloatField(null=True, help_text="Established TCP connections")
    samples = models.PositiveIntegerField(default=1, help_text="Snapshots this row stands for")
    period_s = models.PositiveIntegerField(default=0, help_text="0: one snapshot; else the seconds averaged")

    class Meta:
        constraints = [
            # A snapshot file is read every pass until the next one replaces it: store it once.
            models.UniqueConstraint(fields=["container", "time"], name="load_sample_once_per_container_time"),
        ]
        indexes = [
            models.Index(fields=["time"], name="load_sample_time"),  # the page's last 24 hours
            models.Index(fields=["period_s", "time"], name="load_sample_period_time"),  # thinning finds new rows
        ]

    def __str__(self):
        return f"{self.container} at {self.time:%Y-%m-%d %H:%M:%S}"
