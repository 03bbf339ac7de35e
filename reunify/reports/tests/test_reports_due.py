"""Reporting duties recur: a duty's next report falls due one cadence step after the last
report issued (its first due date until then); `reports_due` is the one rule, and the
dashboard reads it."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases import services as case_services
from reunify.cases.models import Cadence, CourtOrder, CourtTerm, TermKind
from reunify.cases.services import TermInput
from reunify.conftest import Family, bearer, login
from reunify.process import pausing
from reunify.reports.dashboard import ReportDue, dashboard_for, reports_due
from reunify.reports.tests.factories import Reporting, issue, with_professionals

LOCAL = ZoneInfo(settings.TIME_ZONE)
START = dt.datetime(2030, 6, 3, 9, 0, tzinfo=LOCAL)


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


def on(clock: Any, day: dt.date) -> None:
    clock.move_to(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=LOCAL), tick=False)


@pytest.fixture
def reporting(therapist: User, family: Family) -> Reporting:
    """The court's one-off report due 2030-08-02 (60 days on), under order 1."""
    return with_professionals(therapist, family)


def duty(therapist: User, family: Family, cadence: str, every: int, due_on: dt.date) -> CourtOrder:
    return pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-2030-7",
        issued_on=timezone.localdate(),
        terms=[
            TermInput(
                kind=TermKind.REPORTING_DUTY,
                due_on=due_on,
                cadence=cadence,
                every=every,
                text="Progress report to the court",
            )
        ],
    )


def due(family: Family) -> list[tuple[int, dt.date, bool]]:
    return [(d.order_number, d.due_on, d.overdue) for d in reports_due([family.case])]


def test_a_monthly_duty_is_due_a_month_after_each_report_issued(
    therapist, family, reporting, clock
):
    duty(therapist, family, Cadence.MONTHS, 1, dt.date(2030, 6, 30))
    assert due(family) == [(2, dt.date(2030, 6, 30), False), (1, dt.date(2030, 8, 2), False)]

    on(clock, dt.date(2030, 7, 2))
    assert due(family)[0] == (2, dt.date(2030, 6, 30), True)

    issue(therapist, reporting)

    # The one-off duty is met; the monthly one comes round again a month after the report.
    assert due(family) == [(2, dt.date(2030, 8, 2), False)]
    on(clock, dt.date(2030, 8, 5))
    assert due(family) == [(2, dt.date(2030, 8, 2), True)]


def test_a_duty_every_two_weeks_counts_from_the_last_report(therapist, family, reporting, clock):
    duty(therapist, family, Cadence.WEEKS, 2, dt.date(2030, 6, 10))
    on(clock, dt.date(2030, 6, 12))
    issue(therapist, reporting)
    on(clock, dt.date(2030, 6, 20))
    issue(therapist, reporting)

    assert due(family) == [(2, dt.date(2030, 7, 4), False)]


def test_a_month_after_the_31st_is_the_last_day_of_a_shorter_month(
    therapist, family, reporting, clock
):
    on(clock, dt.date(2031, 1, 31))
    duty(therapist, family, Cadence.MONTHS, 1, dt.date(2031, 1, 31))
    issue(therapist, reporting)

    assert due(family) == [(2, dt.date(2031, 2, 28), False)]


def test_reports_before_the_order_do_not_count(therapist, family, reporting, clock):
    issue(therapist, reporting)
    on(clock, dt.date(2030, 6, 10))
    duty(therapist, family, Cadence.MONTHS, 1, dt.date(2030, 7, 1))

    assert due(family) == [(2, dt.date(2030, 7, 1), False)]


def test_an_ended_duty_asks_for_nothing(therapist, family, reporting, clock):
    monthly = duty(therapist, family, Cadence.MONTHS, 1, dt.date(2030, 6, 30))
    case_services.court_order_end(
        actor=therapist, order=monthly, ended_on=timezone.localdate(), reason="Reports stop."
    )

    assert [d.order_number for d in reports_due([family.case])] == [1]


def test_the_dashboard_lists_what_the_rule_gives(therapist, family, reporting, clock):
    duty(therapist, family, Cadence.MONTHS, 1, dt.date(2030, 6, 30))
    board = dashboard_for(therapist).reports_due
    assert board == reports_due([family.case])
    assert all(isinstance(item, ReportDue) for item in board)
    assert isinstance(board[0].term, CourtTerm) and board[0].term.cadence == Cadence.MONTHS


def test_the_rule_reads_many_cases_in_two_queries(
    therapist, family, reporting, outsider, other_family, django_assert_num_queries
):
    with_professionals(outsider, other_family)
    with django_assert_num_queries(2):
        found = reports_due([family.case, other_family.case])
    assert len(found) == 2


@pytest.mark.parametrize(
    ("term", "message"),
    [
        (TermInput(kind=TermKind.OTHER, text="x", cadence=Cadence.MONTHS), "Only a reporting duty"),
        (
            TermInput(
                kind=TermKind.REPORTING_DUTY,
                due_on=dt.date(2030, 7, 1),
                cadence=Cadence.MONTHS,
                every=13,
            ),
            "every 1 to 12 months",
        ),
        (
            TermInput(kind=TermKind.REPORTING_DUTY, due_on=dt.date(2030, 7, 1), cadence="yearly"),
            "Unknown cadence",
        ),
    ],
)
def test_a_bad_cadence_is_refused(therapist, family, term, message):
    with pytest.raises(ValidationError, match=message):
        pausing.court_order_record(
            actor=therapist,
            case=family.case,
            court="Superior Court",
            court_case_number="FL-1",
            issued_on=timezone.localdate(),
            terms=[term],
        )
    assert not CourtOrder.objects.exists()


def test_the_order_page_records_a_monthly_duty(client: Client, therapist, family):
    login(client, therapist)

    response = client.post(
        reverse("court_order_new", args=[family.case.pk]),
        {
            "court": "Superior Court",
            "court_case_number": "FL-1",
            "issued_on": "2030-06-03",
            "term-1-kind": "reporting_duty",
            "term-1-due_on": "2030-06-30",
            "term-1-cadence": "months",
            "term-1-every": "1",
        },
    )

    assert response.status_code == 302
    term = CourtTerm.objects.get(order__case=family.case)
    assert (term.cadence, term.every) == (Cadence.MONTHS, 1)
    assert term.describe() == (
        "report to the court due 2030-06-30, then every month after each report"
    )


def test_the_api_records_and_shows_the_cadence(client: Client, therapist, family):
    response = client.post(
        f"/api/v1/cases/{family.case.pk}/court-orders",
        {
            "court": "Superior Court",
            "court_case_number": "FL-1",
            "issued_on": "2030-06-03",
            "terms": [
                {"kind": "reporting_duty", "due_on": "2030-06-30", "cadence": "weeks", "every": 4}
            ],
        },
        content_type="application/json",
        headers=bearer(therapist),
    )

    assert response.status_code == 201
    term = response.json()["terms"][0]
    assert (term["cadence"], term["every"]) == ("weeks", 4)
    assert term["description"].endswith("then every 4 weeks after each report")
