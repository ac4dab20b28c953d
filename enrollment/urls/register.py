from django.urls import path

from ..views import register as views

urlpatterns = [
    path("persons/", views.person_search, name="person_search"),
    path("employers/", views.employer_list, name="employer_list"),
]
