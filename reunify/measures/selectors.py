"""Reads of the measures, shaped for pages, charts and the court report.

`goal_summaries` is the court report's contract: keep its signature. The child's check-ins are
read only through `checkins_for` (and tasks through `open_tasks`), which return nothing to
anyone but the treating therapists.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import User
from reunify.cases.models import FAMILY_ROLES, Case, Party
from reunify.clinical.models import CONTACT_KINDS, HELD_STATUSES, Appointment, Ladder
from reunify.measures import questionnaires
from reunify.measures.models import (
    WILLINGNESS_ORDER,
    AlignmentRating,
    ChildCheckin,
    Goal,
    GoalRating,
    Instrument,
    QuestionnaireResponse,
    Task,
    WillingnessRating,
    stakeholder_label,
)


@dataclass(frozen=True)
class GoalSummary:
    """A goal with its ratings in a date range: enough to draw it and to describe it."""

    goal: Goal
    ratings: list[tuple[dt.date, int]]

    @property
    def latest(self) -> int | None:
        return self.ratings[-1][1] if self.ratings else None

    @property
    def direction(self) -> str:
        """Plain words for the court report: how the ratings moved over the range."""
        if len(self.ratings) < 2:
            return "not enough ratings to show a direction"
        first, last = self.ratings[0][1], self.ratings[-1][1]
        if last > first:
            return "improved"
        if last < first:
            return "declined"
        return "unchanged"


def goals_with_ratings(
    case: Case, *, start: dt.date | None = None, end: dt.date | None = None
) -> QuerySet[Goal]:
    """The case's goals, each with its ratings between start and end (inclusive) prefetched."""
    ratings = GoalRating.objects.order_by("rated_on", "id")
    if start:
        ratings = ratings.filter(rated_on__gte=start)
    if end:
        ratings = ratings.filter(rated_on__lte=end)
    return Goal.objects.filter(case=case).prefetch_related(Prefetch("ratings", queryset=ratings))


def summaries_of(goals: Iterable[Goal]) -> list[GoalSummary]:
    """Goals of `goals_with_ratings` (a page of them, say) as summaries."""
    return [
        GoalSummary(goal, [(r.rated_on, r.value) for r in goal.ratings.all()]) for goal in goals
    ]


def goal_summaries(
    case: Case, *, start: dt.date | None = None, end: dt.date | None = None
) -> list[GoalSummary]:
    """Every goal of the case with its ratings between start and end (inclusive), 2 queries."""
    return summaries_of(goals_with_ratings(case, start=start, end=end))


# Willingness and alignment -----------------------------------------------------------------


@dataclass
class WillingnessSeries:
    """One family member's willingness over time."""

    party: Party
    ratings: list[WillingnessRating] = field(default_factory=list)

    @property
    def latest(self) -> WillingnessRating | None:
        return self.ratings[-1] if self.ratings else None

    def points(self) -> list[tuple[dt.date, int]]:
        """Each rating as a position on the scale: 0 unwilling … 3 engaged."""
        return [(r.rated_on, WILLINGNESS_ORDER.index(r.level)) for r in self.ratings]


def willingness_of(case: Case, parties: list[Party]) -> list[WillingnessSeries]:
    """Each family member's ratings, oldest first (one query; `parties` already loaded)."""
    series = {p.pk: WillingnessSeries(p) for p in parties if p.role in FAMILY_ROLES}
    for rating in WillingnessRating.objects.filter(case=case).order_by("rated_on", "id"):
        if rating.party_id in series:
            rating.party = series[rating.party_id].party
            series[rating.party_id].ratings.append(rating)
    return list(series.values())


@dataclass(frozen=True)
class AlignmentLine:
    """One part of the support system, its latest rating and its history."""

    label: str
    latest: AlignmentRating
    history: list[AlignmentRating]


def alignment_of(case: Case) -> list[AlignmentLine]:
    """The latest alignment of each part of the support system that has been rated."""
    ratings = AlignmentRating.objects.filter(case=case).select_related(
        "party__person", "party__represents__person"
    )
    grouped: dict[tuple[str, int | None], list[AlignmentRating]] = defaultdict(list)
    for rating in sorted(ratings, key=lambda r: (r.rated_on, r.pk)):
        grouped[(rating.stakeholder, rating.party_id)].append(rating)
    return [
        AlignmentLine(stakeholder_label(r[-1].stakeholder, r[-1].party), r[-1], r)
        for r in grouped.values()
    ]


# Contact visits and attendance ---------------------------------------------------------------


@dataclass(frozen=True)
class ComfortPoint:
    """The child's comfort before and after one contact visit."""

    day: dt.date
    before: int
    after: int
    rung: str


def comfort_of(case: Case) -> tuple[list[ComfortPoint], int | None]:
    """The child's comfort at each recorded contact visit, oldest first, and the ladder's
    step-up threshold (None without a ladder). Two queries."""
    visits = (
        Appointment.objects.filter(
            case=case,
            kind__in=CONTACT_KINDS,
            status__in=HELD_STATUSES,
            contact_record__isnull=False,
        )
        .select_related("contact_record", "rung")
        .order_by("starts_at", "id")
    )
    from django.utils import timezone

    points = [
        ComfortPoint(
            timezone.localdate(v.starts_at),
            v.contact_record.comfort_before,
            v.contact_record.comfort_after,
            v.rung.name if v.rung else "",
        )
        for v in visits
    ]
    threshold = Ladder.objects.filter(case=case).values_list("min_comfort", flat=True).first()
    return points, threshold


# Questionnaires ----------------------------------------------------------------------------


