"""The caseload dashboard: where a therapist's (or a supervisor's team's) cases stand.

Cases by phase, paused cases and why, safety re-screens due, court reports due under the
reporting duties of court orders, releases about to expire, licences about to expire, the time
cases spend in each phase, and how closed cases ended. Every figure comes from the cases
`access.cases_for` lets the user see, in a fixed number of queries however many there are.
"""

from __future__ import annotations

import calendar
import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone

from reunify import access
from reunify.accounts.models import Qualification, Role, User
from reunify.cases.models import (
    PHASE_ORDER,
    Cadence,
    Case,
    CourtTerm,
    Outcome,
    Phase,
    TermKind,
    Transition,
    TransitionKind,
)
from reunify.disclosure.models import Release
from reunify.reports.models import IssuedReport
from reunify.safety.models import Screening

# How far ahead the dashboard looks for things about to fall due or expire.
SCREEN_AHEAD_DAYS = 7
EXPIRY_AHEAD_DAYS = 30


@dataclass(frozen=True)
class PhaseLine:
    """One phase: the open cases in it now and for how long, and how long past stays lasted."""

    phase: str
    label: str
    count: int
    median_days_so_far: float | None
    finished: int
    median_days: float | None


@dataclass(frozen=True)
class PausedCase:
    case: Case
    since: dt.date
    days: int
    reason: str


@dataclass(frozen=True)
class ScreenDue:
    case: Case
    due_on: dt.date | None  # None: never screened

    @property
    def overdue(self) -> bool:
        return self.due_on is None or self.due_on < timezone.localdate()


@dataclass(frozen=True)
class ReportDue:
    """The next court report a reporting duty asks for: a one-off duty no issued report has
    met yet, or the next report of a recurring one."""

    case: Case
    order_number: int
    court_case_number: str
    due_on: dt.date
    text: str
    term: CourtTerm

    @property
    def overdue(self) -> bool:
        return self.due_on < timezone.localdate()


@dataclass(frozen=True)
class Expiring:
    """A release, or a therapist's licence, that expires soon."""

    what: str
    case: Case | None
    expires_on: dt.date

    @property
    def days_left(self) -> int:
        return (self.expires_on - timezone.localdate()).days


@dataclass(frozen=True)
class ClosedCase:
    case: Case
    days: int


@dataclass(frozen=True)
class OutcomeLine:
    outcome: str
    label: str
    cases: list[ClosedCase]

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def median_days(self) -> float | None:
        return _median([c.days for c in self.cases])


@dataclass
class Dashboard:
    open_cases: int
    closed_cases: int
    phases: list[PhaseLine]
    paused: list[PausedCase]
    screens_due: list[ScreenDue]
    reports_due: list[ReportDue]
    releases_expiring: list[Expiring]
    licences_expiring: list[Expiring]
    outcomes: list[OutcomeLine]
    named: list[Case] = field(default_factory=list)


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _days(start: dt.datetime, end: dt.datetime) -> int:
    return (timezone.localdate(end) - timezone.localdate(start)).days


def _screens_due(open_cases: list[Case], today: dt.date) -> list[ScreenDue]:
    latest = dict(
        Screening.objects.filter(case_id__in=[c.pk for c in open_cases])
        .values("case_id")
        .annotate(last=Max("screened_on"))
        .values_list("case_id", "last")
    )
    horizon = today + dt.timedelta(days=SCREEN_AHEAD_DAYS)
    valid = dt.timedelta(days=settings.REUNIFY_SCREEN_VALID_DAYS)
    due = []
    for case in open_cases:
        last = latest.get(case.pk)
        due_on = last + valid if last else None
        if due_on is None or due_on <= horizon:
            due.append(ScreenDue(case, due_on))
    return sorted(due, key=lambda d: (d.due_on or dt.date.min, d.case.title))


def _after(day: dt.date, term: CourtTerm) -> dt.date:
    """The day one cadence step after `day` (a month after 31 January is 28 or 29 February)."""
    if term.cadence == Cadence.WEEKS:
        return day + dt.timedelta(weeks=term.every)
    month = day.month - 1 + term.every
    year, month = day.year + month // 12, month % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def reports_due(cases: list[Case], *, today: dt.date | None = None) -> list[ReportDue]:
    """The next court report each reporting duty in force asks for, soonest first.

    A one-off duty is met by the first report issued on or after its order (or the start of
    the amendment that added it) that no earlier duty has used; once met, it is no longer due.
    A recurring duty is due on its first due date until a report is issued on or after its
    order, and from then one cadence step after the last report issued for the case (every N
    weeks, or every N months on the same day of the month). Ended, amended and superseded
    terms ask for nothing. One query for the terms, one for the reports, however many cases.
    """
    today = today or timezone.localdate()
    by_id = {c.pk: c for c in cases}
    terms = [
        term
        for term in CourtTerm.objects.filter(order__case_id__in=by_id, kind=TermKind.REPORTING_DUTY)
        .exclude(due_on__isnull=True)
        .select_related("order")
        .order_by("due_on", "id")
        if term.in_force(today)
    ]
    issued: dict[int, list[dt.date]] = defaultdict(list)
    for case_id, at in (
        IssuedReport.objects.filter(case_id__in=by_id)
        .order_by("issued_at")
        .values_list("case_id", "issued_at")
    ):
        issued[case_id].append(timezone.localdate(at))
    unused = {case_id: list(days) for case_id, days in issued.items()}
    due = []
    for term in terms:
        assert term.due_on is not None
        since = term.starts_on or term.order.issued_on
        if term.cadence == Cadence.ONCE:
            reports = unused.get(term.order.case_id, [])
            met = next((day for day in reports if day >= since), None)
            if met is not None:
                reports.remove(met)
                continue
            due_on = term.due_on
        else:
            later = [day for day in issued[term.order.case_id] if day >= since]
            due_on = _after(later[-1], term) if later else term.due_on
        due.append(
            ReportDue(
                by_id[term.order.case_id],
                term.order.number,
                term.order.court_case_number,
                due_on,
                term.text,
                term,
            )
        )
    return sorted(due, key=lambda d: (d.due_on, d.case.title, d.term.pk))


