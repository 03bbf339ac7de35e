"""Every write to the measures: validate, save, audit, in one transaction.

Goals and their ratings, willingness, the support system's alignment, the child's private
check-ins (and the task a "slow down" raises), questionnaire instruments and responses.
Bad input raises `ValidationError` with a message a therapist can act on, naming the field or
item, and leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reunify import access
from reunify.accounts.models import Role, User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.audit.recorded import recorded_create
from reunify.cases.models import FAMILY_ROLES, Case, Party, PartyRole
from reunify.cases.services import party_of, rating_save, require_open, require_record_day
from reunify.measures import questionnaires
from reunify.measures.models import (
    STAKEHOLDER_ROLES,
    Alignment,
    AlignmentRating,
    CheckinSource,
    ChildCheckin,
    Goal,
    GoalRating,
    Instrument,
    LastVisit,
    QuestionnaireResponse,
    Stakeholder,
    StandardGoal,
    Task,
    WillingnessLevel,
    WillingnessRating,
    checkin_is_unsafe,
)

SHIPPED_DIR = Path(__file__).resolve().parent / "instruments"
SCALE_MAX = 10


def _require_0_to_10(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= SCALE_MAX:
        raise ValidationError(f"{what} must be a whole number from 0 to {SCALE_MAX}.")
    return value


# Goals -------------------------------------------------------------------------------------


@transaction.atomic
def goal_add(
    *,
    actor: User,
    case: Case,
    baseline: int,
    target: int,
    standard: str = "",
    title: str = "",
) -> Goal:
    """Add one of the seven standard goals, or a case-specific one, to the treatment plan."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    title = (title or "").strip()
    if standard:
        if standard not in StandardGoal.values:
            raise ValidationError(f"Unknown standard goal {standard!r}.")
        if Goal.objects.filter(case=case, standard=standard).exists():
            raise ValidationError(
                f"“{StandardGoal(standard).label}” is already in this case's treatment plan."
            )
        title = title or StandardGoal(standard).label
    elif not title:
        raise ValidationError("Name the case-specific goal, or choose one of the seven.")
    if len(title) > 160:
        raise ValidationError("The goal's name must be at most 160 characters.")
    baseline = _require_0_to_10(baseline, "The baseline")
    target = _require_0_to_10(target, "The target")
    if target < baseline:
        raise ValidationError(
            f"The target ({target}) is below the baseline ({baseline}); goals are rated 0 to 10, "
            "10 being fully reached."
        )
    goal = Goal.objects.create(
        case=case,
        standard=standard,
        title=title,
        baseline=baseline,
        target=target,
        created_by=actor,
        created_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.GOAL_ADD,
        case_id=case.pk,
        obj=goal,
        detail={"standard": standard, "baseline": baseline, "target": target},
    )
    return goal


@transaction.atomic
def goal_rate(
    *, actor: User, goal: Goal, value: int, rated_on: dt.date, note: str = ""
) -> GoalRating:
    """Rate progress on a goal (0-10) as of a date; one rating per goal per day."""
    case = goal.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    value = _require_0_to_10(value, "The rating")
    require_record_day(rated_on, "rating", case)
    if GoalRating.objects.filter(goal=goal, rated_on=rated_on).exists():
        raise ValidationError(f"“{goal.title}” already has a rating on {rated_on}.")
    rating = recorded_create(
        GoalRating,
        actor=actor,
        action=AuditAction.GOAL_RATE,
        case_id=case.pk,
        detail={"goal": goal.pk, "value": value, "rated_on": rated_on},
        goal=goal,
        rated_on=rated_on,
        value=value,
        note=note.strip(),
    )
    return rating


# Willingness and alignment -----------------------------------------------------------------


@transaction.atomic
def willingness_record(
    *, actor: User, case: Case, party: Party, level: str, rated_on: dt.date, note: str = ""
) -> WillingnessRating:
    """Rate a family member's willingness to take part, as of a date."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    party_of(case, party)
    if party.role not in FAMILY_ROLES:
        raise ValidationError("Willingness is rated for members of the family only.")
    if level not in WillingnessLevel.values:
        raise ValidationError(f"Unknown willingness {level!r}.")
    return rating_save(
        actor=actor,
        case=case,
        model=WillingnessRating,
        rated_on=rated_on,
        note=note,
        action=AuditAction.WILLINGNESS_RECORD,
        detail={"party": party.pk, "level": level},
        party=party,
        level=level,
    )


@transaction.atomic
def alignment_record(
    *,
    actor: User,
    case: Case,
    stakeholder: str,
    status: str,
    rated_on: dt.date,
    party: Party | None = None,
    note: str = "",
) -> AlignmentRating:
    """Record whether one part of the support system is aligned with the plan."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if stakeholder not in Stakeholder.values:
        raise ValidationError(f"Unknown part of the support system {stakeholder!r}.")
    if status not in Alignment.values:
        raise ValidationError(f"Unknown alignment {status!r}.")
    if party is not None:
        party_of(case, party)
        if party.role != STAKEHOLDER_ROLES[stakeholder]:
            raise ValidationError(
                f"{party.person.full_name} is the case's {party.get_role_display().lower()}, "
                f"not its {Stakeholder(stakeholder).label.lower()}."
            )
    elif stakeholder == Stakeholder.ATTORNEY:
        raise ValidationError("Say which attorney: each attorney's alignment is rated apart.")
    return rating_save(
        actor=actor,
        case=case,
        model=AlignmentRating,
        rated_on=rated_on,
        note=note,
        action=AuditAction.ALIGNMENT_RECORD,
        detail={"stakeholder": stakeholder, "party": party.pk if party else None, "status": status},
        stakeholder=stakeholder,
        party=party,
        status=status,
    )


