from django.conf import settings
from django.core.management.base import BaseCommand

from audit import trail


class Command(BaseCommand):
    help = "Removes audit events older than AUDIT_RETENTION_DAYS. Safe to run twice."

    def handle(self, *args, **options):
        removed = trail.prune()
        self.stdout.write(f"Removed {removed} audit event(s) older than {settings.AUDIT_RETENTION_DAYS} days.")
