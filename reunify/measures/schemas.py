"""The typed shapes of the measures API. Outputs are built from the domain objects by `of()`
constructors; dates travel as ISO strings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Schema
from pydantic import ConfigDict

from reunify.cases.models import Party
from reunify.clinical.schemas import PartyRefOut
from reunify.measures import questionnaires
from reunify.measures.models import (
    Alignment,
    AlignmentRating,
    ChildCheckin,
    Goal,
    Instrument,
    LastVisit,
    QuestionnaireResponse,
    Stakeholder,
    StandardGoal,
    Task,
    WillingnessLevel,
    WillingnessRating,
    stakeholder_label,
)
from reunify.measures.selectors import GoalSummary


class GoalRatingOut(Schema):
    rated_on: dt.date
    value: int


class GoalOut(Schema):
    id: int
    standard: StandardGoal | None = Field(description="Empty for a case-specific goal.")
    title: str
    baseline: int
    target: int
    latest: int | None
    direction: str
    ratings: list[GoalRatingOut]

    @classmethod
    def of(cls, summary: GoalSummary) -> GoalOut:
        goal = summary.goal
        return cls(
            id=goal.pk,
            standard=StandardGoal(goal.standard) if goal.standard else None,
            title=goal.title,
            baseline=goal.baseline,
            target=goal.target,
            latest=summary.latest,
            direction=summary.direction,
            ratings=[GoalRatingOut(rated_on=d, value=v) for d, v in summary.ratings],
        )

    @classmethod
    def new(cls, goal: Goal) -> GoalOut:
        return cls.of(GoalSummary(goal, []))


class GoalIn(Schema):
    standard: StandardGoal | None = Field(
        default=None, description="One of the seven goals; leave out for a case-specific goal."
    )
    title: str = Field(default="", description="Required for a case-specific goal.")
    baseline: int = Field(ge=0, le=10)
    target: int = Field(ge=0, le=10)


class GoalRatingIn(Schema):
    value: int = Field(ge=0, le=10)
    rated_on: dt.date
    note: str = ""


class GoalRatingCreatedOut(Schema):
    id: int
    goal_id: int
    rated_on: dt.date
    value: int
    note: str


class WillingnessIn(Schema):
    party_id: int
    level: WillingnessLevel
    rated_on: dt.date
    note: str = ""


class WillingnessOut(Schema):
    id: int
    party: PartyRefOut
    level: WillingnessLevel
    rated_on: dt.date
    note: str

    @classmethod
    def of(cls, rating: WillingnessRating) -> WillingnessOut:
        return cls(
            id=rating.pk,
            party=PartyRefOut.of(rating.party),
            level=WillingnessLevel(rating.level),
            rated_on=rating.rated_on,
            note=rating.note,
        )


class AlignmentIn(Schema):
    stakeholder: Stakeholder
    party_id: int | None = Field(
        default=None, description="The professional of the case (required for an attorney)."
    )
    status: Alignment
    rated_on: dt.date
    note: str = ""


class AlignmentOut(Schema):
    id: int
    stakeholder: Stakeholder
    label: str
    party: PartyRefOut | None
    status: Alignment
    rated_on: dt.date
    note: str

    @classmethod
    def of(cls, rating: AlignmentRating) -> AlignmentOut:
        return cls(
            id=rating.pk,
            stakeholder=Stakeholder(rating.stakeholder),
            label=stakeholder_label(rating.stakeholder, rating.party),
            party=PartyRefOut.maybe(rating.party),
            status=Alignment(rating.status),
            rated_on=rating.rated_on,
            note=rating.note,
        )


class RatingsOut(Schema):
    goals: list[GoalOut]
    willingness: list[WillingnessOut]
    alignment: list[AlignmentOut]


class TaskOut(Schema):
    id: int
    text: str
    created_at: dt.datetime
    done_at: dt.datetime | None

    @classmethod
    def of(cls, task: Task) -> TaskOut:
        return cls(id=task.pk, text=task.text, created_at=task.created_at, done_at=task.done_at)


class CheckinIn(Schema):
    child_id: int
    ready: int = Field(ge=0, le=10, description="How ready the child feels, 0 to 10.")
    safe: int = Field(ge=0, le=10, description="How safe the child feels, 0 to 10.")
    last_visit: LastVisit
    slow_down: bool = False
    feels_unsafe: bool = Field(default=False, description="The child said: I don't feel safe.")
    words: str = Field(default="", max_length=4000)


class CheckinOut(Schema):
    id: int
    child: PartyRefOut
    ready: int
    safe: int
    last_visit: LastVisit
    slow_down: bool
    feels_unsafe: bool
    safety_concern: bool
    words: str
    source: str
    recorded_at: dt.datetime
    task: TaskOut | None

    @classmethod
    def of(cls, checkin: ChildCheckin, child: Party | None = None) -> CheckinOut:
        task = getattr(checkin, "task", None)
        return cls(
            id=checkin.pk,
            child=PartyRefOut.of(child or checkin.child),
            ready=checkin.ready,
            safe=checkin.safe,
            last_visit=LastVisit(checkin.last_visit),
            slow_down=checkin.slow_down,
            feels_unsafe=checkin.feels_unsafe,
            safety_concern=checkin.safety_concern,
            words=checkin.words,
            source=checkin.source,
            recorded_at=checkin.recorded_at,
            task=TaskOut.of(task) if task is not None else None,
        )


class InstrumentOut(Schema):
    id: int
    slug: str
    version: str
    title: str
    description: str
    licence: str
    shipped: bool
    active: bool
    informants: list[str]
    definition: dict[str, Any] = Field(description="The instrument file (reunify-instrument/1).")

    @classmethod
    def of(cls, instrument: Instrument) -> InstrumentOut:
        return cls(
            id=instrument.pk,
            slug=instrument.slug,
            version=instrument.version,
            title=instrument.title,
            description=instrument.description,
            licence=instrument.licence,
            shipped=instrument.shipped,
            active=instrument.active,
            informants=list(instrument.definition.get("informants", [])),
            definition=instrument.definition,
        )


class InstrumentFileIn(Schema):
    """An instrument file (reunify-instrument/1) as JSON: checked by the engine, not here, so
    that every problem is reported with where it is."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": True})


class InstrumentProblemsOut(Schema):
    detail: str
    problems: list[str] = Field(description="Each problem with the file, naming where it is.")


class ScoreOut(Schema):
    subscale: str
    label: str
    value: float | None = Field(description="None when too many items were left out.")
    answered: int
    missing: int
    prorated: bool
    note: str


class ResponseIn(Schema):
    instrument_id: int
    informant: str = Field(
        description="Who answered: " + ", ".join(questionnaires.INFORMANTS) + "."
    )
    party_id: int | None = Field(default=None, description="The family member who answered.")
    answered_on: dt.date
    answers: dict[str, int | None] = Field(description="Item id to the value chosen, or null.")


class ResponseOut(Schema):
    id: int
    instrument_id: int
    instrument: str
    informant: str
    party: PartyRefOut | None
    answered_on: dt.date
    answers: dict[str, int | None]
    scores: list[ScoreOut]

    @classmethod
    def of(cls, response: QuestionnaireResponse) -> ResponseOut:
        return cls(
            id=response.pk,
            instrument_id=response.instrument_id,
            instrument=str(response.instrument),
            informant=response.informant,
            party=PartyRefOut.maybe(response.party),
            answered_on=response.answered_on,
            answers=response.answers,
            scores=[ScoreOut(**s) for s in response.scores],
        )
