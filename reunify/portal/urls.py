from django.urls import path

from reunify.portal import views

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/invitation/<str:token>/", views.invitation_accept, name="portal_invitation"),
    path("portal/parties/<int:party_id>/", views.party_detail, name="portal_party"),
    path(
        "portal/parties/<int:party_id>/messages/",
        views.message_send,
        name="portal_message_send",
    ),
    path(
        "portal/parties/<int:party_id>/disclosures/",
        views.party_disclosures,
        name="portal_disclosures",
    ),
    path(
        "portal/parties/<int:party_id>/documents/<int:document_id>/download/",
        views.document_download,
        name="portal_document_download",
    ),
]
