"""Reads for reports and notices: what a court progress report says, the issued versions, and
which of them a legal party may download in the portal.

`report_facts` is the only place a report's content comes from. It reads signed records and
the case's own history only: a session counts as held when it took place and its progress note
is signed (or, for a contact visit, the visit is recorded); draft notes, note text and
psychotherapy notes are never read. Contact details are never read either.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import User
from reunify.cases.models import (
    FAMILY_ROLES,
    LEGAL_ROLES,
    Case,
    CourtOrder,
    Party,
    Phase,
    ResumeConditions,
    Transition,
    TransitionKind,
)
from reunify.clinical.models import (
    HELD_STATUSES,
    Appointment,
    AppointmentStatus,
    CancelledBy,
    LadderStep,
    ProgressNote,
)
from reunify.disclosure.models import REDISCLOSURE_NOTICE, Category, Channel, Disclosure, Release
from reunify.disclosure.selectors import covering_release
from reunify.measures.selectors import GoalSummary, goal_summaries
from reunify.reports.models import IssuedReport, TerminationNotice

logger = logging.getLogger(__name__)


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a local calendar day."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


@dataclass
class AttendanceLine:
    """One family member's sessions in the period: scheduled, held, and why the rest were not."""

    name: str
    role: str
    scheduled: int = 0
    held: int = 0
    cancelled_by_them: int = 0
    late_by_them: int = 0
    cancelled_by_others: int = 0
    missed: int = 0
    not_counted: int = 0


@dataclass(frozen=True)
class Cancellation:
    on: dt.date
    session: str
    by: str
    notice_hours: int | None

    @property
    def late(self) -> bool:
        return self.notice_hours is not None and self.notice_hours < 24


@dataclass(frozen=True)
class Visit:
    """A recorded contact visit: facts only (no observations text)."""

    on: dt.date
    rung: str
    minutes: int
    comfort_before: int
    comfort_after: int
    ended_early: str


@dataclass(frozen=True)
class RungVisits:
    """The recorded contact visits on one rung during the period, summed up."""

    rung: str
    visits: list[Visit]

    @property
    def count(self) -> int:
        return len(self.visits)

    @property
    def first(self) -> dt.date:
        return self.visits[0].on

    @property
    def last(self) -> dt.date:
        return self.visits[-1].on

    @property
    def minutes(self) -> int:
        return sum(v.minutes for v in self.visits)

    @staticmethod
    def _span(values: list[int]) -> str:
        low, high = min(values), max(values)
        return str(low) if low == high else f"{low} to {high}"

    @property
    def comfort_before(self) -> str:
        return self._span([v.comfort_before for v in self.visits])

    @property
    def comfort_after(self) -> str:
        return self._span([v.comfort_after for v in self.visits])

    @property
    def ended_early(self) -> list[Visit]:
        return [v for v in self.visits if v.ended_early]


def by_rung(visits: list[Visit]) -> list[RungVisits]:
    """Visits grouped by rung, in the order the rungs were first visited: a year of weekly
    visits reads as a few lines, and each visit that ended early is still named."""
    groups: dict[str, list[Visit]] = {}
    for visit in visits:
        groups.setdefault(visit.rung, []).append(visit)
    return [RungVisits(rung, group) for rung, group in groups.items()]


@dataclass(frozen=True)
class Happening:
    """One dated line of the phase history, in words."""

    on: dt.date
    what: str


@dataclass(frozen=True)
class Pause:
    """A pause as the court reads it: when, and the reason written for the court (if any)."""

    since: dt.date
    until: dt.date | None
    reason: str

    @property
    def days(self) -> int | None:
        return (self.until - self.since).days if self.until else None


@dataclass(frozen=True)
class GoalLine:
    """A treatment goal's progress over the period, in plain words."""

    title: str
    baseline: int
    target: int
    first: int | None
    last: int | None
    direction: str

    @property
    def words(self) -> str:
        if self.last is None:
            return "Not rated during this period."
        if self.first == self.last or self.first is None:
            rated = f"Rated {self.last} out of 10 during this period"
        else:
            rated = (
                f"Rated {self.first} out of 10 at the start of this period "
                f"and {self.last} at its end"
            )
        return (
            f"{rated} (starting point {self.baseline}, aim {self.target}); "
            f"direction: {self.direction}."
        )


@dataclass(frozen=True)
class GoalChart:
    """A goal's ratings drawn as SVG, with the goal's name as its caption."""

    title: str
    svg: str


