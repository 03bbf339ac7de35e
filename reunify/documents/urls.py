from django.urls import path

from reunify.documents import views

urlpatterns = [
    path("cases/<int:case_id>/documents/new/", views.document_new, name="document_new"),
    path(
        "documents/<int:document_id>/download/",
        views.document_download,
        name="document_download",
    ),
]
