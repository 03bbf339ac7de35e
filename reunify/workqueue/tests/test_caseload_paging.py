"""The caseload at scale: a page of cases at a time (keyset), its query count flat however many
cases there are, and the urgent section never paged."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases import selectors
from reunify.cases.models import Case
from reunify.clinical.tests.factories import stopped_clock
from reunify.conftest import (
    login,
    make_case,
    make_family,
    screen,
    sessions_held_cancelled_and_to_come,
)
from reunify.measures.services import willingness_record
from reunify.safety.models import Contraindication
from reunify.workqueue.selectors import work_queue


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


def _titles(page: str) -> list[str]:
    table = page.split('id="caseload-caption"')[1].split("</table>")[0]
    return re.findall(r'<th scope="row"><a href="/cases/\d+/">([^<]+)</a>', table)


def _cases(therapist: User, count: int, start: int = 0) -> list[Case]:
    return [make_case(therapist, title=f"Family {n:03d}") for n in range(start, start + count)]


def _next(page: str) -> str:
    return re.findall(r'<a href="(\?[^"]*after=\d+)" rel="next"', page)[0].replace("&amp;", "&")


def _previous(page: str) -> str:
    return re.findall(r'<a href="(\?[^"]*before=\d+)" rel="prev"', page)[0].replace("&amp;", "&")


def test_a_caseload_of_120_shows_page_1_of_3(client: Client, therapist: User) -> None:
    _cases(therapist, 120)
    login(client, therapist)

    page = client.get(reverse("caseload")).content.decode()

    assert "120 open cases" in page
    assert "Page 1 of 3" in page
    assert _titles(page) == [f"Family {n:03d}" for n in range(50)]
    assert 'aria-label="Pages of the caseload"' in page
    assert 'rel="prev"' not in page


def test_the_next_page_starts_after_the_last_case_shown_even_when_a_case_is_opened_between(
    client: Client, therapist: User
) -> None:
    _cases(therapist, 120)
    login(client, therapist)
    first = client.get(reverse("caseload")).content.decode()

    # A case that sorts onto the first page, opened while the therapist reads it.
    make_case(therapist, title="Family 010a")
    second = client.get(reverse("caseload") + _next(first)).content.decode()
    third = client.get(reverse("caseload") + _next(second)).content.decode()

    assert _titles(second) == [f"Family {n:03d}" for n in range(50, 100)]
    assert "Page 2 of 3" in second
    assert _titles(third) == [f"Family {n:03d}" for n in range(100, 120)]
    assert 'rel="next"' not in third
    back = client.get(reverse("caseload") + _previous(second)).content.decode()
    # The 50 cases before the second page's first: the new one among them.
    assert _titles(back) == sorted([f"Family {n:03d}" for n in range(1, 50)] + ["Family 010a"])


def test_cases_with_the_same_title_page_by_their_number(client: Client, therapist: User) -> None:
    same = [make_case(therapist, title="Rivers family") for _ in range(5)]
    login(client, therapist)

    pages = []
    cursor = ""
    for _ in range(3):
        page = selectors.caseload_page(therapist, size=2, after=int(cursor) if cursor else None)
        pages.append([row.case.pk for row in page.rows])
        cursor = str(page.after or "")

    assert pages == [[same[0].pk, same[1].pk], [same[2].pk, same[3].pk], [same[4].pk]]


def test_paging_keeps_the_search(client: Client, therapist: User) -> None:
    _cases(therapist, 60)
    make_case(therapist, title="Rivers household")
    login(client, therapist)

    page = client.get(reverse("caseload"), {"q": "Family"}).content.decode()
    second = client.get(reverse("caseload") + _next(page)).content.decode()

    assert "q=Family&amp;after=" in page
    assert _titles(second) == [f"Family {n:03d}" for n in range(50, 60)]
    unsearched = client.get(reverse("caseload")).content.decode()
    assert "Rivers household" in _titles(
        client.get(reverse("caseload") + _next(unsearched)).content.decode()
    )


def test_a_case_of_another_therapist_anchors_no_page(
    client: Client, therapist: User, outsider: User
) -> None:
    _cases(therapist, 60)
    theirs = make_case(outsider, title="Family 055")
    login(client, therapist)

    page = client.get(reverse("caseload"), {"after": theirs.pk}).content.decode()

    assert _titles(page)[0] == "Family 000"


def test_a_bad_page_address_is_refused_clearly(client: Client, therapist: User) -> None:
    _cases(therapist, 3)
    login(client, therapist)

    response = client.get(reverse("caseload"), {"after": "nine"})

    assert response.status_code == 400
    assert _titles(response.content.decode()) == ["Family 000", "Family 001", "Family 002"]


def _found_unsafe(therapist: User, case: Case) -> None:
    """A screen finding a contraindication: the case pauses for safety."""
    present: dict[str, str] = {Contraindication.values[0]: "present"}
    screen(therapist, case, 0, **present)
    assert Case.objects.get(pk=case.pk).paused_for_safety


def test_the_urgent_section_lists_a_safety_item_from_every_page(
    client: Client, therapist: User
) -> None:
    _cases(therapist, 60)
    late = make_family(therapist, title="Zephyr family", last="Zephyr")
    _found_unsafe(therapist, late.case)
    login(client, therapist)

    page = client.get(reverse("caseload")).content.decode()

    assert "Zephyr family" not in _titles(page)
    queue = page.split('id="queue-heading"')[1].split("</section>")[0]
    assert "Zephyr family" in queue


def test_the_list_event_names_the_cases_on_the_page_and_in_the_queue(
    client: Client, therapist: User
) -> None:
    cases = _cases(therapist, 60)
    for case in cases[50:]:
        screen(therapist, case)  # not due, so in no section of the queue
    late = make_family(therapist, title="Zephyr family", last="Zephyr")
    _found_unsafe(therapist, late.case)
    login(client, therapist)

    client.get(reverse("caseload"))

    event = Event.objects.filter(action=selectors.LIST_VIEW).latest("id")
    listed = set(event.listed_cases.values_list("case_id", flat=True))
    queued = {case.pk for case in work_queue(therapist).cases}
    assert late.case.pk in queued
    assert listed == {case.pk for case in cases[:50]} | queued
    assert cases[55].pk not in queued
    assert cases[55].pk not in listed


# Query counts at two sizes ---------------------------------------------------------------------


def _practice_case(therapist: User, number: int) -> Case:
    """A case with a history: several screens with their findings, ratings, sessions."""
    family = make_family(therapist, title=f"Family {number:03d}", last=f"Name{number}")
    for days_ago in (90, 60, 30, 1):
        screen(therapist, family.case, days_ago=days_ago)
    today = timezone.localdate()
    for level in ("unwilling", "ambivalent", "open"):
        for party in (family.child, family.estranged):
            willingness_record(
                actor=therapist, case=family.case, party=party, level=level, rated_on=today
            )
    sessions_held_cancelled_and_to_come(therapist, family, number)
    return family.case


def _queries(call: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as captured:
        result = call()
    return len(captured.captured_queries), result


def test_the_caseload_page_and_its_gates_cost_the_same_queries_for_5_or_60_cases(
    client: Client, therapist: User
) -> None:
    for number in range(5):
        _practice_case(therapist, number)
    login(client, therapist)
    page_small, response = _queries(lambda: client.get(reverse("caseload")))
    assert response.status_code == 200
    gate_small, rows = _queries(lambda: selectors.caseload(therapist))
    assert len(rows) == 5

    for number in range(5, 60):
        _practice_case(therapist, number)
    page_large, response = _queries(lambda: client.get(reverse("caseload")))
    second, _response = _queries(
        lambda: client.get(reverse("caseload") + _next(response.content.decode()))
    )
    gate_large, rows = _queries(lambda: selectors.caseload(therapist))

    assert len(rows) == 60
    assert page_small == page_large == second
    assert gate_small == gate_large
