from django.urls import path

from reunify.cases import views
from reunify.cases.sections import SLUGS, url_name

urlpatterns = [
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:case_id>/", views.case_detail, name="case_detail"),
    path("cases/<int:case_id>/looks/", views.case_looks, name="case_looks"),
    *(
        path(f"cases/<int:case_id>/{slug}/", views.case_detail, {"section": slug}, url_name(slug))
        for slug in SLUGS[1:]
    ),
    path("cases/<int:case_id>/co-therapists/", views.co_therapists, name="co_therapists"),
    path(
        "cases/<int:case_id>/co-therapists/<int:user_id>/remove/",
        views.co_therapist_remove,
        name="co_therapist_remove",
    ),
    path("cases/<int:case_id>/parties/new/", views.party_new, name="party_new"),
    path("cases/<int:case_id>/parties/<int:party_id>/edit/", views.party_edit, name="party_edit"),
    path(
        "cases/<int:case_id>/parties/<int:party_id>/protect/",
        views.party_protect,
        name="party_protect",
    ),
    path("cases/<int:case_id>/court-orders/new/", views.court_order_new, name="court_order_new"),
    path(
        "cases/<int:case_id>/court-orders/<int:order_id>/end/",
        views.court_order_end,
        name="court_order_end",
    ),
    path(
        "cases/<int:case_id>/court-orders/<int:order_id>/amend/",
        views.court_order_amend,
        name="court_order_amend",
    ),
    path(
        "cases/<int:case_id>/court-orders/<int:order_id>/supersede/",
        views.court_order_supersede,
        name="court_order_supersede",
    ),
    path("cases/<int:case_id>/intakes/new/", views.intake_new, name="intake_new"),
    path("cases/<int:case_id>/consents/new/", views.consent_new, name="consent_new"),
    path(
        "cases/<int:case_id>/document-reviews/new/",
        views.document_review_new,
        name="document_review_new",
    ),
    path("cases/<int:case_id>/readiness/new/", views.readiness_new, name="readiness_new"),
    path("cases/<int:case_id>/screenings/new/", views.screening_new, name="screening_new"),
    path("cases/<int:case_id>/advance/", views.case_advance, name="case_advance"),
    path("cases/<int:case_id>/override/", views.override_request, name="override_request"),
    path("cases/<int:case_id>/pause/", views.case_pause, name="case_pause"),
    path("cases/<int:case_id>/resume/", views.case_resume, name="case_resume"),
    path(
        "cases/<int:case_id>/pauses/<int:transition_id>/court-reason/",
        views.pause_court_reason,
        name="pause_court_reason",
    ),
    path("cases/<int:case_id>/close/", views.case_close, name="case_close"),
]
