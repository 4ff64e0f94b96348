from django.urls import path

from . import uploads, views

urlpatterns = [
    path("upload/", uploads.upload, name="dataset_upload"),
    path("upload/preview/", uploads.preview, name="dataset_preview"),
    path("<int:pk>/", views.detail, name="dataset_detail"),
    path("<int:pk>/download/", views.download, name="dataset_download"),
    path("<int:pk>/edit/", views.edit, name="dataset_edit"),
    path("<int:pk>/versions/<int:number>/download/", views.download_version, name="dataset_version_download"),
    path("<int:pk>/versions/<int:number>/restore/", views.restore_version, name="dataset_version_restore"),
    path("<int:pk>/delete/", views.delete, name="dataset_delete"),
]