# The child's check-ins ---------------------------------------------------------------------


def _may_check_in_as(actor: User, case: Case, child: Party) -> str:
    """Which way this check-in arrives: a treating therapist in session, or the child on the
    portal acting as themself. Anyone else is refused without learning anything."""
    if actor.role == Role.PORTAL:
        if access.portal_parties(actor).filter(pk=child.pk).exists():
            return CheckinSource.PORTAL
        raise PermissionDenied("You may check in only as yourself.")
    if access.may_read_checkins(actor, case):
        return CheckinSource.SESSION
    access.require(actor, access.Action.EDIT, case)  # 404 for strangers, 403 otherwise
    raise PermissionDenied("Only the treating therapists record a child's check-in.")


@transaction.atomic
def checkin_record(
    *,
    actor: User,
    case: Case,
    child: Party,
    ready: int,
    safe: int,
    last_visit: str,
    slow_down: bool,
    words: str = "",
    feels_unsafe: bool = False,
) -> ChildCheckin:
    """The child's private check-in; "I want to slow down" raises a task for the therapist.
    An unsafe one (`models.checkin_is_unsafe`) is a safety concern: through
    `process.pausing.checkin_record` the case pauses, its contact visits are held at once, and the
    treating therapists are e-mailed."""
    source = _may_check_in_as(actor, case, child)
    require_open(case)
    party_of(case, child, "That child")
    if child.role != PartyRole.CHILD:
        raise ValidationError("A check-in is the child's own: choose a child of the case.")
    ready = _require_0_to_10(ready, "How ready")
    safe = _require_0_to_10(safe, "How safe")
    if last_visit not in LastVisit.values:
        raise ValidationError("Say how the last visit felt, or that there was none.")
    concern = checkin_is_unsafe(safe=safe, feels_unsafe=bool(feels_unsafe))
    now = timezone.now()
    checkin = ChildCheckin.objects.create(
        case=case,
        child=child,
        ready=ready,
        safe=safe,
        last_visit=last_visit,
        slow_down=bool(slow_down),
        feels_unsafe=bool(feels_unsafe),
        safety_concern=concern,
        words=(words or "").strip(),
        source=source,
        recorded_by=actor,
        recorded_at=now,
    )
    task = None
    if slow_down:
        task = Task.objects.create(
            case=case,
            checkin=checkin,
            text=f"{child.person.first_name} asked to slow down "
            f"(check-in of {timezone.localdate(now)}): talk about the pace, and step down the "
            "contact ladder if the child wants it.",
            created_at=now,
        )
    # The audit row says that a check-in arrived, never what it says.
    audit_record(
        actor=actor,
        action=AuditAction.CHILD_CHECKIN_RECORD,
        case_id=case.pk,
        obj=checkin,
        detail={
            "source": source,
            "task": task.pk if task else None,
            "safety_concern": concern,
        },
    )
    return checkin


@transaction.atomic
def checkins_mark_read(*, actor: User, case: Case) -> int:
    """A treating therapist opened the case's check-ins: the unread ones are read now, by them
    (they leave the work queue); audited, and a no-op when nothing was unread."""
    if not access.may_read_checkins(actor, case):
        raise PermissionDenied("Only the treating therapists read the child's check-ins.")
    unread = ChildCheckin.objects.filter(case=case, read_at__isnull=True)
    ids = sorted(unread.values_list("pk", flat=True))
    if not ids:
        return 0
    ChildCheckin.objects.filter(pk__in=ids).update(read_at=timezone.now(), read_by=actor)
    audit_record(
        actor=actor,
        action=AuditAction.CHILD_CHECKIN_READ,
        case_id=case.pk,
        detail={"checkins": ids},
    )
    return len(ids)


@transaction.atomic
def task_done(*, actor: User, task: Task) -> Task:
    case = task.case
    if not access.may_read_checkins(actor, case):
        access.require(actor, access.Action.EDIT, case)
        raise PermissionDenied("Only the treating therapists complete the case's tasks.")
    if task.done_at is not None:
        raise ValidationError("This task is already done.")
    now = timezone.now()
    Task.objects.filter(pk=task.pk).update(done_at=now, done_by=actor)
    task.done_at, task.done_by = now, actor
    audit_record(actor=actor, action=AuditAction.TASK_DONE, case_id=case.pk, obj=task)
    return task