@dataclass
class ReportFacts:
    """Everything a court progress report states, gathered from signed records only."""

    case: Case
    start: dt.date
    end: dt.date
    opened_on: dt.date
    court_orders: list[CourtOrder]
    family: list[Party]
    phase_at_start: str
    phase_at_end: str
    history: list[Happening]
    pauses: list[Pause]
    attendance: list[AttendanceLine]
    cancellations: list[Cancellation]
    visits: list[RungVisits]
    held_back: int
    rung_at_start: str
    rung_at_end: str
    ladder_steps: list[Happening]
    goals: list[GoalLine]
    charts: list[GoalChart] = field(default_factory=list)


_RESUME_WORDS = dict(ResumeConditions.choices)


def _phase_words(code: str) -> str:
    return Phase(code).label if code else ""


def _pause_words(pause: Transition) -> str:
    """What the court reads of a pause: never its clinical rationale (a contraindication, what
    a child said), only the reason the therapist wrote for the court, if any."""
    if pause.court_reason:
        return _("Contact paused: %(reason)s") % {"reason": pause.court_reason}
    return _("Contact paused for safety.")


def _history(
    case: Case, transitions: list[Transition], start: dt.date, end: dt.date
) -> tuple[str, str, list[Happening], list[Pause]]:
    """The phase at each end of the period (first and last day), the moves inside it, and the
    pauses touching it, each on the day it took effect."""
    phase_at_start = ""
    phase = ""
    history = []
    pauses = []
    paused: tuple[dt.date, str] | None = None
    for t in transitions:
        on = t.effective_on
        if on > end:
            break
        inside = on >= start
        if t.kind == TransitionKind.PAUSE:
            paused = (on, _pause_words(t))
            if inside:
                history.append(Happening(on, _pause_words(t)))
        elif t.kind == TransitionKind.RESUME:
            if paused and inside:
                pauses.append(Pause(paused[0], on, paused[1]))
            paused = None
            if inside:
                met = "; ".join(str(_RESUME_WORDS.get(c, c)) for c in t.conditions)
                history.append(Happening(on, f"Resumed. Conditions met: {met}."))
        else:
            phase = t.to_phase
            if inside:
                if t.kind == TransitionKind.OPEN:
                    words = f"Case opened, in {_phase_words(t.to_phase).lower()}."
                elif t.kind == TransitionKind.CLOSE:
                    words = f"Case closed: {case.get_outcome_display().lower()}."
                else:
                    words = (
                        f"Moved from {_phase_words(t.from_phase).lower()} to "
                        f"{_phase_words(t.to_phase).lower()}."
                    )
                history.append(Happening(on, words))
        if not inside:
            phase_at_start = phase
    if paused:
        pauses.append(Pause(paused[0], None, paused[1]))
    return phase_at_start, phase, history, pauses


def _signed_record() -> Exists:
    return Exists(ProgressNote.objects.filter(appointment=OuterRef("pk"), signed_at__isnull=False))


def _sessions(
    case: Case, family: list[Party], start: dt.datetime, end: dt.datetime
) -> tuple[list[AttendanceLine], list[Cancellation], list[Visit], int]:
    appointments = (
        Appointment.objects.filter(
            case=case, starts_at__gte=start, starts_at__lt=min(end, timezone.now())
        )
        .annotate(signed=_signed_record())
        .select_related("rung", "contact_record", "cancelled_by_party__person")
        .prefetch_related("participants")
        .order_by("starts_at", "id")
    )
    lines = {p.pk: AttendanceLine(p.person.full_name, p.get_role_display()) for p in family}
    cancellations = []
    visits = []
    held_back = 0
    for appointment in appointments:
        record = getattr(appointment, "contact_record", None) if appointment.is_contact else None
        if appointment.status == AppointmentStatus.HELD:
            held_back += 1
            continue
        on = timezone.localdate(appointment.starts_at)
        if appointment.status == AppointmentStatus.CANCELLED:
            cancellations.append(
                Cancellation(
                    on,
                    appointment.get_kind_display(),
                    _canceller(appointment),
                    appointment.notice_hours,
                )
            )
        if record is not None:
            visits.append(
                Visit(
                    on,
                    appointment.rung.name if appointment.rung else "",
                    record.duration_minutes,
                    record.comfort_before,
                    record.comfort_after,
                    appointment.get_ended_early_reason_display()
                    if appointment.ended_early_reason
                    else "",
                )
            )
        counted = record is not None or appointment.signed
        for party in appointment.participants.all():
            line = lines.get(party.pk)
            if line is None:
                continue
            line.scheduled += 1
            if appointment.status in HELD_STATUSES:
                if counted:
                    line.held += 1
                else:
                    line.not_counted += 1
            elif appointment.status == AppointmentStatus.CANCELLED:
                if appointment.cancelled_by_party_id == party.pk:
                    line.cancelled_by_them += 1
                    line.late_by_them += int(appointment.late_cancellation)
                else:
                    line.cancelled_by_others += 1
            elif appointment.status == AppointmentStatus.NO_SHOW:
                if appointment.no_show_party_id in (None, party.pk):
                    line.missed += 1
                else:
                    line.cancelled_by_others += 1
            else:
                line.not_counted += 1
    return list(lines.values()), cancellations, visits, held_back


