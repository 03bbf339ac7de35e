"""The production URLs plus the bench's floor: the least a logged-in page can cost."""

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


@login_required
def floor(request: HttpRequest) -> HttpResponse:
    """Same middleware and session as every page, one primary-key query, a tiny answer."""
    user_id = request.user.pk
    assert user_id is not None  # login_required
    name = get_user_model().objects.filter(pk=user_id).values_list("username", flat=True)
    return HttpResponse(f"ok {name.get()}", content_type="text/plain")


urlpatterns = [
    path("bench/floor", floor, name="bench_floor"),
    path("", include("reunify.urls")),
]
