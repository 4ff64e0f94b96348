from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self):
        from . import access  # noqa: F401  connects the cache invalidation receivers