def checkin_step_down(*, actor: User, checkin: ChildCheckin) -> Any:
    """Step the ladder down at once on the child's word from a check-in, and close its task.
    Returns what `ladder_step_down` returns: the step and the parties to tell."""
    from reunify.clinical.services import ladder_step_down

    case = checkin.case
    if not access.may_read_checkins(actor, case):
        raise PermissionDenied("Only the treating therapists act on a child's check-in.")
    with transaction.atomic():
        result = ladder_step_down(
            actor=actor,
            case=case,
            on_word_of="child",
            reason=f"The child asked to slow down (check-in of "
            f"{timezone.localdate(checkin.recorded_at)}).",
        )
        task = Task.objects.filter(checkin=checkin, done_at__isnull=True).first()
        if task is not None:
            task_done(actor=actor, task=task)
    return result


# Questionnaires ----------------------------------------------------------------------------


def _instrument_problems(error: questionnaires.InstrumentError, name: str) -> ValidationError:
    where = f"{name}: " if name else ""
    return ValidationError(
        [f"{where}{len(error.problems)} problem(s) — nothing was imported."]
        + [problem for problem in error.problems]
    )


def instrument_check(text: str, *, filename: str = "") -> questionnaires.InstrumentDefinition:
    """Parse and check an instrument file; `ValidationError` lists every problem found."""
    try:
        return questionnaires.parse_instrument(questionnaires.load_text(text, filename=filename))
    except questionnaires.InstrumentError as error:
        raise _instrument_problems(error, filename) from error


@transaction.atomic
def instrument_import(
    *, actor: User | None, text: str = "", filename: str = "", data: Any = None
) -> Instrument:
    """Add an instrument to the practice's questionnaires, from a file's text or parsed data.
    `actor` is None only for the command line."""
    if actor is not None and not access.may_manage_instruments(actor):
        raise PermissionDenied("Only practice administrators and supervisors import instruments.")
    if data is not None:
        try:
            definition = questionnaires.parse_instrument(data)
        except questionnaires.InstrumentError as error:
            raise _instrument_problems(error, filename) from error
    else:
        definition = instrument_check(text, filename=filename)
        data = questionnaires.load_text(text, filename=filename)
    if Instrument.objects.filter(slug=definition.slug, version=definition.version).exists():
        raise ValidationError(
            f"{definition.slug} version {definition.version} is already imported; an "
            "instrument is never changed once in use: give the new one another 'version'."
        )
    instrument = Instrument.objects.create(
        slug=definition.slug,
        version=definition.version,
        title=definition.title,
        description=definition.description,
        licence=definition.licence,
        definition=data,
        shipped=False,
        imported_by=actor,
        imported_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.INSTRUMENT_IMPORT,
        obj=instrument,
        detail={"slug": definition.slug, "version": definition.version},
    )
    return instrument


def _informant_party(
    case: Case, informant: str, party: Party | None, definition: Any
) -> Party | None:
    if informant not in definition.informants:
        names = ", ".join(questionnaires.INFORMANTS[i].lower() for i in definition.informants)
        raise ValidationError(f"{definition.title} is answered by: {names}.")
    if informant == questionnaires.THERAPIST:
        if party is not None:
            raise ValidationError("A therapist's rating names no family member as informant.")
        return None
    if party is None:
        raise ValidationError(f"Say which {questionnaires.INFORMANTS[informant].lower()} answered.")
    party_of(case, party)
    if party.role != informant:
        raise ValidationError(
            f"{party.person.full_name} is the case's {party.get_role_display().lower()}, not "
            f"its {questionnaires.INFORMANTS[informant].lower()}."
        )
    return party


@transaction.atomic
def response_record(
    *,
    actor: User,
    case: Case,
    instrument: Instrument,
    informant: str,
    answered_on: dt.date,
    answers: dict[str, Any],
    party: Party | None = None,
) -> QuestionnaireResponse:
    """Record one informant's answers and score them (see `questionnaires.score`)."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if not instrument.active:
        raise ValidationError(f"{instrument} is no longer in use.")
    definition = questionnaires.definition_of(instrument.definition)
    party = _informant_party(case, informant, party, definition)
    require_record_day(answered_on, "answer", case)
    try:
        cleaned = questionnaires.check_answers(definition, answers)
    except questionnaires.AnswerError as error:
        raise ValidationError(error.problems) from error
    if all(value is None for value in cleaned.values()):
        raise ValidationError("No item was answered: there is nothing to record.")
    scores = [s.as_dict() for s in questionnaires.score(definition, cleaned)]
    response = recorded_create(
        QuestionnaireResponse,
        actor=actor,
        action=AuditAction.QUESTIONNAIRE_RECORD,
        case_id=case.pk,
        detail={
            "instrument": instrument.slug,
            "version": instrument.version,
            "informant": informant,
        },
        case=case,
        instrument=instrument,
        informant=informant,
        party=party,
        answered_on=answered_on,
        answers=cleaned,
        scores=scores,
    )
    return response
