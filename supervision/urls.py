from django.urls import path

from . import views

app_name = "supervision"
urlpatterns = [
    path("problems/", views.problem_list, name="problem_list"),
    path("problems/<int:pk>/", views.problem_detail, name="problem_detail"),
]
