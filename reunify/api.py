"""The JSON API under /api/v1/: django-ninja, bearer tokens, the same services as the pages.

Every error answers JSON with a `detail` a person can act on: bad input 400 (or 422 when the
body does not fit its schema), no or revoked token 401, a forbidden action 403, a case out of
sight 404 (never confirming it exists), a closed gate 409 with the reasons, a body too large 413,
busy 503 (see `reunify.transactions`); errors outside these views (unknown paths, 405, 500) are
answered by `reunify.errors`.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as SchemaError
from ninja.operation import Operation
from ninja.security import HttpBearer

from reunify.accounts.models import User
from reunify.accounts.services import token_authenticate
from reunify.cases.api import router as cases_router
from reunify.clinical.api import router as clinical_router
from reunify.disclosure.api import router as disclosure_router
from reunify.documents.api import router as documents_router
from reunify.measures.api import router as measures_router
from reunify.portal.api import router as portal_router
from reunify.portal.staff_api import router as portal_staff_router
from reunify.process.gates import GateClosed
from reunify.psychoeducation.api import router as psychoeducation_router
from reunify.reports.api import router as reports_router
from reunify.safety.api import router as safety_router
from reunify.security import refusal_record
from reunify.workqueue.api import router as workqueue_router


class BearerToken(HttpBearer):
    """`Authorization: Bearer rfy_…`, a token issued by `reunify token` and not revoked."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_authenticate(token.strip())
        if user is not None:
            request.user = user
        return user


class ReunifyAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        # The view's own name (`case_list`, `override_decision`): stable and readable.
        return operation.view_func.__name__


api = ReunifyAPI(
    title="Reunify API",
    version="1",
    description="Case management for court-involved reunification therapy. Authenticate with "
    "`Authorization: Bearer rfy_…` (issue a token with `reunify token`).",
    urls_namespace="api",
    auth=BearerToken(),
)
api.add_router("/", cases_router)
api.add_router("/", safety_router)
api.add_router("/", documents_router)
api.add_router("/", clinical_router)
api.add_router("/", psychoeducation_router)
api.add_router("/", disclosure_router)
api.add_router("/", portal_router)
api.add_router("/", portal_staff_router)
api.add_router("/", reports_router)
api.add_router("/", workqueue_router)
api.add_router("/", measures_router)


def _answer(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(DatabaseError)
def database_error(request: HttpRequest, exc: DatabaseError) -> HttpResponse:
    # Always past ninja (even with DEBUG on): the request's middleware runs a write that lost
    # a race again, or answers 503; anything else is a 500 with a JSON detail.
    raise exc


@api.exception_handler(ValidationError)
def bad_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return _answer(request, 400, {"detail": " ".join(exc.messages)})


@api.exception_handler(GateClosed)
def gate_closed(request: HttpRequest, exc: GateClosed) -> HttpResponse:
    gate = exc.gate
    return _answer(
        request,
        409,
        {
            "detail": str(exc),
            "phase": gate.phase,
            "next_phase": gate.next_phase,
            "reasons": [r.as_dict() for r in gate.reasons],
        },
    )


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    refusal_record(request, exc)
    return _answer(request, 404, {"detail": "Not found."})


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    refusal_record(request, exc)
    return _answer(request, 403, {"detail": str(exc) or "You may not do that."})


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _answer(
        request,
        401,
        {"detail": "Authentication required: send a valid, unrevoked bearer token."},
    )
    response["WWW-Authenticate"] = 'Bearer realm="reunify"'
    return response


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    # ("body", "payload", "field", …): the client knows the body, not our parameter's name.
    if parts[:1] == ["body"]:
        parts = parts[2:]
    elif parts[:1] in (["query"], ["path"]):
        parts = parts[1:]
    return ".".join(parts) or "body"


@api.exception_handler(SchemaError)
def schema_mismatch(request: HttpRequest, exc: SchemaError) -> HttpResponse:
    errors = [
        {"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": e.get("type", "")}
        for e in exc.errors
    ]
    problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in errors)
    return _answer(request, 422, {"detail": f"Check the input — {problems}.", "errors": errors})
