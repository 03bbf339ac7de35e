"""The caseload dashboard: cases by phase, paused and why, re-screens and court reports due,
releases expiring, time in each phase, closed outcomes with durations — for the user's own
cases (a supervisor: their team's), in a query count that does not grow with the cases."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.accounts.qualifications import qualification_record
from reunify.audit.models import Event
from reunify.cases.models import Phase
from reunify.clinical.tests.factories import DAY, stopped_clock
from reunify.conftest import (
    Family,
    complete_assessment,
    login,
    make_family,
    screen,
)
from reunify.process import transitions
from reunify.reports.dashboard import Dashboard, dashboard_for
from reunify.reports.tests.factories import issue, with_professionals


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


def later(clock: Any, days: int) -> None:
    clock.move_to(timezone.now() + days * DAY)


@pytest.fixture
def practice(therapist: User, family: Family, other_family: Family, clock: Any) -> dict[str, Any]:
    """Rivers: court-ordered, a reporting duty, an attorney's release expiring in 20 days.
    Larch: screened, moved to psychoeducation after 10 days, paused. Oak: closed after 30
    days, restored. Okafor (other_family) belongs to another therapist."""
    reporting = with_professionals(therapist, family)
    larch = make_family(therapist, title="Larch family", last="Larch")
    oak = make_family(therapist, title="Oak family", last="Oak")
    complete_assessment(therapist, larch)
    later(clock, 10)
    screen(therapist, larch.case)
    transitions.case_advance(actor=therapist, case=larch.case)
    transitions.case_pause(actor=therapist, case=larch.case, reason="A court hearing is pending.")
    later(clock, 20)
    transitions.case_close(
        actor=therapist, case=oak.case, outcome="restored", reason="Regular weekends, calm."
    )
    later(clock, 2)
    return {"reporting": reporting, "larch": larch, "oak": oak}


def test_it_counts_open_cases_by_phase_with_their_days(
    therapist: User, practice: dict[str, Any]
) -> None:
    board = dashboard_for(therapist)

    assert (board.open_cases, board.closed_cases) == (2, 1)
    lines = {line.phase: line for line in board.phases}
    assert lines[Phase.ASSESSMENT].count == 1
    assert lines[Phase.ASSESSMENT].median_days_so_far == 32
    assert lines[Phase.PSYCHOEDUCATION].count == 1
    assert lines[Phase.PSYCHOEDUCATION].median_days_so_far == 22
    # Finished stays: Larch's 10 days in assessment, Oak's 30 (closed from assessment).
    assert lines[Phase.ASSESSMENT].finished == 2
    assert lines[Phase.ASSESSMENT].median_days == 20
    assert Phase.CLOSED not in lines


def test_it_lists_paused_cases_and_why(therapist: User, practice: dict[str, Any]) -> None:
    board = dashboard_for(therapist)

    assert [(p.case.title, p.days, p.reason) for p in board.paused] == [
        ("Larch family", 22, "A court hearing is pending.")
    ]


def test_it_lists_re_screens_due(therapist: User, practice: dict[str, Any]) -> None:
    board = dashboard_for(therapist)

    # Rivers was never screened; Larch's screen of day 10 is due on day 40, beyond a week.
    assert [(s.case.title, s.due_on, s.overdue) for s in board.screens_due] == [
        ("Rivers family", None, True)
    ]


def test_court_reports_due_come_from_reporting_duties_until_a_report_meets_them(
    therapist: User, practice: dict[str, Any]
) -> None:
    reporting = practice["reporting"]
    due = dashboard_for(therapist).reports_due
    assert [(r.case.title, r.order_number, r.due_on, r.overdue) for r in due] == [
        ("Rivers family", 1, reporting.order.issued_on + 60 * DAY, False)
    ]

    issue(therapist, reporting)

    assert dashboard_for(therapist).reports_due == []


def test_it_lists_releases_expiring_within_30_days(
    therapist: User, practice: dict[str, Any]
) -> None:
    board = dashboard_for(therapist)

    # The attorney's release was granted for 20 days, 32 days ago: already expired, not listed;
    # the court's runs for a year.
    assert board.releases_expiring == []


def test_a_release_expiring_soon_is_listed(therapist: User, family: Family) -> None:
    reporting = with_professionals(therapist, family)

    board = dashboard_for(therapist)

    assert [(e.what, e.case, e.days_left) for e in board.releases_expiring] == [
        (f"Release to {reporting.attorney.label}", family.case, 20)
    ]


def test_outcomes_of_closed_cases_come_with_their_durations(
    therapist: User, practice: dict[str, Any]
) -> None:
    board = dashboard_for(therapist)

    restored = next(o for o in board.outcomes if o.outcome == "restored")
    assert (restored.count, restored.median_days) == (1, 30)
    assert [(c.case.title, c.days) for c in restored.cases] == [("Oak family", 30)]
    assert sum(o.count for o in board.outcomes) == 1


def test_a_supervisor_sees_the_team_and_no_one_else(
    therapist: User, supervisor: User, outsider: User, practice: dict[str, Any]
) -> None:
    assert dashboard_for(supervisor).open_cases == 2
    outsiders = dashboard_for(outsider)
    assert (outsiders.open_cases, outsiders.closed_cases) == (1, 0)
    assert "Okafor family" not in str([c.title for c in dashboard_for(supervisor).named])


def test_the_page_shows_it(client: Client, therapist: User, practice: dict[str, Any]) -> None:
    login(client, therapist)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    page = response.content.decode()
    for words in (
        "Open cases by phase",
        "A court hearing is pending.",
        "no safety screen yet",
        "court order 1 (FL-2030-000123)",
        "Relationship restored",
        "Oak family</a> (30 days)",
    ):
        assert words in page, words
    assert "Okafor" not in page
    # One event for the list, naming the three cases it shows.
    viewed = Event.objects.get(action="case.list_view", detail__what="dashboard")
    assert len(viewed.detail["case_ids"]) == 3
    assert viewed.listed_cases.count() == 3


def test_the_page_needs_login(client: Client) -> None:
    response = client.get(reverse("dashboard"))

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_monitor_has_no_dashboard(client: Client, monitor: User) -> None:
    login(client, monitor)

    response = client.get(reverse("dashboard"))

    assert response.status_code == 200
    assert "Open cases by phase" not in response.content.decode()


def _queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return len(captured.captured_queries)


def _busy(therapist: User, number: int) -> None:
    family = make_family(therapist, title=f"Family {number:02d}", last=f"Name{number}")
    with_professionals(therapist, family)
    transitions.case_pause(actor=therapist, case=family.case, reason=f"Reason {number}")


def test_the_query_count_does_not_grow_with_the_cases(
    client: Client, therapist: User, clock: Any
) -> None:
    for number in range(2):
        _busy(therapist, number)
    login(client, therapist)
    with_two = _queries(client)

    for number in range(2, 7):
        _busy(therapist, number)
    with_seven = _queries(client)

    assert with_two == with_seven
    board: Dashboard = dashboard_for(therapist)
    assert (board.open_cases, len(board.paused), len(board.reports_due)) == (7, 7, 7)


def licence(user: User, expires_in_days: int) -> None:
    qualification_record(
        actor=None,
        user=user,
        licence_type="lmft",
        licence_number=f"LMFT-{user.pk}",
        licence_state="CA",
        licence_expires_on=timezone.localdate() + expires_in_days * DAY,
        training_areas=[],
    )


def test_licences_expiring_soon_or_expired_are_listed_for_the_team(
    client: Client, therapist: User, supervisor: User, outsider: User
) -> None:
    licence(therapist, 12)
    licence(supervisor, 200)
    licence(outsider, 3)

    mine = dashboard_for(therapist).licences_expiring
    assert [(e.what, e.days_left) for e in mine] == [
        (f"Tess Hale: Licensed marriage and family therapist (LMFT) LMFT-{therapist.pk} (CA)", 12)
    ]
    assert [e.days_left for e in dashboard_for(supervisor).licences_expiring] == [12]
    assert [e.days_left for e in dashboard_for(outsider).licences_expiring] == [3]

    licence(therapist, -2)
    login(client, supervisor)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Tess Hale: Licensed marriage and family therapist (LMFT)" in page
    assert "Expired" in page
