"""The measures API: goals and ratings, willingness and alignment, the child's check-ins,
questionnaires and their responses — the same services as the pages.

Case-scoped routes find their case through `access` (another family's case is a 404, a
forbidden write a 403) and write every read to the audit log. The check-in and task routes
answer 404 to everyone but the case's treating therapists.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router

from reunify import access
from reunify.cases.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    case_to_change,
    case_to_read,
    request_user,
)
from reunify.cases.models import Case, Party
from reunify.cases.schemas import ErrorOut
from reunify.cases.services import case_view
from reunify.measures import selectors, services
from reunify.measures.models import Goal, Instrument, Task
from reunify.measures.schemas import (
    AlignmentIn,
    AlignmentOut,
    CheckinIn,
    CheckinOut,
    GoalIn,
    GoalOut,
    GoalRatingCreatedOut,
    GoalRatingIn,
    InstrumentFileIn,
    InstrumentOut,
    InstrumentProblemsOut,
    RatingsOut,
    ResponseIn,
    ResponseOut,
    TaskOut,
    WillingnessIn,
    WillingnessOut,
)
from reunify.paging import Page, paged
from reunify.process import pausing

router = Router(tags=["measures"])


def _party(case: Case, party_id: int | None) -> Party | None:
    if party_id is None:
        return None
    party = Party.objects.select_related("person").filter(case=case, pk=party_id).first()
    if party is None:
        raise ValidationError(f"There is no party {party_id} in this case.")
    return party


def _required_party(case: Case, party_id: int) -> Party:
    party = _party(case, party_id)
    assert party is not None
    return party


# Goals -------------------------------------------------------------------------------------


@router.get("/cases/{id}/goals", response={200: list[GoalOut], **READ_ERRORS})
@paged
def goal_list(request: HttpRequest, id: int, page: Page) -> list[GoalOut]:
    """The treatment plan, in the order the goals were added: each goal with its baseline,
    target and dated ratings."""
    _, case = case_to_read(request, id, "goal_list")
    goals = page.rows(selectors.goals_with_ratings(case), order=("id",))
    return [GoalOut.of(s) for s in selectors.summaries_of(goals)]


@router.post("/cases/{id}/goals", response={201: GoalOut, **WRITE_ERRORS})
def goal_create(request: HttpRequest, id: int, payload: GoalIn) -> tuple[int, GoalOut]:
    """Add one of the seven standard goals, or a case-specific goal (give its title)."""
    user, case = case_to_change(request, id)
    goal = services.goal_add(
        actor=user,
        case=case,
        standard=payload.standard.value if payload.standard else "",
        title=payload.title,
        baseline=payload.baseline,
        target=payload.target,
    )
    return 201, GoalOut.new(goal)


@router.post(
    "/cases/{id}/goals/{goal_id}/ratings", response={201: GoalRatingCreatedOut, **WRITE_ERRORS}
)
def goal_rating_create(
    request: HttpRequest, id: int, goal_id: int, payload: GoalRatingIn
) -> tuple[int, GoalRatingCreatedOut]:
    """Rate progress on one goal (0-10) as of a date."""
    user, case = case_to_change(request, id)
    goal = Goal.objects.filter(case=case, pk=goal_id).first()
    if goal is None:
        raise ValidationError(f"There is no goal {goal_id} in this case.")
    goal.case = case
    rating = services.goal_rate(
        actor=user, goal=goal, value=payload.value, rated_on=payload.rated_on, note=payload.note
    )
    return 201, GoalRatingCreatedOut(
        id=rating.pk,
        goal_id=goal.pk,
        rated_on=rating.rated_on,
        value=rating.value,
        note=rating.note,
    )


# Ratings: goals, willingness, alignment ------------------------------------------------------


@router.get("/cases/{id}/ratings", response={200: RatingsOut, **READ_ERRORS})
def rating_list(request: HttpRequest, id: int) -> RatingsOut:
    """Every dated rating of the case: goals, each family member's willingness, and the
    alignment of each part of the support system."""
    _, case = case_to_read(request, id, "rating_list")
    parties = list(case.parties.select_related("person"))
    return RatingsOut(
        goals=[GoalOut.of(s) for s in selectors.goal_summaries(case)],
        willingness=[
            WillingnessOut.of(r)
            for series in selectors.willingness_of(case, parties)
            for r in series.ratings
        ],
        alignment=[
            AlignmentOut.of(r) for line in selectors.alignment_of(case) for r in line.history
        ],
    )


@router.post("/cases/{id}/ratings/willingness", response={201: WillingnessOut, **WRITE_ERRORS})
def willingness_create(
    request: HttpRequest, id: int, payload: WillingnessIn
) -> tuple[int, WillingnessOut]:
    """Rate a family member's willingness: unwilling, ambivalent, open or engaged."""
    user, case = case_to_change(request, id)
    rating = services.willingness_record(
        actor=user,
        case=case,
        party=_required_party(case, payload.party_id),
        level=payload.level.value,
        rated_on=payload.rated_on,
        note=payload.note,
    )
    return 201, WillingnessOut.of(rating)


@router.post("/cases/{id}/ratings/alignment", response={201: AlignmentOut, **WRITE_ERRORS})
def alignment_create(
    request: HttpRequest, id: int, payload: AlignmentIn
) -> tuple[int, AlignmentOut]:
    """Rate whether the court, an attorney, the GAL, CPS or the school is aligned."""
    user, case = case_to_change(request, id)
    rating = services.alignment_record(
        actor=user,
        case=case,
        stakeholder=payload.stakeholder.value,
        party=_party(case, payload.party_id),
        status=payload.status.value,
        rated_on=payload.rated_on,
        note=payload.note,
    )
    return 201, AlignmentOut.of(rating)


