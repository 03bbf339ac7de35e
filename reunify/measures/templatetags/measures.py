"""Lets the case page's Progress section and the caseload's measures panel build themselves
from what their pages already loaded, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import template
from django.utils import timezone

from reunify import access
from reunify.accounts.models import Role, User
from reunify.accounts.qualifications import LicenceStatus, licence_statuses
from reunify.cases.models import Case, Phase
from reunify.clinical.models import Ladder
from reunify.clinical.selectors import attendance_of
from reunify.measures import charts, selectors
from reunify.measures.models import Instrument, QuestionnaireResponse, StandardGoal, Task

register = template.Library()


@dataclass(frozen=True)
class GoalLine:
    summary: selectors.GoalSummary
    chart: charts.Chart


@dataclass(frozen=True)
class InstrumentLines:
    """One instrument answered on the case: a chart per subscale, and the informants' gap."""

    instrument: Instrument
    subscale_charts: list[charts.Chart]
    gap: charts.Chart | None


@dataclass
class Progress:
    """Everything the case page's Progress section shows."""

    goals: list[GoalLine]
    missing_standard: list[tuple[str, str]]
    willingness: list[selectors.WillingnessSeries]
    willingness_chart: charts.Chart
    alignment: list[selectors.AlignmentLine]
    comfort_chart: charts.Chart
    attendance_chart: charts.Chart
    questionnaires: list[InstrumentLines]
    responses: list[QuestionnaireResponse]
    sees_checkins: bool = False
    tasks: list[Task] = field(default_factory=list)
    may_step_down: bool = False


def _questionnaires(case: Case, responses: list[QuestionnaireResponse]) -> list[InstrumentLines]:
    views = selectors.questionnaire_views(responses)
    by_instrument: dict[int, list[selectors.SubscaleView]] = {}
    for view in views:
        by_instrument.setdefault(view.instrument.pk, []).append(view)
    lines = []
    for instrument_id, group in by_instrument.items():
        with_two = [v for v in group if len(v.latest) >= 2]
        lines.append(
            InstrumentLines(
                group[0].instrument,
                [
                    charts.questionnaire_chart(v, chart_id=f"q-{instrument_id}-{v.subscale.id}")
                    for v in group
                ],
                charts.informant_gap_chart(with_two, chart_id=f"q-{instrument_id}-gap")
                if with_two
                else None,
            )
        )
    return lines


@register.simple_tag(takes_context=True)
def case_progress(context: template.Context, case: Case, may_edit: bool) -> Progress:
    user: User = context["request"].user
    parties = list(case.parties.all())
    summaries = selectors.goal_summaries(case)
    taken = {s.goal.standard for s in summaries}
    willingness = selectors.willingness_of(case, parties)
    comfort, threshold = selectors.comfort_of(case)
    responses = selectors.responses_of(case)
    progress = Progress(
        goals=[GoalLine(s, charts.goal_chart(s)) for s in summaries],
        missing_standard=[(v, label) for v, label in StandardGoal.choices if v not in taken],
        willingness=willingness,
        willingness_chart=charts.willingness_chart(willingness, chart_id="progress-willingness"),
        alignment=selectors.alignment_of(case),
        comfort_chart=charts.comfort_chart(comfort, threshold, chart_id="progress-comfort"),
        attendance_chart=charts.attendance_chart(
            attendance_of(case), chart_id="progress-attendance"
        ),
        questionnaires=_questionnaires(case, responses),
        responses=responses[::-1][:10],
    )
    if access.may_read_checkins(user, case):
        progress.sees_checkins = True
        progress.tasks = selectors.open_tasks(user, [case]).get(case.pk, [])
        if any(t.checkin_id for t in progress.tasks) and case.phase in (
            Phase.THERAPEUTIC_CONTACT,
            Phase.INTEGRATION,
        ):
            ladder = Ladder.objects.filter(case=case).select_related("current_rung").first()
            progress.may_step_down = bool(
                ladder and ladder.current_rung and ladder.current_rung.position > 1
            )
    return progress


@dataclass(frozen=True)
class CaseloadMeasures:
    """The caseload's panel: licences to act on, and open tasks of the cases one treats."""

    own: LicenceStatus | None
    others: list[LicenceStatus]
    tasks: list[tuple[Case, Task]]


@register.simple_tag(takes_context=True)
def caseload_measures(context: template.Context, lines: list[Any]) -> CaseloadMeasures:
    user: User = context["request"].user
    cases = [line.case for line in lines]
    clinicians = {c.therapist_id: c.therapist for c in cases}
    if user.role in (Role.THERAPIST, Role.SUPERVISOR):
        clinicians[user.pk] = user
    today = timezone.localdate()
    statuses = licence_statuses(list(clinicians.values()), today=today)
    own = next((s for s in statuses if s.user.pk == user.pk), None)
    others = [s for s in statuses if s.user.pk != user.pk and (s.expired or s.expiring)]
    by_id = {c.pk: c for c in cases}
    tasks = [
        (by_id[case_id], task)
        for case_id, case_tasks in selectors.open_tasks(user, cases).items()
        for task in case_tasks
    ]
    return CaseloadMeasures(own, others, tasks)


@register.inclusion_tag("measures/_chart.html")
def chart_figure(chart: charts.Chart, caption: str = "") -> dict[str, Any]:
    """A chart with its caption, and the same figures as a table one click away."""
    return {"chart": chart, "caption": caption or chart.title}
