from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class MonitoringConfig(AppConfig):
    name = "monitoring"

    def ready(self):
        # The warning levels are the probe's own (PROBE_MEM_WARN, ...): a malformed one stops the
        # portal at start with the variable's name, like every other setting, not at the first page.
        from portal_probe.advice import Thresholds
        from portal_probe.settings import SettingsError

        try:
            Thresholds.from_env()
        except SettingsError as error:
            raise ImproperlyConfigured(str(error)) from None
