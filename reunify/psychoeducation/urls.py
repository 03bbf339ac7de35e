from django.urls import path

from reunify.psychoeducation import views

urlpatterns = [
    path("modules/", views.module_list, name="module_list"),
    path("modules/new/", views.module_new, name="module_new"),
    path("modules/<int:module_id>/", views.module_detail, name="module_detail"),
    path("modules/<int:module_id>/edit/", views.module_edit, name="module_edit"),
    path("cases/<int:case_id>/modules/new/", views.case_module_new, name="case_module_new"),
    path(
        "cases/<int:case_id>/modules/<int:assignment_id>/complete/",
        views.case_module_complete,
        name="case_module_complete",
    ),
]
