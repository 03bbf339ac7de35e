from django.urls import path

from reunify.disclosure import views

urlpatterns = [
    path("cases/<int:case_id>/releases/new/", views.release_new, name="release_new"),
    path("releases/<int:release_id>/revoke/", views.release_revoke, name="release_revoke"),
    path("cases/<int:case_id>/restrictions/new/", views.restriction_new, name="restriction_new"),
    path(
        "restrictions/<int:restriction_id>/lift/",
        views.restriction_lift,
        name="restriction_lift",
    ),
    path(
        "cases/<int:case_id>/documents/<int:document_id>/share/",
        views.document_share_new,
        name="document_share_new",
    ),
    path("shares/<int:share_id>/withdraw/", views.share_withdraw, name="share_withdraw"),
    path(
        "documents/<int:document_id>/substance-use/",
        views.document_substance_use,
        name="document_substance_use",
    ),
    path(
        "cases/<int:case_id>/parties/<int:party_id>/disclosures/",
        views.accounting,
        name="disclosure_accounting",
    ),
    path(
        "cases/<int:case_id>/parties/<int:party_id>/disclosures.pdf",
        views.accounting_pdf,
        name="disclosure_accounting_pdf",
    ),
    path("cases/<int:case_id>/disclosures/", views.disclosure_log, name="disclosure_log"),
]
