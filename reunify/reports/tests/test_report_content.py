"""What a court progress report says, read back from the PDF with pdftotext and pypdf: every
section; signed records only; never a psychotherapy note, a draft note, a protected address, a
contact detail or a custody opinion."""

from __future__ import annotations

from typing import Any

import pytest

from reunify.accounts.models import User
from reunify.clinical.services import opinion_words
from reunify.clinical.tests.factories import stopped_clock
from reunify.conftest import Family
from reunify.reports.models import IssuedReport
from reunify.reports.tests.factories import (
    COURT_CASE,
    DRAFT_SECRET,
    PROTECTED_ADDRESS,
    PSYCHOTHERAPY_SECRET,
    SUMMARY,
    Reporting,
    a_period_of_therapy,
    issue,
    pdftotext,
    pypdf_text,
    stored_bytes,
)


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def reporting(therapist: User, family: Family, clock: Any) -> Reporting:
    return a_period_of_therapy(therapist, family, clock)


@pytest.fixture
def report(therapist: User, reporting: Reporting) -> IssuedReport:
    return issue(therapist, reporting)


@pytest.fixture
def text(report: IssuedReport) -> str:
    return pdftotext(stored_bytes(report))


SECTIONS = [
    "Court progress report",
    "Case and court",
    "Limits of use.",
    "Phase history and pauses",
    "Attendance",
    "Who cancelled",
    "Contact ladder",
    "Recorded contact visits",
    "Progress on treatment goals",
    "Therapist's summary",
    "Provided to",
]


def test_it_has_every_section(text: str) -> None:
    for heading in SECTIONS:
        assert heading in text, heading


def test_both_extractors_read_the_same_sections(report: IssuedReport) -> None:
    text = pypdf_text(stored_bytes(report))
    for heading in SECTIONS:
        assert heading in text, heading


def test_it_names_the_case_and_the_court_on_every_page(report: IssuedReport, text: str) -> None:
    assert report.pages >= 2
    assert text.count(f"Court case {COURT_CASE}") >= report.pages
    assert "Superior Court of Elmshire County, Family Division" in text
    assert "Hon. Ada Quill" in text
    for page in range(1, report.pages + 1):
        assert f"Page {page} of {report.pages}" in text


def test_it_counts_only_sessions_with_signed_records(text: str) -> None:
    # Columns: scheduled, held, cancelled by them, by others, did not attend, not counted.
    assert "Mia Rivers (child) 3 2 0 1 0 0" in text
    # Daniel's own session took place, but its note is still a draft: not counted as held.
    assert "Daniel Rivers (estranged parent) 3 1 0 0 1 1" in text
    assert "Laura Rivers (other parent) 2 0 1 (1 with less than 24 hours' notice) 1 0 0" in text


def test_it_says_who_cancelled_and_how_late(text: str) -> None:
    assert "Laura Rivers (other parent) 3 hours (late)" in text


def test_it_has_the_phase_history_the_pause_and_the_ladder(text: str) -> None:
    assert "Moved from individual work to therapeutic contact." in text
    assert "Contact paused for safety." in text
    assert "slow down" not in text  # the pause's clinical reason stays in the record
    assert "Resumed. Conditions met: Further individual therapy completed." in text
    assert "Started on “Letters and messages”." in text


def test_goals_are_described_in_plain_words(text: str) -> None:
    assert (
        "Rebuild emotional safety Rated 4 out of 10 at the start of this period and 6 at its end "
        "(starting point 3, aim 8); direction: improved." in text
    )


def test_it_carries_the_signed_summary_and_the_recipients(text: str) -> None:
    assert SUMMARY in text
    assert "Signed by Tess Hale, therapist" in text
    assert "Clerk Elmshire (court, Family Division), under court order 1" in text
    assert "Priya Shah" not in text  # her release covers attendance, not court reports
    assert "Gus Gardner" not in text


def test_it_never_carries_a_psychotherapy_note_a_draft_or_a_protected_address(
    report: IssuedReport,
) -> None:
    data = stored_bytes(report)
    for text in (pdftotext(data), pypdf_text(data)):
        assert PSYCHOTHERAPY_SECRET not in text
        assert "sole custody" not in text
        assert DRAFT_SECRET not in text
        assert "Juniper Street" not in text
        assert PROTECTED_ADDRESS not in text
        assert "Hidden Town" not in text
        assert "priya@example.invalid" not in text


def test_it_never_recommends_custody(text: str) -> None:
    assert "recommend" not in text.lower()
    assert opinion_words(text) == []
    # "custody" appears once, in the caveat that says the report is no custody evaluation.
    assert text.lower().count("custody") == 2
    assert "It is not a custody evaluation" in text
    assert "offers no opinion on custody" in text


def test_the_substance_use_notice_travels_with_a_report_that_carries_it(
    therapist: User, reporting: Reporting
) -> None:
    plain = pdftotext(stored_bytes(issue(therapist, reporting)))
    tagged = pdftotext(stored_bytes(issue(therapist, reporting, substance_use=True)))

    assert "42 CFR part 2" not in plain
    assert "Notice on redisclosure" in tagged
    assert "42 CFR part 2" in tagged


def test_the_period_bounds_the_content(therapist: User, reporting: Reporting) -> None:
    later = issue(therapist, reporting, start=reporting.start.replace(day=reporting.start.day + 7))
    text = pdftotext(stored_bytes(later))

    assert "At the start of the period the case was in therapeutic contact" in text
    assert "Moved from individual work" not in text
    assert "Laura Rivers (other parent) 3 hours" not in text
