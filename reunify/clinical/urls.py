from django.urls import path

from reunify.clinical import views

urlpatterns = [
    path("cases/<int:case_id>/appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/<int:appointment_id>/", views.appointment_detail, name="appointment_detail"),
    path(
        "appointments/<int:appointment_id>/reschedule/",
        views.appointment_reschedule,
        name="appointment_reschedule",
    ),
    path(
        "appointments/<int:appointment_id>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path(
        "appointments/<int:appointment_id>/complete/",
        views.appointment_complete,
        name="appointment_complete",
    ),
    path(
        "appointments/<int:appointment_id>/no-show/",
        views.appointment_no_show,
        name="appointment_no_show",
    ),
    path(
        "appointments/<int:appointment_id>/contact-record/",
        views.contact_record,
        name="contact_record",
    ),
    path("appointments/<int:appointment_id>/notes/new/", views.note_new, name="note_new"),
    path("notes/<int:note_id>/edit/", views.note_edit, name="note_edit"),
    path("notes/<int:note_id>/sign/", views.note_sign, name="note_sign"),
    path("notes/<int:note_id>/addenda/new/", views.addendum_new, name="addendum_new"),
    path("notes/<int:note_id>/amendments/new/", views.amendment_new, name="amendment_new"),
    path("amendments/<int:request_id>/decide/", views.amendment_decide, name="amendment_decide"),
    path("cases/<int:case_id>/ladder/step-up/", views.ladder_step_up, name="ladder_step_up"),
    path("cases/<int:case_id>/ladder/step-down/", views.ladder_step_down, name="ladder_step_down"),
    path("cases/<int:case_id>/ladder/assent/", views.assent_new, name="assent_new"),
    path("cases/<int:case_id>/ladder/edit/", views.ladder_edit, name="ladder_edit"),
    path("cases/<int:case_id>/ladder/letters/new/", views.letter_new, name="letter_new"),
    path("cases/<int:case_id>/arrangement/new/", views.arrangement_new, name="arrangement_new"),
    path(
        "cases/<int:case_id>/psychotherapy-notes/",
        views.psychotherapy_notes,
        name="psychotherapy_notes",
    ),
    path(
        "psychotherapy-notes/<int:note_id>/share/",
        views.psychotherapy_note_share,
        name="psychotherapy_note_share",
    ),
    path("visits/", views.monitor_visits, name="monitor_visits"),
]
