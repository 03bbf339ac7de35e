"""How errors answer: JSON `{"detail": ...}` under /api/ (never an HTML page), the practice's
own pages elsewhere.

`urls.py` names the handlers below for 400, 403, 404 and 500 (errors outside django-ninja's
views: unknown /api/ paths, oversize bodies, unhandled exceptions), `CSRF_FAILURE_VIEW` is
`csrf_failure`, and `ApiErrorMiddleware` refuses a body larger than any upload before anything
reads it (413) and turns any other non-JSON API error (a 405 from ninja) into JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views import csrf, defaults


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def plain_page(heading: str, message: str, status: int) -> HttpResponse:
    """A page without the base template (that one reads the database, which may be down)."""
    body = render_to_string("plain_error.html", {"heading": heading, "message": message})
    return HttpResponse(body, status=status)


def answer(request: HttpRequest, status: int, detail: str, heading: str) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": detail}, status=status)
    return plain_page(heading, detail, status)


def unavailable(request: HttpRequest) -> HttpResponse:
    """503: the database is busy or down; nothing was saved; try again."""
    response = answer(
        request,
        503,
        _(
            "The database is busy and could not save this just now. Nothing was saved; "
            "please try again in a moment."
        ),
        _("Please try again"),
    )
    response["Retry-After"] = "1"
    return response


def too_large(request: HttpRequest) -> HttpResponse:
    limit = settings.REUNIFY_MAX_UPLOAD_BYTES // (1024 * 1024)
    return answer(
        request,
        413,
        _("That is too large: the largest upload accepted is %(limit)s MiB.") % {"limit": limit},
        _("Too large"),
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return too_large(request)
    if is_api(request):
        return JsonResponse({"detail": _("The request could not be read.")}, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": str(exception) or _("You may not do that.")}, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        detail = _(
            "The server could not finish that request, and nothing from it was saved. Try "
            "again; if it keeps happening, tell the practice administrator the time it happened."
        )
        return JsonResponse({"detail": detail}, status=500)
    return defaults.server_error(request)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_api(request):
        detail = _("Refused: the form's security token is missing or stale (%(reason)s).")
        return JsonResponse({"detail": detail % {"reason": reason}}, status=403)
    return csrf.csrf_failure(request, reason)


def _is_json(response: HttpResponse) -> bool:
    return response.get("Content-Type", "").startswith("application/json")


class ApiErrorMiddleware:
    """Refuse oversize bodies up front (413); give every API error a JSON `detail`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # The largest upload plus the form fields around it; a body past that is refused
        # before it is read, however the view would have read it.
        if length > settings.REUNIFY_MAX_UPLOAD_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return too_large(request)
        response = self.get_response(request)
        if is_api(request) and response.status_code >= 400 and not _is_json(response):
            reason = response.reason_phrase or _("Error")
            response = HttpResponse(
                json.dumps({"detail": f"{reason}."}),
                status=response.status_code,
                content_type="application/json",
                headers={k: v for k, v in response.items() if k in {"Allow", "Retry-After"}},
            )
        return response
