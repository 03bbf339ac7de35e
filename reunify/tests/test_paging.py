"""Every growing API list is paged by keyset cursor (`reunify.paging`).

Six lists with different orders are walked two rows at a time: every row comes exactly once,
in order; a row written between two pages neither repeats nor hides a row already due; a
cursor changed by hand answers 400 and a limit out of range 422, both JSON; a page costs the
same queries at 5 rows and at 40. The OpenAPI document shows `limit` and `cursor` on every
list but the few that a rule keeps small.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reunify import paging
from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases import selectors as case_selectors
from reunify.cases import services as case_services
from reunify.cases.models import PartyRole
from reunify.clinical import services as clinical
from reunify.clinical.models import AppointmentKind
from reunify.conftest import Family, add_party, bearer, make_case, make_family, screen
from reunify.documents.pdf import text_pdf
from reunify.documents.services import document_upload

API = "/api/v1"
PDF = text_pdf("Minute order", ["Contact is supervised until further order."])
# Lists a rule keeps small, so they answer whole: a case's parties (its family and the few
# professionals around it), its co-therapists, and its attendance (one row per family party).
UNPAGED = {"party_list", "co_therapist_list", "attendance_get"}


@dataclass
class World:
    therapist: User
    supervisor: User
    family: Family


def _family(therapist: User, title: str = "Rivers family") -> Family:
    """A family whose case opened two months ago: screens can be dated back."""
    opened = timezone.localdate() - dt.timedelta(days=60)
    referred = opened - dt.timedelta(days=10)
    return make_family(therapist, title, opened_on=opened, referral_date=referred)


@pytest.fixture
def world(therapist: User, supervisor: User) -> World:
    return World(therapist, supervisor, _family(therapist))


def _cases(w: World, n: int) -> None:
    for _ in range(n):
        make_case(w.therapist)  # The same family name each time: the id breaks the tie.


def _timeline(w: World, n: int) -> None:
    for i in range(n):
        add_party(w.therapist, w.family.case, PartyRole.GUARDIAN, "Gail", f"Grant{i}")


def _appointments(w: World, n: int, *, first: dt.datetime | None = None) -> None:
    start = first or timezone.now() + dt.timedelta(days=2)
    for i in range(n):
        clinical.appointment_schedule(
            actor=w.therapist,
            case=w.family.case,
            kind=AppointmentKind.INDIVIDUAL,
            starts_at=start + dt.timedelta(hours=2 * i),
            participants=[w.family.estranged],
        )


def _documents(w: World, n: int) -> None:
    for i in range(n):
        upload = SimpleUploadedFile(f"order{i}.pdf", PDF, content_type="application/pdf")
        document_upload(
            actor=w.therapist,
            case=w.family.case,
            kind="court_order",
            title=f"Order {i}",
            upload=upload,
        )


def _looks(w: World, n: int) -> None:
    # Looks at the case itself and lists it was shown in: both parts of the listing's union.
    for i in range(n):
        if i % 2:
            case_services.case_views(actor=w.supervisor, cases=[w.family.case], what="caseload")
        else:
            case_services.case_view(actor=w.supervisor, case=w.family.case, what="case")


def _screenings(w: World, n: int, *, days_ago: int | None = None) -> None:
    for i in range(n):
        # Three screens to a day: the time recorded, then the id, order those of one day.
        screen(w.therapist, w.family.case, days_ago=days_ago or 10 + i // 3)


@dataclass(frozen=True)
class Listing:
    name: str
    address: Callable[[World], str]
    add: Callable[[World, int], None]
    # A row that sorts before every row there is (so before any cursor).
    add_first: Callable[[World], object]
    params: tuple[tuple[str, str], ...] = ()


LISTINGS = [
    Listing(
        "cases", lambda w: "/cases", _cases, lambda w: make_case(w.therapist, title="Aaron family")
    ),
    Listing(
        "timeline",
        lambda w: f"/cases/{w.family.case.pk}/timeline",
        _timeline,
        lambda w: _timeline(w, 1),
    ),
    Listing(
        "appointments",
        lambda w: f"/cases/{w.family.case.pk}/appointments",
        _appointments,
        lambda w: _appointments(w, 1, first=timezone.now() + dt.timedelta(hours=2)),
    ),
    Listing(
        "documents",
        lambda w: f"/cases/{w.family.case.pk}/documents",
        _documents,
        lambda w: _documents(w, 1),
    ),
    Listing(
        "access-log",
        lambda w: f"/cases/{w.family.case.pk}/access-log",
        _looks,
        lambda w: _looks(w, 1),
        params=(("person", "supervisor"),),
    ),
    Listing(
        "screenings",
        lambda w: f"/cases/{w.family.case.pk}/screenings",
        _screenings,
        lambda w: _screenings(w, 1, days_ago=50),
    ),
]
BY_NAME = {listing.name: listing for listing in LISTINGS}


def _params(listing: Listing, w: World, **more: Any) -> dict[str, Any]:
    values = {"supervisor": str(w.supervisor.pk)}
    return {key: values.get(value, value) for key, value in listing.params} | more


def _get(client: Client, w: World, listing: Listing, **params: Any) -> Any:
    return client.get(
        API + listing.address(w), _params(listing, w, **params), headers=bearer(w.therapist)
    )


def _walk(
    client: Client, w: World, listing: Listing, *, between: Callable[[], object] | None = None
) -> list[Any]:
    """Every row of the list, two to a page, following the next-page cursor to the end."""
    rows: list[Any] = []
    cursor = ""
    for pages in range(1, 200):
        response = _get(client, w, listing, limit=2, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.content
        page = response.json()
        assert len(page) <= 2
        rows += page
        cursor = response.headers.get("X-Next-Cursor", "")
        if not cursor:
            assert "Link" not in response.headers
            return rows
        assert response["Link"].endswith(f'cursor={cursor}>; rel="next"'.replace(":", "%3A"))
        assert len(page) == 2
        if pages == 1 and between:
            between()
    raise AssertionError("The pages never ended.")


def _whole(client: Client, w: World, listing: Listing) -> list[Any]:
    response = _get(client, w, listing, limit=paging.MAX_LIMIT)
    assert response.status_code == 200 and "X-Next-Cursor" not in response.headers
    return response.json()


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.name)
def test_paging_through_yields_every_row_once_in_order(
    client: Client, world: World, listing: Listing
) -> None:
    listing.add(world, 7)

    whole = _whole(client, world, listing)
    walked = _walk(client, world, listing)

    assert len(whole) >= 7
    assert walked == whole


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.name)
def test_a_row_written_between_pages_neither_repeats_nor_hides_a_row(
    client: Client, world: World, listing: Listing
) -> None:
    listing.add(world, 6)
    before = _whole(client, world, listing)

    walked = _walk(client, world, listing, between=lambda: listing.add_first(world))

    # The new row sorts before the cursor, so it is not on the later pages; with offsets,
    # every row after it would have moved down one, and the second page repeated a row.
    assert walked == before
    assert len(_whole(client, world, listing)) == len(before) + 1


def test_the_case_list_pages_by_family_name_then_id(client: Client, world: World) -> None:
    for title in ("Young family", "Abbot family", "Young family", "Maple family"):
        make_case(world.therapist, title=title)

    walked = _walk(client, world, BY_NAME["cases"])

    assert [(c["title"], c["id"]) for c in walked] == sorted((c["title"], c["id"]) for c in walked)
    assert len(walked) == 5


def test_the_case_list_looks_at_and_computes_the_gates_of_its_page_only(
    client: Client, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    _cases(world, 9)
    computed: list[int] = []
    real_gate = case_selectors.gate_for

    def counted_gate(case: Any) -> Any:
        computed.append(case.pk)
        return real_gate(case)

    monkeypatch.setattr(case_selectors, "gate_for", counted_gate)

    response = _get(client, world, BY_NAME["cases"], limit=3)

    shown = [c["id"] for c in response.json()]
    event = Event.objects.filter(action="case.list_view").latest("id")
    assert len(shown) == 3
    assert computed == shown
    assert sorted(event.listed_cases.values_list("case_id", flat=True)) == sorted(shown)


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.name)
def test_a_changed_or_foreign_cursor_answers_400_json(
    client: Client, world: World, listing: Listing
) -> None:
    listing.add(world, 3)
    cursor = _get(client, world, listing, limit=1)["X-Next-Cursor"]
    other = "timeline" if listing.name != "timeline" else "cases"
    BY_NAME[other].add(world, 3)
    foreign = _get(client, world, BY_NAME[other], limit=1)["X-Next-Cursor"]
    value, signature = cursor.rsplit(":", 1)
    changed = value[:-2] + ("AA" if value[-2:] != "AA" else "BB") + ":" + signature

    for bad in (changed, foreign, "garbage", cursor + "x"):
        response = _get(client, world, listing, cursor=bad)
        assert response.status_code == 400, (bad, response.content)
        assert "cursor" in response.json()["detail"]


@pytest.mark.parametrize("limit", ["0", str(paging.MAX_LIMIT + 1), "many"])
@pytest.mark.parametrize("listing", LISTINGS[:2], ids=lambda listing: listing.name)
def test_a_limit_out_of_range_answers_422_json(
    client: Client, world: World, listing: Listing, limit: str
) -> None:
    response = _get(client, world, listing, limit=limit)

    assert response.status_code == 422
    assert "limit" in response.json()["detail"]


def test_the_default_page_is_fifty_rows(client: Client, world: World) -> None:
    _timeline(world, paging.DEFAULT_LIMIT + 5)

    response = _get(client, world, BY_NAME["timeline"])

    assert len(response.json()) == paging.DEFAULT_LIMIT
    assert response["X-Next-Cursor"]


def _queries(client: Client, w: World, listing: Listing) -> int:
    _get(client, w, listing)  # Warm the caches a first request fills (the token, the clock).
    with CaptureQueriesContext(connection) as queries:
        response = _get(client, w, listing)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("listing", LISTINGS, ids=lambda listing: listing.name)
def test_a_page_costs_the_same_queries_at_5_rows_and_at_40(
    client: Client, therapist: User, supervisor: User, outsider: User, listing: Listing
) -> None:
    small = World(therapist, supervisor, _family(therapist))
    listing.add(small, 5)
    at_five = _queries(client, small, listing)

    # The same list, grown: another therapist's practice, so the first list does not change.
    large = World(outsider, supervisor, _family(outsider, "Okafor family"))
    listing.add(large, 40)
    at_forty = _queries(client, large, listing)

    assert at_forty == at_five


def _list_operations(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = {}
    for operations in document["paths"].values():
        operation = operations.get("get")
        if not operation:
            continue
        schema = operation["responses"]["200"].get("content", {}).get("application/json", {})
        if schema.get("schema", {}).get("type") == "array":
            found[operation["operationId"]] = operation
    return found


def test_every_list_in_the_openapi_document_takes_limit_and_cursor(client: Client) -> None:
    document = client.get(f"{API}/openapi.json").json()
    lists = _list_operations(document)

    assert set(lists) >= UNPAGED
    for name, operation in lists.items():
        parameters = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
        headers = set(operation["responses"]["200"].get("headers", {}))
        if name in UNPAGED:
            assert not {"limit", "cursor"} & parameters, name
        else:
            assert {"limit", "cursor"} <= parameters, name
            assert {"X-Next-Cursor", "Link"} <= headers, name
    assert len(lists) - len(UNPAGED) >= 30
