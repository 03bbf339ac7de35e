from django.urls import path

from reunify.portal import staff_views, views

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/invitation/<str:token>/", views.invitation_accept, name="portal_invitation"),
    path("portal/security/", views.portal_security, name="portal_security"),
    path(
        "portal/security/turn-on/",
        views.portal_security_turn_on,
        name="portal_security_turn_on",
    ),
    path("portal/security/enrol/", views.portal_security_enrol, name="portal_security_enrol"),
    path(
        "portal/security/turn-off/",
        views.portal_security_turn_off,
        name="portal_security_turn_off",
    ),
    path(
        "portal/security/recovery-codes/",
        views.portal_security_recovery_codes,
        name="portal_security_recovery_codes",
    ),
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
    # The staff side, reached from the case page.
    path(
        "cases/<int:case_id>/parties/<int:party_id>/invite/",
        staff_views.invitation_new,
        name="invitation_new",
    ),
    path(
        "cases/<int:case_id>/parties/<int:party_id>/portal-access/revoke/",
        staff_views.portal_revoke,
        name="portal_revoke",
    ),
    path(
        "cases/<int:case_id>/parties/<int:party_id>/messages/",
        staff_views.conversation,
        name="disclosure_conversation",
    ),
]
