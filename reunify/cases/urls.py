from django.urls import path

from reunify.cases import views

urlpatterns = [
    path("", views.caseload, name="caseload"),
]
