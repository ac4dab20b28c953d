from django.urls import path

from ..views import applications as views

urlpatterns = [
    path("applications/", views.application_list, name="application_list"),
    path("applications/export.csv", views.application_export, name="application_export"),
    path("applications/new/", views.application_create, name="application_create"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path("applications/<int:pk>/materials/", views.application_materials, name="application_materials"),
    path("applications/<int:pk>/roster/", views.application_roster, name="application_roster"),
    path("applications/<int:pk>/roster/<int:upload_pk>/file", views.application_roster_file,
         name="application_roster_file"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/notice/", views.application_notice, name="application_notice"),
    path("applications/<int:pk>/resubmit/", views.application_resubmit, name="application_resubmit"),
    path("applications/<int:pk>/review/", views.application_review, name="application_review"),
    path("applications/<int:pk>/approve/", views.application_approve, name="application_approve"),
    path("applications/<int:pk>/reject/", views.application_reject, name="application_reject"),
    path("applications/<int:pk>/register/", views.application_register, name="application_register"),
    path("applications/<int:pk>/letters/<int:letter_pk>.pdf", views.application_letter, name="application_letter"),
]
