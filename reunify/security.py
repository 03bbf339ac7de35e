"""The front door: the headers every answer carries, the client's address, refusals on record.

Django's SecurityMiddleware already sends HSTS (in production), nosniff, the referrer and
cross-origin-opener policies, and XFrameOptionsMiddleware sends `X-Frame-Options: DENY`; this
module adds what Django 5.2 does not: a strict Content-Security-Policy (no inline script or
style anywhere, so an injected `<script>` cannot run) and a Permissions-Policy.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
)


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every answer; no caching of case pages."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            # A shared office computer's back button must not bring a family's record back.
            add_never_cache_headers(response)
        return response


def client_address(request: HttpRequest) -> str:
    """The address the request came from, seen through the configured number of proxies."""
    hops = settings.REUNIFY_PROXY_COUNT
    if hops > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        chain = [part.strip() for part in forwarded.split(",") if part.strip()]
        if len(chain) >= hops:
            return chain[-hops][:64]
    return (request.META.get("REMOTE_ADDR") or "unknown")[:64]


def refusal_record(request: HttpRequest, error: Exception) -> None:
    """Audit a 404 or 403 given to a logged-in user: what they asked for and what was refused."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    match = request.resolver_match
    audit_record(
        actor=user,
        action=AuditAction.ACCESS_DENIED,
        detail={
            "path": request.path,
            "method": request.method,
            "status": 404 if isinstance(error, Http404) else 403,
            "refused": str(error) or type(error).__name__,
            "view": match.view_name if match else "",
            "arguments": match.kwargs if match else {},
        },
    )


class RefusalAuditMiddleware:
    """Write every authorisation refusal of a page to the audit log.

    `process_exception` runs after the view's own transaction has rolled back; a write request's
    transaction (`reunify.transactions`) commits on a 403 or 404 answer, so the event survives.
    API refusals are caught by the ninja exception handlers before they get here; those call
    `refusal_record` themselves.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> None:
        if isinstance(exception, Http404 | PermissionDenied):
            refusal_record(request, exception)
