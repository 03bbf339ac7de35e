"""The clinical record's parts of the case page and of the caseload, each loaded in a fixed
number of queries: the sessions (with held visits and arrangements), the contact ladder, and a
caseload row's attendance. The case page (`cases.views`) and the clinical pages that show it
again with a bound form both build them here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms as django_forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.cases.models import Case, Party, PartyRole, Phase
from reunify.clinical import forms, selectors
from reunify.clinical.models import (
    Appointment,
    AppointmentStatus,
    ChildAssent,
    ContactRung,
    LadderStep,
    Letter,
    ParentingArrangement,
)
from reunify.process.gates import GateClosed, contact_visits_of

Form = django_forms.Form


# The case page's past sessions come this many at a time.
SESSIONS_PER_PAGE = 20


@dataclass
class CaseClinical:
    """What the case page shows of the clinical record, loaded in a fixed number of queries."""

    upcoming: list[Appointment]
    past: Sequence[Appointment]  # a page of them
    attendance: list[selectors.Attendance]
    held: selectors.HeldVisits
    arrangements: list[ParentingArrangement]
    now: dt.datetime
    ladder: selectors.LadderView | None = None
    steps: list[LadderStep] = field(default_factory=list)
    assents: list[tuple[ChildAssent, Party | None, ContactRung | None]] = field(
        default_factory=list
    )
    letters: list[Letter] = field(default_factory=list)
    may_read_letters: bool = False
    may_climb: bool = False
    step_up_form: Form | None = None
    step_down_form: Form | None = None
    assent_form: Form | None = None
    refused: GateClosed | None = None


def case_sections(
    user: User,
    case: Case,
    *,
    may_edit: bool,
    bound: dict[str, Form] | None = None,
    refused: GateClosed | None = None,
    section: str = "ladder",
    page: str | None = None,
) -> dict[str, Any]:
    """The case page's sessions and arrangement (`page` of the past ones), or its ladder (then
    `case` comes with its gate facts)."""
    bound = bound or {}
    now = timezone.now()
    sections = CaseClinical(
        upcoming=[],
        past=[],
        attendance=[],
        held=selectors.HeldVisits(),
        arrangements=[],
        now=now,
        refused=refused,
    )
    if section == "sessions":
        # Every session to come and every held visit (they need telling); the rest a page at a
        # time, newest first, so a year of sessions with their notes is not one page.
        scheduled = selectors.appointments_of(case)
        to_come = Q(starts_at__gte=now, status=AppointmentStatus.SCHEDULED)
        past = scheduled.exclude(to_come).order_by("-starts_at", "-id")
        sections.upcoming = list(scheduled.filter(to_come))
        sections.past = Paginator(past, SESSIONS_PER_PAGE).get_page(page)
        sections.attendance = selectors.attendance_of(case)
        sections.held = selectors.held_visits(list(scheduled.filter(status=AppointmentStatus.HELD)))
        sections.arrangements = list(ParentingArrangement.objects.filter(case=case))
        return {"clinical": sections}
    # The ladder's gate reads the visits on its current rung, as the case's gate facts hold them.
    appointments = contact_visits_of(case)
    view = selectors.ladder_view(case, appointments)
    if view is None:
        return {"clinical": sections}
    # Parties and rungs are already loaded: point the steps and assents at them, no query each.
    parties = {party.pk: party for party in case.parties.all()}
    rungs = {rung.pk: rung for rung in view.rungs}
    sections.ladder = view
    sections.steps = sorted(view.ladder.steps.all(), key=lambda s: (s.at, s.pk), reverse=True)
    sections.assents = [
        (a, parties.get(a.child_id), rungs.get(a.rung_id))
        for a in sorted(view.ladder.assents.all(), key=lambda a: (a.recorded_at, a.pk))
    ][::-1]
    sections.letters = [
        letter for rung in view.rungs if rung.letters for letter in rung.letters_exchanged.all()
    ][::-1]
    sections.may_read_letters = access.may_read_letters(user, case)
    sections.may_climb = may_edit and case.phase == Phase.THERAPEUTIC_CONTACT
    if sections.may_climb:
        position = forms.current_position(view.ladder)
        above = [r for r in view.rungs if r.position > position]
        sections.step_up_form = bound.get("step_up") or forms.StepUpForm(prefix="step_up")
        sections.step_down_form = bound.get("step_down") or forms.StepDownForm(
            prefix="step_down", rungs_below=[r for r in view.rungs if r.position < position]
        )
        sections.assent_form = bound.get("assent") or forms.AssentForm(
            prefix="assent",
            children=[p for p in parties.values() if p.role == PartyRole.CHILD],
            rungs=above,
            initial={"rung": str(above[0].pk) if above else ""},
        )
    return {"clinical": sections}


@dataclass(frozen=True)
class CaseloadSessions:
    """A caseload row's sessions: held against due per party, and check-ins overdue."""

    attendance: list[selectors.Attendance]
    overdue_checkins: int


def caseload_sessions(cases: list[Case]) -> dict[int, CaseloadSessions]:
    """For the caseload: two queries however many cases (their parties come prefetched)."""
    attendance = selectors.attendance_for(cases)
    overdue = selectors.overdue_checkins(cases)
    return {
        case.pk: CaseloadSessions(attendance.get(case.pk, []), overdue.get(case.pk, 0))
        for case in cases
    }
