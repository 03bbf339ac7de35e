from django.urls import path

from reunify.workqueue import views

urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("overrides/<int:override_id>/decide/", views.override_decide, name="override_decide"),
]
