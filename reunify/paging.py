"""Keyset pagination for the API's lists: `?limit=` and an opaque `?cursor=`.

Every list endpoint is ordered by a stable key that ends in the primary key (say
`("-uploaded_at", "-id")`) and answers the rows after the cursor's position, so a row added
while a client pages through never shifts, repeats or hides the rows already sent (offsets
would). The body stays a JSON list; when more rows follow, the response carries
`X-Next-Cursor: <cursor>` and `Link: <…&cursor=…>; rel="next"`. A cursor is the last row's
key, signed (`django.core.signing`) for the one list that gave it out: a cursor changed by
hand, or taken to another list, answers 400.

A view opts in with `@paged` under its route and takes `page: Page`:

    @router.get("/cases/{id}/documents", response={200: list[DocumentOut], **READ_ERRORS})
    @paged
    def document_list(request, id: int, page: Page) -> list[DocumentOut]:
        return [DocumentOut.of(d) for d in page.rows(documents, order=("-uploaded_at", "-id"))]
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from django.core import signing
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema
from ninja.operation import Operation
from ninja.signature.utils import get_typed_signature
from ninja.utils import contribute_operation_args, contribute_operation_callback

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
UNIQUE_KEYS = ("id", "-id", "pk", "-pk")

T = TypeVar("T")
Row = Any
KeyOf = Callable[[Row], Sequence[Any]]


class PageIn(Schema):
    """The query parameters of every paged list."""

    limit: int = Field(
        DEFAULT_LIMIT,
        ge=1,
        le=MAX_LIMIT,
        description=f"How many rows to answer (1 to {MAX_LIMIT}, default {DEFAULT_LIMIT}).",
    )
    cursor: str = Field(
        "",
        max_length=2000,
        description="Where to go on from: the `X-Next-Cursor` header of the previous page "
        '(or follow its `Link: rel="next"`). Absent: the first page. Opaque; a changed '
        "cursor answers 400.",
    )


# Cursor values: JSON keeps numbers and strings; dates and datetimes keep their type (and a
# datetime its microseconds, which DjangoJSONEncoder would round off and so skip rows).
def _encode(value: Any) -> Any:
    if value is None:
        raise ValueError("A paging key must not be null: order by columns that never are.")
    if isinstance(value, dt.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"d": value.isoformat()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return dt.datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and set(value) == {"d"}:
        return dt.date.fromisoformat(value["d"])
    if isinstance(value, (int, str, float, bool)):
        return value
    raise ValueError(value)


def _attribute(row: Row, path: str) -> Any:
    for name in path.split("__"):
        row = getattr(row, name)
    return row


def after(order: Sequence[str], values: Sequence[Any]) -> Q:
    """The rows that come after `values` in `order`: (a > x) or (a = x and b > y) or …, each
    comparison turned round for a descending field."""
    condition = Q()
    for i, field in enumerate(order):
        name = field.removeprefix("-")
        equal = {f.removeprefix("-"): v for f, v in zip(order[:i], values[:i], strict=True)}
        beyond = {f"{name}__{'lt' if field.startswith('-') else 'gt'}": values[i]}
        condition |= Q(**equal, **beyond)
    return condition


class Page:
    """One request's window onto a list: at most `limit` rows after the cursor's position."""

    def __init__(self, params: PageIn, *, list_name: str) -> None:
        self.limit = params.limit
        self._cursor = params.cursor
        self._salt = f"reunify.paging:{list_name}"
        self.next_cursor: str | None = None

    def position(self, order: Sequence[str]) -> list[Any] | None:
        """The key the cursor names (None on the first page); 400 for a cursor not ours."""
        if not self._cursor:
            return None
        try:
            given = signing.loads(self._cursor, salt=self._salt)
            if given.get("o") != list(order) or len(given.get("k", ())) != len(order):
                raise ValueError(given)
            return [_decode(v) for v in given["k"]]
        except (signing.BadSignature, ValueError, TypeError, AttributeError):
            raise ValidationError(
                _(
                    "That cursor is not one this list gave out (it may have been changed); "
                    "start again from the first page, without a cursor."
                )
            ) from None

    def after(self, order: Sequence[str]) -> Q:
        """The condition for the rows after the cursor (everything on the first page): for a
        union, which takes no filter, apply it to each part."""
        position = self.position(order)
        return Q() if position is None else after(order, position)

    def rows(
        self,
        queryset: QuerySet[Any],
        *,
        order: Sequence[str] | None = None,
        key: KeyOf | None = None,
    ) -> list[Row]:
        """This page's rows of `queryset` in `order` (by default its own ordering, which must
        end in the primary key). `key` reads a row's values of `order` when the rows are
        not model instances (`values_list` tuples)."""
        order = tuple(order or _ordering_of(queryset))
        return self.take(queryset.filter(self.after(order)).order_by(*order), order=order, key=key)

    def take(
        self, ordered: QuerySet[Any], *, order: Sequence[str], key: KeyOf | None = None
    ) -> list[Row]:
        """The first `limit` rows of a queryset already narrowed with `after` and ordered by
        `order`, noting the cursor of the next page when there is one (one query)."""
        if not order or order[-1] not in UNIQUE_KEYS:
            raise ValueError(f"A paging order must end in the primary key: {order!r}.")
        rows = list(ordered[: self.limit + 1])
        if len(rows) > self.limit:
            rows = rows[: self.limit]
            last = rows[-1]
            values = key(last) if key else [_attribute(last, f.removeprefix("-")) for f in order]
            self.next_cursor = signing.dumps(
                {"o": list(order), "k": [_encode(v) for v in values]},
                salt=self._salt,
                compress=False,
            )
        return rows


def _ordering_of(queryset: QuerySet[Any]) -> list[str]:
    ordering = list(queryset.query.order_by) or list(queryset.model._meta.ordering)
    names = [f for f in ordering if isinstance(f, str)]
    if len(names) != len(ordering):
        raise ValueError("Give the paging order by field names.")
    return names


def _next_link(request: HttpRequest, cursor: str) -> str:
    query = request.GET.copy()
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


NEXT_HEADERS = {
    "X-Next-Cursor": {
        "description": "The cursor of the next page; absent on the last page.",
        "schema": {"type": "string"},
    },
    "Link": {
        "description": 'The next page as `<address>; rel="next"`; absent on the last page.',
        "schema": {"type": "string"},
    },
}


DETAIL = {
    "application/json": {
        "schema": {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        }
    }
}
# What a paged list answers besides its own refusals (the handlers live in reunify/api.py).
REFUSALS = {
    400: "The cursor is not one this list gave out.",
    422: f"The limit is not a whole number from 1 to {MAX_LIMIT}.",
}


def _document(operation: Operation) -> None:
    extra = operation.openapi_extra or {}
    responses = extra.setdefault("responses", {})
    ok = responses.setdefault(200, {})
    ok.setdefault(
        "description",
        f"A page of the list: at most `limit` rows (default {DEFAULT_LIMIT}), in a stable "
        "order. When more follow, `X-Next-Cursor` and `Link` name the next page.",
    )
    ok.setdefault("headers", {}).update(NEXT_HEADERS)
    for status, words in REFUSALS.items():
        if status not in operation.response_models:  # Never over the route's own schema.
            responses.setdefault(status, {"description": words, "content": DETAIL})
    operation.openapi_extra = extra


def paged(view: Callable[..., T]) -> Callable[..., T]:
    """Make a list endpoint paged: it gets `?limit=` and `?cursor=` (documented), the view a
    `page: Page` to take its rows through, and the response the next page's headers."""
    signature = get_typed_signature(view)
    if "page" not in signature.parameters:
        raise TypeError(f"{view.__name__} takes no `page: Page` to page its rows through.")
    list_name = f"{view.__module__}.{view.__name__}"

    @functools.wraps(view)
    def paged_view(
        request: HttpRequest, *, paging: PageIn, paging_response: HttpResponse, **kwargs: Any
    ) -> T:
        page = Page(paging, list_name=list_name)
        result = view(request, page=page, **kwargs)
        if page.next_cursor:
            paging_response["X-Next-Cursor"] = page.next_cursor
            paging_response["Link"] = f'<{_next_link(request, page.next_cursor)}>; rel="next"'
        return result

    # What django-ninja reads: the view's own parameters but `page`, and the response whose
    # headers carry the next page (the `paging` parameters are contributed below).
    parameters = [p for name, p in signature.parameters.items() if name != "page"]
    parameters.append(
        inspect.Parameter(
            "paging_response", inspect.Parameter.KEYWORD_ONLY, annotation=HttpResponse
        )
    )
    paged_view.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    contribute_operation_args(paged_view, "paging", PageIn, Query(...))
    contribute_operation_callback(paged_view, _document)
    paged_view.paged = True  # type: ignore[attr-defined]
    return paged_view
