"""A case with something to report: a court that may receive reports, an attorney who may not,
sessions held (signed and unsigned), a cancellation, a no-show, a contact visit, a pause, goals
rated over time, and a psychotherapy note that must never be read.

The clock is the test's `time_machine`, stopped at START and moved forward as things happen.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from pypdf import PdfReader

from reunify.accounts.models import User
from reunify.cases.models import CourtOrder, Party, PartyRole, ResumeConditions, TermKind
from reunify.cases.services import TermInput
from reunify.clinical import services as clinical
from reunify.clinical.models import AppointmentKind
from reunify.clinical.tests.factories import (
    DAY,
    HOUR,
    held_session,
    in_contact,
    make_appointment,
    make_note,
    make_visit,
)
from reunify.conftest import Family, add_party, committing, screen
from reunify.disclosure.models import Category
from reunify.disclosure.services import release_grant
from reunify.documents import storage
from reunify.measures.services import goal_add, goal_rate, willingness_record
from reunify.process import pausing, transitions
from reunify.reports.models import IssuedReport, TerminationNotice
from reunify.reports.services import report_issue

PSYCHOTHERAPY_SECRET = "I privately think the father deserves sole custody of Mia."
DRAFT_SECRET = "Draft only: Laura mentioned the new flat on Juniper Street."
PROTECTED_ADDRESS = "17 Quiet Lane"
SUMMARY = "Mia attended every session she was due at. Contact moved to in-office visits."
COURT_CASE = "FL-2030-000123"


@dataclass
class Reporting:
    """The family with its professionals, and what happened in the period."""

    family: Family
    order: CourtOrder
    court: Party
    attorney: Party
    gal: Party
    start: dt.date


def today() -> dt.date:
    return timezone.localdate()


def with_professionals(therapist: User, family: Family) -> Reporting:
    """A court covered by a court order for court reports; an attorney whose signed release
    covers attendance only; a guardian ad litem with no release at all."""
    case = family.case
    order = pausing.court_order_record(
        actor=therapist,
        case=case,
        court="Superior Court of Elmshire County, Family Division",
        court_case_number=COURT_CASE,
        judge="Hon. Ada Quill",
        issued_on=today(),
        terms=[TermInput(kind=TermKind.REPORTING_DUTY, due_on=today() + 60 * DAY, text="Progress")],
    )
    court = add_party(
        therapist, case, PartyRole.COURT, "Clerk", "Elmshire", organisation="Family Division"
    )
    attorney = add_party(
        therapist,
        case,
        PartyRole.ATTORNEY,
        "Priya",
        "Shah",
        represents=family.estranged,
        email="priya@example.invalid",
    )
    gal = add_party(therapist, case, PartyRole.GAL, "Gus", "Gardner")
    release_grant(
        actor=therapist,
        case=case,
        recipient=court,
        categories=[Category.COURT_REPORTS, Category.PROGRESS],
        purpose="Progress reports ordered by the court",
        expires_on=today() + 365 * DAY,
        court_order=order,
    )
    release_grant(
        actor=therapist,
        case=case,
        recipient=attorney,
        categories=[Category.ATTENDANCE],
        purpose="Attendance for the client's attorney",
        expires_on=today() + 20 * DAY,
        granted_by=family.estranged,
    )
    return Reporting(family, order, court, attorney, gal, today())


def a_period_of_therapy(therapist: User, family: Family, clock: Any) -> Reporting:
    """Walk the case into contact and through a fortnight worth reporting on."""
    reporting = with_professionals(therapist, family)
    for party in (family.child, family.estranged, family.other):
        willingness_record(
            actor=therapist, case=family.case, party=party, level="open", rated_on=today()
        )
    in_contact(therapist, family)
    case = family.case

    signed = held_session(therapist, family, clock, participants=[family.child])
    make_note(therapist, signed, sign=True)

    unsigned = held_session(therapist, family, clock, participants=[family.estranged])
    make_note(
        therapist,
        unsigned,
        body={"data": DRAFT_SECRET, "assessment": "Open.", "plan": "Weekly."},
    )

    cancelled = make_appointment(
        therapist, family, AppointmentKind.INDIVIDUAL, participants=[family.other]
    )
    clock.move_to(cancelled.starts_at - 3 * HOUR)
    clinical.appointment_cancel(
        actor=therapist, appointment=cancelled, cancelled_by="party", party=family.other
    )

    missed = make_appointment(therapist, family, AppointmentKind.FAMILY)
    clock.move_to(missed.starts_at + HOUR)
    clinical.appointment_no_show(actor=therapist, appointment=missed, party=family.estranged)

    make_visit(therapist, family, clock=clock, record=True)

    clinical.psychotherapy_note_write(actor=therapist, case=case, text=PSYCHOTHERAPY_SECRET)

    goal = goal_add(actor=therapist, case=case, standard="emotional_safety", baseline=3, target=8)
    goal_rate(actor=therapist, goal=goal, value=4, rated_on=today() - 2 * DAY)
    goal_rate(actor=therapist, goal=goal, value=6, rated_on=today())

    clock.move_to(timezone.now() + DAY)
    transitions.case_pause(actor=therapist, case=case, reason="Mia asked to slow down.")
    clock.move_to(timezone.now() + DAY)
    screen(therapist, case)
    transitions.case_resume(
        actor=therapist, case=case, conditions=[ResumeConditions.FURTHER_INDIVIDUAL_THERAPY]
    )
    clock.move_to(timezone.now() + DAY)
    return reporting


def issue(therapist: User, reporting: Reporting, **overrides: Any) -> IssuedReport:
    fields: dict[str, Any] = {
        "start": reporting.start,
        "end": today(),
        "summary": SUMMARY,
    }
    fields.update(overrides)
    with committing():
        return report_issue(actor=therapist, case=reporting.family.case, **fields)


def stored_bytes(item: IssuedReport | TerminationNotice) -> bytes:
    with storage.file_open(item.stored_name) as handle:
        return handle.read()


def pdftotext(data: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it, whitespace collapsed."""
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    return " ".join(out.split())


def pypdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() or "" for page in reader.pages).split())


def body(response: Any) -> bytes:
    """A download's bytes; the test client closes the response (and the file) at the end."""
    return b"".join(response.streaming_content)
