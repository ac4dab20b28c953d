from django.urls import path

from ..views import register as views

urlpatterns = [
    path("persons/", views.person_search, name="person_search"),
    path("persons/export/", views.person_search_export, name="person_search_export"),
    path("persons/<int:pk>/", views.person_detail, name="person_detail"),
    path("persons/<int:pk>/id-number/", views.person_reveal_id_number, name="person_reveal_id_number"),
    path("employers/", views.employer_list, name="employer_list"),
    path("employers/pick/", views.employer_pick, name="employer_pick"),
    path("employers/<int:pk>/", views.employer_detail, name="employer_detail"),
    path("employers/<int:pk>/staff/export/", views.employer_staff_export, name="employer_staff_export"),
]
