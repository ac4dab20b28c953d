from django.urls import path

from . import views

app_name = "eligibility"

urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("registrations/", views.registration_list, name="registration_list"),
    path("registrations/<int:pk>/", views.registration_detail, name="registration_detail"),
    path("registrations/<int:pk>/revoke/", views.registration_revoke, name="registration_revoke"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("policies/", views.policies, name="policies"),
]