# The child's check-ins and tasks (treating therapists only) ----------------------------------


def _checkin_case(request: HttpRequest, id: int, what: str) -> tuple[Any, Case]:
    user = request_user(request)
    case = access.checkin_case_get(user, id)
    if what:
        case_view(actor=user, case=case, what=f"api:{what}")
    return user, case


@router.get("/cases/{id}/checkins", response={200: list[CheckinOut], **READ_ERRORS})
@paged
def checkin_list(request: HttpRequest, id: int, page: Page) -> list[CheckinOut]:
    """The child's private check-ins, newest first: for the treating therapists only."""
    user, case = _checkin_case(request, id, "checkin_list")
    checkins = selectors.checkins_for(user, case)
    return [CheckinOut.of(c) for c in page.rows(checkins, order=("-recorded_at", "-id"))]


@router.post("/cases/{id}/checkins", response={201: CheckinOut, **WRITE_ERRORS})
def checkin_create(request: HttpRequest, id: int, payload: CheckinIn) -> tuple[int, CheckinOut]:
    """Record the child's check-in given in session; "slow down" raises a task, an unsafe
    one pauses the case and holds its contact visits."""
    user, case = _checkin_case(request, id, "")
    child = _required_party(case, payload.child_id)
    checkin = pausing.checkin_record(
        actor=user,
        case=case,
        child=child,
        ready=payload.ready,
        safe=payload.safe,
        last_visit=payload.last_visit.value,
        slow_down=payload.slow_down,
        words=payload.words,
        feels_unsafe=payload.feels_unsafe,
    )
    return 201, CheckinOut.of(checkin, child)


@router.get("/cases/{id}/tasks", response={200: list[TaskOut], **READ_ERRORS})
@paged
def task_list(request: HttpRequest, id: int, page: Page) -> list[TaskOut]:
    """Open tasks of the case, oldest first (for its treating therapists)."""
    user, case = _checkin_case(request, id, "task_list")
    tasks = selectors.open_tasks_of(user, [case])
    return [TaskOut.of(t) for t in page.rows(tasks, order=("created_at", "id"))]


@router.post("/cases/{id}/tasks/{task_id}/done", response={200: TaskOut, **WRITE_ERRORS})
def task_complete(request: HttpRequest, id: int, task_id: int) -> TaskOut:
    user, case = _checkin_case(request, id, "")
    task = get_object_or_404(Task.objects.filter(case=case), pk=task_id)
    task.case = case
    return TaskOut.of(services.task_done(actor=user, task=task))


# Questionnaires ----------------------------------------------------------------------------


def _instrument_user(request: HttpRequest) -> Any:
    user = request_user(request)
    if not access.may_use_instruments(user):
        raise PermissionDenied("Questionnaires are for the practice's clinicians.")
    return user


@router.get("/questionnaires", response={200: list[InstrumentOut], 401: ErrorOut, 403: ErrorOut})
@paged
def questionnaire_list(request: HttpRequest, page: Page) -> list[InstrumentOut]:
    """The practice's questionnaires by title and version: the project's own, and those it
    imported."""
    user = _instrument_user(request)
    instruments = selectors.instruments_for(user)
    return [InstrumentOut.of(i) for i in page.rows(instruments, order=("title", "version", "id"))]


@router.get(
    "/questionnaires/{instrument_id}",
    response={200: InstrumentOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def questionnaire_get(request: HttpRequest, instrument_id: int) -> InstrumentOut:
    user = _instrument_user(request)
    instrument = selectors.instruments_for(user).filter(pk=instrument_id).first()
    if instrument is None:
        raise Http404("No such questionnaire.")
    return InstrumentOut.of(instrument)


@router.post(
    "/questionnaires",
    response={
        201: InstrumentOut,
        400: InstrumentProblemsOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ErrorOut,
    },
)
def questionnaire_import(
    request: HttpRequest, payload: InstrumentFileIn
) -> tuple[int, InstrumentOut | InstrumentProblemsOut]:
    """Import an instrument the practice holds a licence for: the body is the instrument file
    (reunify-instrument/1) as JSON. Every problem is listed, and nothing is saved, when it
    does not fit (administrators and supervisors only)."""
    user = request_user(request)
    try:
        # The body is read as sent: the engine, not the schema, checks it field by field.
        instrument = services.instrument_import(actor=user, data=json.loads(request.body))
    except ValidationError as error:
        first, *problems = error.messages
        return 400, InstrumentProblemsOut(detail=first, problems=problems or [first])
    return 201, InstrumentOut.of(instrument)


@router.get("/cases/{id}/responses", response={200: list[ResponseOut], **READ_ERRORS})
@paged
def response_list(request: HttpRequest, id: int, page: Page) -> list[ResponseOut]:
    """Every questionnaire answered on the case, oldest first, with its scores."""
    _, case = case_to_read(request, id, "response_list")
    responses = selectors.case_responses(case)
    return [ResponseOut.of(r) for r in page.rows(responses, order=("answered_on", "id"))]


@router.post("/cases/{id}/responses", response={201: ResponseOut, **WRITE_ERRORS})
def response_create(request: HttpRequest, id: int, payload: ResponseIn) -> tuple[int, ResponseOut]:
    """Record one informant's answers; the engine scores them (see the instrument format)."""
    user, case = case_to_change(request, id)
    instrument = Instrument.objects.filter(pk=payload.instrument_id).first()
    if instrument is None:
        raise ValidationError(f"There is no questionnaire {payload.instrument_id}.")
    response = services.response_record(
        actor=user,
        case=case,
        instrument=instrument,
        informant=payload.informant,
        party=_party(case, payload.party_id),
        answered_on=payload.answered_on,
        answers=dict(payload.answers),
    )
    return 201, ResponseOut.of(response)
