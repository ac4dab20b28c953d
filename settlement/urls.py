from django.urls import path

from . import views

app_name = "settlement"
urlpatterns = [
    path("batches/", views.batch_list, name="batch_list"),
    path("batches/upload/", views.batch_upload, name="batch_upload"),
    path("batches/<int:pk>/", views.batch_detail, name="batch_detail"),
    path("batches/<int:pk>/claims/<int:claim_id>/", views.claim_detail, name="claim_detail"),
    path("batches/<int:pk>/errors.csv", views.batch_error_report, name="batch_error_report"),
    path("batches/<int:pk>/file", views.batch_file, name="batch_file"),
]