def _canceller(appointment: Appointment) -> str:
    if appointment.cancelled_by == CancelledBy.PARTY and appointment.cancelled_by_party:
        party = appointment.cancelled_by_party
        return f"{party.person.full_name} ({party.get_role_display().lower()})"
    if appointment.cancelled_by:
        return CancelledBy(appointment.cancelled_by).label
    return "Not recorded"


def _ladder(case: Case, start: dt.date, end: dt.date) -> tuple[str, str, list[Happening]]:
    """The rung at each end of the period and the steps inside it, on the days they took
    effect."""
    steps = (
        LadderStep.objects.filter(ladder__case=case, effective_on__lte=end)
        .select_related("from_rung", "to_rung")
        .order_by("effective_on", "at", "id")
    )
    at_start, current, history = "", "", []
    for step in steps:
        current = step.to_rung.name
        on = step.effective_on
        if on < start:
            at_start = current
            continue
        word = {"start": "Started on", "up": "Stepped up to", "down": "Stepped down to"}
        whose = "the child's" if step.on_word_of == "child" else "the therapist's"
        line = f"{word.get(step.direction, 'Moved to')} “{current}”"
        if step.direction == "down":
            line += f", on {whose} word"
        history.append(Happening(on, line + "."))
    return at_start, current, history


def _goals(summaries: list[GoalSummary]) -> list[GoalLine]:
    return [
        GoalLine(
            title=s.goal.title,
            baseline=s.goal.baseline,
            target=s.goal.target,
            first=s.ratings[0][1] if s.ratings else None,
            last=s.latest,
            direction=s.direction,
        )
        for s in summaries
    ]


def _charts(summaries: list[GoalSummary]) -> list[GoalChart]:
    """Each rated goal's chart as SVG, when the measures app draws them; otherwise none."""
    try:
        charts = importlib.import_module("reunify.measures.charts")
    except ImportError:
        return []
    draw = getattr(charts, "goal_chart", None)
    if draw is None:
        return []
    try:
        return [
            GoalChart(s.goal.title, str(draw(s, chart_id=f"report-goal-{s.goal.pk}")))
            for s in summaries
            if s.ratings
        ]
    except Exception:
        # The goals table states the same facts in words; a chart never stops a report.
        logger.exception("Goal charts could not be drawn for the court report")
        return []


def report_facts(case: Case, start: dt.date, end: dt.date) -> ReportFacts:
    """What the report on this case for this period states, in a fixed number of queries."""
    begin, finish = day_start(start), day_start(end + dt.timedelta(days=1))
    parties = list(Party.objects.filter(case=case).select_related("person"))
    family = [p for p in parties if p.role in FAMILY_ROLES]
    orders = list(CourtOrder.objects.filter(case=case).prefetch_related("terms"))
    transitions = list(Transition.objects.filter(case=case).order_by("effective_on", "at", "id"))
    phase_at_start, phase_at_end, history, pauses = _history(case, transitions, start, end)
    attendance, cancellations, visits, held_back = _sessions(case, family, begin, finish)
    rung_at_start, rung_at_end, steps = _ladder(case, start, end)
    summaries = goal_summaries(case, start=start, end=end)
    return ReportFacts(
        case=case,
        start=start,
        end=end,
        opened_on=next(
            (t.effective_on for t in transitions if t.kind == TransitionKind.OPEN),
            timezone.localdate(case.opened_at),
        ),
        court_orders=orders,
        family=family,
        phase_at_start=_phase_words(phase_at_start),
        phase_at_end=_phase_words(phase_at_end),
        history=history,
        pauses=pauses,
        attendance=attendance,
        cancellations=cancellations,
        visits=by_rung(visits),
        held_back=held_back,
        rung_at_start=rung_at_start,
        rung_at_end=rung_at_end,
        ladder_steps=steps,
        goals=_goals(summaries),
        charts=_charts(summaries),
    )


def legal_parties(case: Case) -> list[Party]:
    """The professionals around the family, who receive only what a release or order covers."""
    parties = Party.objects.filter(case=case, role__in=LEGAL_ROLES).select_related("person")
    return list(parties.order_by("id"))


# Issued versions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Issued:
    """An issued report or notice with the recipients it was disclosed to."""

    item: IssuedReport | TerminationNotice
    disclosed_to: list[str]


def _disclosed(label: str, ids: list[int]) -> dict[str, list[str]]:
    rows = (
        Disclosure.objects.filter(object_type=label, object_id__in=[str(i) for i in ids])
        .select_related("recipient__person")
        .order_by("at", "id")
    )
    found: dict[str, list[str]] = {}
    for row in rows:
        found.setdefault(row.object_id, []).append(row.recipient.label)
    return found


