from django.urls import path

from ..views import proposals
from ..views import reconciliation as views

urlpatterns = [
    path("reconciliation/", views.run_list, name="run_list"),
    path("reconciliation/start/", views.run_start, name="run_start"),
    path("reconciliation/progress/", views.run_progress, name="run_progress"),
    path("reconciliation/<int:pk>/", views.run_detail, name="run_detail"),
    path("reconciliation/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("reconciliation/<int:pk>/report/", views.report_issue, name="report_issue"),
    path("discrepancies/", views.discrepancy_list, name="discrepancy_list"),
    path("discrepancies/bulk/", views.discrepancy_bulk, name="discrepancy_bulk"),
    path("discrepancies/export/", views.discrepancy_export, name="discrepancy_export"),
    path("discrepancies/report-back/", views.discrepancy_report_back, name="discrepancy_report_back"),
    path("discrepancies/<int:pk>/", views.discrepancy_detail, name="discrepancy_detail"),
    path("discrepancies/<int:pk>/resolve/", views.discrepancy_resolve, name="discrepancy_resolve"),
    path("discrepancies/propose/", proposals.proposal_create, name="proposal_create"),
    path("register-changes/", proposals.proposal_list, name="proposal_list"),
    path("register-changes/<int:pk>/", proposals.proposal_detail, name="proposal_detail"),
    path("register-changes/<int:pk>/confirm/", proposals.proposal_confirm, name="proposal_confirm"),
    path("register-changes/<int:pk>/refuse/", proposals.proposal_refuse, name="proposal_refuse"),
    path("register-changes/<int:pk>/withdraw/", proposals.proposal_withdraw, name="proposal_withdraw"),
]
