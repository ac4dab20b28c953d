from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/export/", views.problem_export, name="problem_export"),
    path("problems/<int:pk>/", views.problem_detail, name="problem_detail"),
    path("problems/<int:pk>/assign/", views.problem_assign, name="problem_assign"),
    path("problems/<int:pk>/deadline/", views.problem_deadline, name="problem_deadline"),
    path("problems/<int:pk>/rectify/", views.problem_rectify, name="problem_rectify"),
    path("problems/<int:pk>/close/", views.problem_close, name="problem_close"),
    path("problems/<int:pk>/reopen/", views.problem_reopen, name="problem_reopen"),
]
