from django.urls import path

from ..views import reconciliation as views

urlpatterns = [
    path("reconciliation/", views.run_list, name="run_list"),
    path("discrepancies/", views.discrepancy_list, name="discrepancy_list"),
]