def instruments_for(user: User) -> QuerySet[Instrument]:
    if not access.may_use_instruments(user):
        return Instrument.objects.none()
    return Instrument.objects.all()


def case_responses(case: Case) -> QuerySet[QuestionnaireResponse]:
    """The questionnaires answered on the case, oldest first."""
    return (
        QuestionnaireResponse.objects.filter(case=case)
        .select_related("instrument", "party__person", "recorded_by")
        .order_by("answered_on", "id")
    )


def responses_of(case: Case) -> list[QuestionnaireResponse]:
    return list(case_responses(case))


@dataclass
class InformantSeries:
    """One informant's scores on one subscale over time."""

    informant: str
    label: str
    points: list[tuple[dt.date, float]] = field(default_factory=list)


@dataclass
class SubscaleView:
    """One subscale of one instrument as answered on a case: a series per informant, and the
    gap between the informants' latest scores."""

    instrument: Instrument
    subscale: questionnaires.Subscale
    low: float
    high: float
    series: list[InformantSeries] = field(default_factory=list)

    @property
    def latest(self) -> list[tuple[str, float]]:
        return [(s.label, s.points[-1][1]) for s in self.series if s.points]

    @property
    def gap(self) -> float | None:
        """How far apart the informants' latest scores are (None with fewer than two)."""
        values = [v for _, v in self.latest]
        return round(max(values) - min(values), 2) if len(values) >= 2 else None


def informant_label(informant: str, party: Party | None) -> str:
    base = questionnaires.INFORMANTS.get(informant, informant)
    return f"{base} ({party.person.first_name})" if party is not None else base


def questionnaire_views(responses: list[QuestionnaireResponse]) -> list[SubscaleView]:
    """Every subscale answered on the case, with each informant's scores: the multi-informant
    view. Built from responses already loaded, no query."""
    views: dict[tuple[int, str], SubscaleView] = {}
    definitions: dict[int, questionnaires.InstrumentDefinition] = {}
    for response in responses:
        if response.instrument_id not in definitions:
            definitions[response.instrument_id] = questionnaires.definition_of(
                response.instrument.definition
            )
        definition = definitions[response.instrument_id]
        for stored in response.scores:
            if stored.get("value") is None:
                continue
            key = (response.instrument_id, stored["subscale"])
            if key not in views:
                subscale = next(
                    (s for s in definition.subscales if s.id == stored["subscale"]), None
                )
                if subscale is None:
                    continue
                low, high = definition.score_range(subscale)
                views[key] = SubscaleView(response.instrument, subscale, low, high)
            view = views[key]
            who = f"{response.informant}:{response.party_id or ''}"
            series = next((s for s in view.series if s.informant == who), None)
            if series is None:
                series = InformantSeries(who, informant_label(response.informant, response.party))
                view.series.append(series)
            series.points.append((response.answered_on, float(stored["value"])))
    return list(views.values())


# The child's check-ins and the therapist's tasks ------------------------------------------


def checkins_for(user: User, case: Case) -> QuerySet[ChildCheckin]:
    """The child's check-ins, for the treating therapists only; nothing for anyone else."""
    if not access.may_read_checkins(user, case):
        return ChildCheckin.objects.none()
    return (
        ChildCheckin.objects.filter(case=case)
        .select_related("child__person", "recorded_by")
        .prefetch_related("task")
    )


def open_tasks_of(user: User, cases: list[Case]) -> QuerySet[Task]:
    """Open tasks of the cases this user treats, oldest first; none for anyone else, since a
    task may come from the child's private check-in."""
    treated = Case.objects.filter(access.checkin_visibility(user), pk__in=[c.pk for c in cases])
    return Task.objects.filter(case__in=treated.values("pk"), done_at__isnull=True).order_by(
        "created_at", "id"
    )


def open_tasks(user: User, cases: list[Case]) -> dict[int, list[Task]]:
    """Open tasks of the cases this user treats (one query), by case (see `open_tasks_of`)."""
    tasks: dict[int, list[Task]] = defaultdict(list)
    for task in open_tasks_of(user, cases):
        tasks[task.case_id].append(task)
    return tasks


class UrgentKind:
    UNSAFE_CHECKIN = "unsafe_checkin"


@dataclass(frozen=True)
class UrgentItem:
    """Something on a case one treats that cannot wait: shown first on the caseload."""

    kind: str
    case_id: int
    case_title: str
    at: dt.datetime
    text: str
    url: str


def urgent_items(user: User) -> list[UrgentItem]:
    """The open cases this user treats whose child gave an unsafe check-in not yet resolved by
    a fresh screen (the rule is `gates.checkin_reasons`), newest first; at most two queries,
    however many cases. Nothing for anyone but the treating therapists."""
    from reunify.process.gates import checkin_reasons, with_unsafe_checkin

    unsafe = ChildCheckin.objects.filter(case=OuterRef("pk"), safety_concern=True)
    cases = with_unsafe_checkin(
        Case.objects.open().filter(access.checkin_visibility(user)).filter(Exists(unsafe))
    ).prefetch_related("screenings")
    items = []
    for case in cases:
        for reason in checkin_reasons(case):
            items.append(
                UrgentItem(
                    kind=UrgentKind.UNSAFE_CHECKIN,
                    case_id=case.pk,
                    case_title=case.title,
                    at=case.unsafe_checkin_at,  # type: ignore[attr-defined]
                    text=_("%(reason)s; the case is paused and its contact visits are held")
                    % {"reason": reason.text},
                    url=reverse("checkin_list", args=[case.pk]),
                )
            )
    return sorted(items, key=lambda item: item.at, reverse=True)
