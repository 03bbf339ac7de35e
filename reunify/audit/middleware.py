from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from reunify.audit.chain import audit_source


class AuditSourceMiddleware:
    """Tell the audit log where each request came from (client address and user agent)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        address = request.META.get("REMOTE_ADDR") or "unknown"
        agent = request.META.get("HTTP_USER_AGENT", "")[:120]
        with audit_source(f"{address} {agent}".strip()):
            return self.get_response(request)