def _releases_expiring(cases: list[Case], today: dt.date) -> list[Expiring]:
    by_id = {c.pk: c for c in cases}
    releases = (
        Release.objects.filter(
            case_id__in=by_id,
            revoked_at__isnull=True,
            granted_on__lte=today,
            expires_on__gte=today,
            expires_on__lte=today + dt.timedelta(days=EXPIRY_AHEAD_DAYS),
        )
        .select_related("recipient__person")
        .order_by("expires_on", "id")
    )
    return [
        Expiring(f"Release to {r.recipient.label}", by_id[r.case_id], r.expires_on)
        for r in releases
        if not by_id[r.case_id].is_closed
    ]


def _licences_expiring(user: User, today: dt.date) -> list[Expiring]:
    """The user's licence (a supervisor's: the team's too) expiring soon or expired."""
    people = Q(user=user)
    if user.role == Role.SUPERVISOR:
        people |= Q(user__supervisor=user)
    licences = (
        Qualification.objects.filter(
            people, licence_expires_on__lte=today + dt.timedelta(days=EXPIRY_AHEAD_DAYS)
        )
        .select_related("user")
        .order_by("licence_expires_on", "id")
    )
    return [Expiring(f"{q.user.display_name}: {q}", None, q.licence_expires_on) for q in licences]


def _phases(cases: list[Case], now: dt.datetime) -> list[PhaseLine]:
    """Open cases per phase with their days in it so far; finished stays from the history."""
    moves = Transition.objects.filter(
        case_id__in=[c.pk for c in cases],
        kind__in=(
            TransitionKind.OPEN,
            TransitionKind.ADVANCE,
            TransitionKind.OVERRIDE,
            TransitionKind.CLOSE,
        ),
    ).order_by("case_id", "at", "id")
    finished: dict[str, list[int]] = defaultdict(list)
    entered: dict[int, tuple[str, dt.datetime]] = {}
    for case_id, to_phase, at in moves.values_list("case_id", "to_phase", "at"):
        if case_id in entered:
            phase, since = entered[case_id]
            finished[phase].append(_days(since, at))
        entered[case_id] = (to_phase, at)
    so_far: dict[str, list[int]] = defaultdict(list)
    for case in cases:
        if not case.is_closed:
            so_far[case.phase].append(_days(case.phase_entered_at, now))
    return [
        PhaseLine(
            phase,
            Phase(phase).label,
            len(so_far[phase]),
            _median(so_far[phase]),
            len(finished[phase]),
            _median(finished[phase]),
        )
        for phase in PHASE_ORDER
        if phase != Phase.CLOSED
    ]


def _outcomes(closed: list[Case]) -> list[OutcomeLine]:
    lines = []
    for outcome in Outcome:
        cases = [
            ClosedCase(c, _days(c.opened_at, c.closed_at or c.opened_at))
            for c in closed
            if c.outcome == outcome
        ]
        lines.append(OutcomeLine(outcome.value, outcome.label, cases))
    return lines


def dashboard_for(user: User) -> Dashboard:
    """The dashboard of the cases this user may see (a supervisor: their team's)."""
    now = timezone.now()
    today = timezone.localdate(now)
    cases = list(access.cases_for(user).order_by("title", "id"))
    open_cases = [c for c in cases if not c.is_closed]
    closed = [c for c in cases if c.is_closed]
    paused = [
        PausedCase(c, timezone.localdate(c.paused_at), _days(c.paused_at, now), c.pause_reason)
        for c in open_cases
        if c.paused_at is not None
    ]
    board = Dashboard(
        open_cases=len(open_cases),
        closed_cases=len(closed),
        phases=_phases(cases, now),
        paused=sorted(paused, key=lambda p: p.since),
        screens_due=_screens_due(open_cases, today),
        reports_due=reports_due(open_cases, today=today),
        releases_expiring=_releases_expiring(open_cases, today),
        licences_expiring=_licences_expiring(user, today),
        outcomes=_outcomes(closed),
    )
    shown: list[Case | None] = [
        *(p.case for p in board.paused),
        *(s.case for s in board.screens_due),
        *(r.case for r in board.reports_due),
        *(e.case for e in board.releases_expiring),
        *(c.case for line in board.outcomes for c in line.cases),
    ]
    named = {case.pk: case for case in shown if case is not None}
    board.named = sorted(named.values(), key=lambda c: (c.title, c.pk))
    return board
