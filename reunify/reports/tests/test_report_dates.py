"""A court progress report dates the case's history by when things took effect, not by when
they were typed in: a case opened weeks ago and recorded today never reads as opened after the
visits the report lists. Read back from the PDF with pdftotext."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from reunify.accounts.models import User
from reunify.clinical.tests.factories import facts, make_visit, now, stopped_clock
from reunify.conftest import complete_assessment, complete_modules, make_family, rate_all_ready
from reunify.process import pausing, transitions
from reunify.reports.services import report_issue
from reunify.reports.tests.factories import SUMMARY, pdftotext, stored_bytes, today

DAY = dt.timedelta(days=1)
ISO = r"\d{4}-\d{2}-\d{2}"


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


def day(days_ago: int) -> dt.date:
    return today() - days_ago * DAY


@pytest.fixture
def text(therapist: User) -> str:
    """A family referred 20 days ago and opened 18 days ago, in contact since 12 days ago with
    three visits after that, all recorded today."""
    family = make_family(therapist, opened_on=day(18))
    complete_assessment(therapist, family)
    transitions.case_advance(actor=therapist, case=family.case, effective_on=day(16))
    complete_modules(therapist, family)
    transitions.case_advance(actor=therapist, case=family.case, effective_on=day(14))
    rate_all_ready(therapist, family)
    transitions.case_advance(actor=therapist, case=family.case, effective_on=day(12))
    for days_ago in (10, 8, 6):
        visit = make_visit(therapist, family, when=now() - days_ago * DAY)
        pausing.contact_record(actor=therapist, appointment=visit, facts=facts())
    report = report_issue(
        actor=therapist, case=family.case, start=day(20), end=today(), summary=SUMMARY
    )
    return pdftotext(stored_bytes(report))


def test_the_report_says_the_case_opened_before_the_visits_it_lists(text: str) -> None:
    opened = re.search(rf"opened on ({ISO})", text)
    assert opened is not None
    assert opened.group(1) == str(day(18))
    visits = text[text.index("Recorded contact visits") :]
    first, last = re.findall(rf"({ISO}) to ({ISO})", visits)[0]
    assert (first, last) == (str(day(10)), str(day(6)))
    assert opened.group(1) < first


def test_the_phase_history_and_the_ladder_are_dated_when_they_took_effect(text: str) -> None:
    assert f"{day(18)} Case opened, in assessment." in text
    assert f"{day(16)} Moved from assessment to psychoeducation and preparation." in text
    assert f"{day(12)} Moved from individual work to therapeutic contact." in text
    assert f"{day(12)} Started on “Letters and messages”." in text
    # Nothing in the history is dated today: it was all recorded today, but happened before.
    history = text[text.index("Phase history and pauses") : text.index("Attendance")]
    assert str(today()) not in history
