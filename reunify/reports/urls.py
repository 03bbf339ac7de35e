from django.urls import path

from reunify.reports import views

urlpatterns = [
    path("cases/<int:case_id>/reports/new/", views.report_new, name="report_new"),
    path("cases/<int:case_id>/reports/preview/", views.report_preview, name="report_preview"),
    path("reports/<int:report_id>/pdf/", views.report_download, name="report_download"),
    path("notices/<int:notice_id>/pdf/", views.notice_download, name="notice_download"),
    path(
        "portal/parties/<int:party_id>/reports/<int:report_id>/pdf/",
        views.portal_report_download,
        name="portal_report_download",
    ),
    path("verify", views.verify, name="verify"),
    path("dashboard/", views.dashboard, name="dashboard"),
]
