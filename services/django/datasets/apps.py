from django.apps import AppConfig


class DatasetsConfig(AppConfig):
    name = "datasets"

    def ready(self):
        from . import catalog, files  # noqa: F401  connects their receivers
