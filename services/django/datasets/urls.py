from django.urls import path

from . import views

urlpatterns = [
    path("upload/", views.upload, name="dataset_upload"),
    path("<int:pk>/", views.detail, name="dataset_detail"),
    path("<int:pk>/download/", views.download, name="dataset_download"),
    path("<int:pk>/delete/", views.delete, name="dataset_delete"),
]
