from django.urls import include, path

from reunify import views
from reunify.api import api

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("", include("reunify.accounts.urls")),
    path("", include("reunify.workqueue.urls")),
    path("", include("reunify.cases.urls")),
    path("", include("reunify.clinical.urls")),
    path("", include("reunify.psychoeducation.urls")),
    path("", include("reunify.documents.urls")),
    path("", include("reunify.disclosure.urls")),
    path("", include("reunify.portal.urls")),
    path("", include("reunify.reports.urls")),
    path("", include("reunify.measures.urls")),
]

handler400 = "reunify.errors.bad_request"
handler403 = "reunify.errors.permission_denied"
handler404 = "reunify.errors.page_not_found"
handler500 = "reunify.errors.server_error"