def case_report_rows(case: Case) -> QuerySet[IssuedReport]:
    """A case's issued reports, newest first (for `issued_reports`)."""
    return IssuedReport.objects.filter(case=case).select_related("issued_by")


def issued_reports(reports: Iterable[IssuedReport]) -> list[Issued]:
    """Reports (a page of them, say), each with whom it was disclosed to (1 query)."""
    reports = list(reports)
    sent = _disclosed(IssuedReport._meta.label_lower, [r.pk for r in reports])
    return [Issued(r, sent.get(str(r.pk), [])) for r in reports]


def case_reports(case: Case) -> list[Issued]:
    """A case's issued reports, newest first, each with whom it was disclosed to (2 queries)."""
    return issued_reports(case_report_rows(case))


def case_notices(case: Case) -> list[Issued]:
    """A case's termination notices, with the disclosure each was logged as (2 queries)."""
    notices = list(
        TerminationNotice.objects.filter(case=case).select_related("issued_by", "recipient")
    )
    sent = _disclosed(TerminationNotice._meta.label_lower, [n.pk for n in notices])
    return [Issued(n, sent.get(str(n.pk), [])) for n in notices]


def report_get(user: User, report_id: int) -> IssuedReport:
    """The report if the user may see its case; 404 otherwise, never confirming it exists."""
    report = (
        IssuedReport.objects.filter(case__in=access.cases_for(user), pk=report_id)
        .select_related("case__therapist", "issued_by")
        .first()
    )
    if report is None:
        raise Http404("No such report.")
    return report


def notice_get(user: User, notice_id: int) -> TerminationNotice:
    notice = (
        TerminationNotice.objects.filter(case__in=access.cases_for(user), pk=notice_id)
        .select_related("case__therapist")
        .first()
    )
    if notice is None:
        raise Http404("No such notice.")
    return notice


# In the portal ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalReport:
    """An issued report a legal party may download today, and the release that covers it."""

    report: IssuedReport
    party: Party
    release: Release

    @property
    def notice(self) -> str:
        return REDISCLOSURE_NOTICE if self.report.substance_use else ""


def portal_report_releases(party: Party) -> dict[int, Release]:
    """The issued court reports a portal party may download today, each with the release (or
    court order) that covers it: only a legal party, only a report issued to them (its
    disclosure logged when it was issued), only while a release covering court reports is in
    force, and for a report carrying substance-use information, one that names that too.
    Family members never download reports from the portal."""
    if party.role not in LEGAL_ROLES:
        return {}
    release = covering_release(party, Category.COURT_REPORTS)
    if release is None:
        return {}
    issued = Disclosure.objects.filter(
        recipient=party,
        channel=Channel.REPORT,
        object_type=IssuedReport._meta.label_lower,
    ).values_list("object_id", flat=True)
    reports = list(
        IssuedReport.objects.filter(
            case_id=party.case_id, pk__in=[int(pk) for pk in issued if pk.isdigit()]
        ).only("pk", "substance_use")
    )
    substance_use = (
        covering_release(party, Category.COURT_REPORTS, substance_use=True)
        if any(r.substance_use for r in reports)
        else None
    )
    found = {}
    for report in reports:
        covering = substance_use if report.substance_use else release
        if covering is not None:
            found[report.pk] = covering
    return found


def may_download_report(user: User, party: Party, report: IssuedReport) -> bool:
    """May this portal user, acting as this party, download this issued court report today?"""
    return (
        access.portal_parties(user).filter(pk=party.pk).exists()
        and report.case_id == party.case_id
        and report.pk in portal_report_releases(party)
    )


def portal_reports(party: Party) -> dict[int, IssuedReport]:
    """The issued reports this party may download today, by id (for the portal page's links)."""
    releases = portal_report_releases(party)
    reports = IssuedReport.objects.filter(case_id=party.case_id, pk__in=list(releases))
    return {r.pk: r for r in reports}


def portal_report_get(party: Party, report_id: int) -> PortalReport:
    """The report if this party may download it today; 404 otherwise, never confirming that
    it exists."""
    release = portal_report_releases(party).get(report_id)
    report = IssuedReport.objects.filter(case_id=party.case_id, pk=report_id).first()
    if release is None or report is None:
        raise Http404("No such report.")
    return PortalReport(report, party, release)


def portal_report_for_user(user: User, report_id: int) -> PortalReport:
    """The report through whichever of the user's parties may download it (the API's route)."""
    for party in access.portal_parties(user):
        try:
            return portal_report_get(party, report_id)
        except Http404:
            continue
    raise Http404("No such report.")
