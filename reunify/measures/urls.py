from django.urls import path

from reunify.measures import views

urlpatterns = [
    path("cases/<int:case_id>/goals/new/", views.goal_new, name="goal_new"),
    path(
        "cases/<int:case_id>/goals/<int:goal_id>/ratings/new/",
        views.goal_rating_new,
        name="goal_rating_new",
    ),
    path("cases/<int:case_id>/willingness/new/", views.willingness_new, name="willingness_new"),
    path("cases/<int:case_id>/alignment/new/", views.alignment_new, name="alignment_new"),
    path("cases/<int:case_id>/checkins/", views.checkin_list, name="checkin_list"),
    path("cases/<int:case_id>/checkins/new/", views.checkin_new, name="checkin_new"),
    path(
        "cases/<int:case_id>/checkins/<int:checkin_id>/step-down/",
        views.checkin_step_down,
        name="checkin_step_down",
    ),
    path("cases/<int:case_id>/tasks/<int:task_id>/done/", views.task_done, name="task_done"),
    path("cases/<int:case_id>/responses/new/", views.response_new, name="response_new"),
    path(
        "cases/<int:case_id>/responses/<int:response_id>/",
        views.response_detail,
        name="response_detail",
    ),
    path("questionnaires/", views.questionnaire_list, name="questionnaire_list"),
    path("questionnaires/import/", views.questionnaire_import, name="questionnaire_import"),
    path(
        "questionnaires/<int:instrument_id>/",
        views.questionnaire_detail,
        name="questionnaire_detail",
    ),
    path("qualifications/", views.qualification_list, name="qualification_list"),
    path(
        "qualifications/<int:user_id>/edit/",
        views.qualification_edit,
        name="qualification_edit",
    ),
    path("portal/parties/<int:party_id>/checkin/", views.portal_checkin, name="portal_checkin"),
]
