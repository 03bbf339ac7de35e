from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from reunify.audit.chain import audit_source
from reunify.security import client_address


class AuditSourceMiddleware:
    """Tell the audit log where each request came from (client address and user agent)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        agent = request.META.get("HTTP_USER_AGENT", "")[:120]
        with audit_source(f"{client_address(request)} {agent}".strip()):
            return self.get_response(request)
