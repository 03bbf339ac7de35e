"""The clinical-record API: sessions, contact visits, the ladder, notes, as typed endpoints.

Cases are found through `access.case_get` and appointments through `selectors.appointment_get`
(a visit monitor sees and records only the visits assigned to them, and nothing else of the
case). Every read is written to the audit log through `case_view`; every write is one call to
a service in `clinical.services`, which validates and audits. Psychotherapy notes are served
only by their own two routes, and only to the author and a supervisor they were shared with.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router

from reunify import access
from reunify.access import Action
from reunify.accounts.models import Role, User
from reunify.cases.api import READ_ERRORS, WRITE_ERRORS, case_to_change, case_to_read, request_user
from reunify.cases.models import Case, Party
from reunify.cases.schemas import ErrorOut
from reunify.cases.services import UNCHANGED, case_view, case_views
from reunify.clinical import selectors, services
from reunify.clinical.models import (
    CONTACT_KINDS,
    Addendum,
    AmendmentRequest,
    Appointment,
    AppointmentStatus,
    ChildAssent,
    ContactRung,
    Ladder,
    LadderStep,
    Letter,
    ProgressNote,
    PsychotherapyNote,
)
from reunify.clinical.schemas import (
    AddendumIn,
    AddendumOut,
    AmendmentDecisionIn,
    AmendmentRequestIn,
    AmendmentRequestOut,
    AppointmentIn,
    AppointmentOut,
    ArrangementIn,
    ArrangementOut,
    AssentIn,
    AssentOut,
    AttendanceOut,
    CancelIn,
    CompleteIn,
    ContactRecordIn,
    LadderConfigIn,
    LadderGateOut,
    LadderOut,
    LetterIn,
    LetterOut,
    NoShowIn,
    NoteIn,
    NoteOut,
    NoteSignIn,
    OpinionWarningOut,
    PartyRefOut,
    PsychotherapyNoteIn,
    PsychotherapyNoteOut,
    RescheduleIn,
    RungOut,
    RungRefOut,
    ShareIn,
    StepIn,
    StepOut,
    StepResultOut,
)
from reunify.paging import Page, paged
from reunify.process import ladder as ladder_rules
from reunify.process import pausing
from reunify.process.gates import integration_threshold, streak, with_gate_facts

router = Router(tags=["clinical record"])

OPINION_HINT = (
    'Rephrase the observations as facts, or send the same record again with "confirm_facts": '
    "true to save them as written."
)


# Finding things ----------------------------------------------------------------------------


def _appointments(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    """What an appointment row shows, in a fixed number of queries however many rows."""
    return (
        queryset.select_related(
            "rung",
            "monitor",
            "therapist",
            "cancelled_by_party__person",
            "no_show_party__person",
            "contact_record__brought_by__person",
            "contact_record__recorded_by",
        )
        # Replace a selector's own prefetch of the participants: Django refuses two.
        .prefetch_related(None)
        .prefetch_related(Prefetch("participants", queryset=Party.objects.select_related("person")))
    )


def _appointment_out(appointment: Appointment, *, clinical: bool) -> AppointmentOut:
    loaded = _appointments(Appointment.objects.filter(pk=appointment.pk)).get()
    return AppointmentOut.of(loaded, clinical=clinical)


def _sees_case(user: User, appointment: Appointment) -> bool:
    """Case staff see a visit's status note; its monitor sees the visit alone."""
    return access.can(user, Action.VIEW, appointment.case)


def appointment_in_record(user: User, appointment_id: int, action: Action) -> Appointment:
    """The session as part of the case record (its notes): for the case's own staff only.

    A monitor's sight of their visit stops at the visit: its notes answer 404 like any other
    part of a case out of sight.
    """
    appointment = selectors.appointment_get(user, appointment_id)
    access.require(user, action, appointment.case)
    return appointment


def _note_of(user: User, note_id: int, action: Action) -> ProgressNote:
    note = (
        ProgressNote.objects.filter(case__in=access.cases_for(user), pk=note_id)
        .select_related("case__therapist", "appointment__case", "author")
        .first()
    )
    if note is None:
        raise Http404("No such note.")
    access.require(user, action, note.case)
    return note


def _notes(queryset: QuerySet[ProgressNote]) -> QuerySet[ProgressNote]:
    return queryset.select_related("author").prefetch_related(
        Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
        Prefetch(
            "amendments",
            queryset=AmendmentRequest.objects.select_related(
                "party__person", "decided_by", "recorded_by"
            ),
        ),
    )


def _note_out(note: ProgressNote) -> NoteOut:
    return NoteOut.of(_notes(ProgressNote.objects.filter(pk=note.pk)).get())


def _party(case: Case, party_id: int | None, what: str = "party") -> Party:
    party = (
        Party.objects.select_related("person").filter(case=case, pk=party_id).first()
        if party_id is not None
        else None
    )
    if party is None:
        raise ValidationError(f"There is no {what} {party_id} in this case.")
    return party


def _parties(case: Case, party_ids: list[int]) -> list[Party]:
    found = {p.pk: p for p in Party.objects.select_related("person").filter(case=case)}
    missing = [str(pk) for pk in party_ids if pk not in found]
    if missing:
        raise ValidationError(f"There is no party {', '.join(missing)} in this case.")
    return [found[pk] for pk in dict.fromkeys(party_ids)]


def _rung(case: Case, position: int | None) -> ContactRung | None:
    if position is None:
        return None
    rung = ContactRung.objects.filter(ladder__case=case, position=position).first()
    if rung is None:
        if not ContactRung.objects.filter(ladder__case=case).exists():
            raise ValidationError(
                "The case has no contact ladder yet; it starts with therapeutic contact."
            )
        raise ValidationError(f"This case's ladder has no rung {position}.")
    return rung


def _monitor(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError(f"There is no active staff member {username!r} to monitor the visit.")
    return user


# Sessions ----------------------------------------------------------------------------------


# Sessions and visits in the order they are held.
BY_START = ("starts_at", "id")


@router.get("/cases/{id}/appointments", response={200: list[AppointmentOut], **READ_ERRORS})
@paged
def appointment_list(request: HttpRequest, id: int, page: Page) -> list[AppointmentOut]:
    """Every session of the case, oldest first: participants, status, cancellations (by whom,
    how late), no-shows, visits ended early and their ladder rung."""
    _, case = case_to_read(request, id, "appointment_list")
    appointments = _appointments(Appointment.objects.filter(case=case))
    return [AppointmentOut.of(a) for a in page.rows(appointments, order=BY_START)]


@router.post("/cases/{id}/appointments", response={201: AppointmentOut, **WRITE_ERRORS})
def appointment_create(
    request: HttpRequest, id: int, payload: AppointmentIn
) -> tuple[int, AppointmentOut]:
    """Schedule a session. A contact visit only on the current rung or below, never while the
    case is paused or a court term forbids contact."""
    user, case = case_to_change(request, id)
    appointment = services.appointment_schedule(
        actor=user,
        case=case,
        kind=payload.kind.value,
        starts_at=payload.starts_at,
        participants=_parties(case, payload.participant_ids),
        duration_minutes=payload.duration_minutes,
        modality=payload.modality.value,
        location=payload.location,
        monitor=_monitor(payload.monitor),
        rung=_rung(case, payload.rung),
    )
    return 201, _appointment_out(appointment, clinical=True)


@router.get("/visits", response={200: list[AppointmentOut], 401: ErrorOut})
@paged
def visit_list(
    request: HttpRequest, page: Page, include_past: bool = False
) -> list[AppointmentOut]:
    """Contact visits still to hold or record (status scheduled), soonest first; with
    `include_past=true`, every one. A visit monitor gets exactly the visits assigned to them;
    a therapist or supervisor, the contact visits of the cases they may see."""
    user = request_user(request)
    access.require_staff(user)
    if user.role == Role.MONITOR:
        visits = selectors.monitor_visits(user)
    else:
        visits = Appointment.objects.filter(access.appointment_visibility(user))
    visits = _appointments(visits.filter(kind__in=CONTACT_KINDS))
    if not include_past:
        visits = visits.filter(status=AppointmentStatus.SCHEDULED)
    rows = page.rows(visits, order=BY_START)
    case_ids = {a.case_id for a in rows}
    staff_of = set(access.cases_for(user).filter(pk__in=case_ids).values_list("pk", flat=True))
    cases = [appointment.case for appointment in {a.case_id: a for a in rows}.values()]
    case_views(actor=user, cases=cases, what="api:visit_list")
    return [AppointmentOut.of(a, clinical=a.case_id in staff_of) for a in rows]


@router.get("/appointments/{id}", response={200: AppointmentOut, **READ_ERRORS})
def appointment_get(request: HttpRequest, id: int) -> AppointmentOut:
    """One session; a visit monitor may read the visits assigned to them."""
    user = request_user(request)
    appointment = selectors.appointment_get(user, id)
    case_view(actor=user, case=appointment.case, what="api:appointment_get")
    return _appointment_out(appointment, clinical=_sees_case(user, appointment))


@router.post("/appointments/{id}/reschedule", response={200: AppointmentOut, **WRITE_ERRORS})
def appointment_reschedule(request: HttpRequest, id: int, payload: RescheduleIn) -> AppointmentOut:
    """Move a scheduled (or held-back) session to a new time; it is scheduled again."""
    user = request_user(request)
    appointment = services.appointment_reschedule(
        actor=user,
        appointment=selectors.appointment_get(user, id, Action.EDIT),
        starts_at=payload.starts_at,
        duration_minutes=payload.duration_minutes,
    )
    return _appointment_out(appointment, clinical=True)


@router.post("/appointments/{id}/cancel", response={200: AppointmentOut, **WRITE_ERRORS})
def appointment_cancel(request: HttpRequest, id: int, payload: CancelIn) -> AppointmentOut:
    """Cancel, recording by whom (a party, the therapist, the court) and how late."""
    user = request_user(request)
    appointment = selectors.appointment_get(user, id, Action.EDIT)
    party = None if payload.party_id is None else _party(appointment.case, payload.party_id)
    cancelled = services.appointment_cancel(
        actor=user,
        appointment=appointment,
        cancelled_by=payload.cancelled_by.value,
        party=party,
        note=payload.note,
    )
    return _appointment_out(cancelled, clinical=True)


@router.post("/appointments/{id}/complete", response={200: AppointmentOut, **WRITE_ERRORS})
def appointment_complete(request: HttpRequest, id: int, payload: CompleteIn) -> AppointmentOut:
    """Mark a session that has started as held (a contact visit is completed by its record;
    a completed intake counts as the participant's intake interview)."""
    user = request_user(request)
    appointment = services.appointment_complete(
        actor=user, appointment=selectors.appointment_get(user, id, Action.EDIT), note=payload.note
    )
    return _appointment_out(appointment, clinical=True)


@router.post("/appointments/{id}/no-show", response={200: AppointmentOut, **WRITE_ERRORS})
def appointment_no_show(request: HttpRequest, id: int, payload: NoShowIn) -> AppointmentOut:
    """Record that a participant did not come to a session that has started."""
    user = request_user(request)
    appointment = selectors.appointment_get(user, id, Action.EDIT)
    missed = services.appointment_no_show(
        actor=user,
        appointment=appointment,
        party=_party(appointment.case, payload.party_id),
        note=payload.note,
    )
    return _appointment_out(missed, clinical=True)


@router.post(
    "/appointments/{id}/contact-record",
    response={201: AppointmentOut, **WRITE_ERRORS, 400: OpinionWarningOut},
)
def contact_record_create(
    request: HttpRequest, id: int, payload: ContactRecordIn
) -> tuple[int, AppointmentOut | OpinionWarningOut]:
    """Record a contact visit that has started, in facts: who brought the child, observers,
    duration, the child's comfort before and after, incidents. A record that reads as a
    custody opinion answers 400 with the words found, unless `confirm_facts` is true."""
    user = request_user(request)
    appointment = selectors.appointment_get(user, id, Action.RECORD)
    brought_by = None
    if payload.brought_by is not None:
        brought_by = _party(appointment.case, payload.brought_by)
    facts = services.ContactFacts(
        duration_minutes=payload.duration_minutes,
        comfort_before=payload.comfort_before,
        comfort_after=payload.comfort_after,
        brought_by=brought_by,
        observers=payload.observers,
        critical_incidents=payload.critical_incidents,
        observations=payload.observations,
        ended_early_reason=payload.ended_early_reason.value if payload.ended_early_reason else "",
        safety_concern=payload.safety_concern,
        safety_concern_note=payload.safety_concern_note,
    )
    try:
        pausing.contact_record(
            actor=user, appointment=appointment, facts=facts, confirm_facts=payload.confirm_facts
        )
    except services.OpinionWarning as warning:
        return 400, OpinionWarningOut(
            detail=" ".join(warning.messages), opinion_words=warning.phrases, hint=OPINION_HINT
        )
    return 201, _appointment_out(appointment, clinical=_sees_case(user, appointment))


# The ladder --------------------------------------------------------------------------------


def _ladder_out(case: Case) -> LadderOut:
    facts = with_gate_facts(Case.objects.filter(pk=case.pk)).get()
    contact = list(
        Appointment.objects.filter(case=case, kind__in=CONTACT_KINDS).select_related(
            "contact_record"
        )
    )
    view = selectors.ladder_view(facts, contact)
    if view is None:
        return LadderOut(
            case_id=case.pk,
            started=False,
            current_rung=None,
            rung_entered_at=None,
            min_sessions=3,
            min_comfort=6,
            consecutive_visits=0,
            rungs=[],
            steps=[],
            assents=[],
            gate=None,
        )
    ladder = view.ladder
    assents = ChildAssent.objects.filter(ladder=ladder).select_related(
        "child__person", "rung", "recorded_by"
    )
    return LadderOut(
        case_id=case.pk,
        started=True,
        current_rung=RungRefOut.maybe(ladder.current_rung),
        rung_entered_at=ladder.rung_entered_at,
        min_sessions=ladder.min_sessions,
        min_comfort=ladder.min_comfort,
        integration_position=ladder.integration_position,
        integration_threshold=RungRefOut.maybe(
            integration_threshold(facts, ladder, today=timezone.localdate())
        ),
        consecutive_visits=len(streak(ladder, contact)),
        rungs=[RungOut.of(r, ladder.current_rung) for r in view.rungs],
        steps=[StepOut.of(s) for s in ladder.steps.all()],
        assents=[AssentOut.of(a) for a in assents],
        gate=LadderGateOut.of(view.gate),
    )


@router.get("/cases/{id}/ladder", response={200: LadderOut, **READ_ERRORS})
def ladder_get(request: HttpRequest, id: int) -> LadderOut:
    """The contact ladder: its rungs, the current one, the step-up thresholds, every step and
    the child's assents, and the way up with every reason it is closed."""
    _, case = case_to_read(request, id, "ladder")
    return _ladder_out(case)


@router.post("/cases/{id}/ladder/step", response={201: StepResultOut, **WRITE_ERRORS})
def ladder_step(request: HttpRequest, id: int, payload: StepIn) -> tuple[int, StepResultOut]:
    """Step up one rung (refused with 409 and the reasons while the way up is closed), or
    step down at once on the child's or the therapist's word: visits above the new rung are
    held and the parties to tell are returned."""
    user, case = case_to_change(request, id)
    notify: list[Party] = []
    if payload.direction == "up":
        if payload.on_word_of == "child":
            raise ValidationError(
                "A step up is the therapist's decision; record the child's word as assent."
            )
        if payload.to_rung is not None:
            _check_next_rung(case, payload.to_rung)
        step = services.ladder_step_up(
            actor=user, case=case, rationale=payload.reason, effective_on=payload.effective_on
        )
    else:
        step, notify = services.ladder_step_down(
            actor=user,
            case=case,
            on_word_of=payload.on_word_of or "",
            reason=payload.reason,
            to=_rung(case, payload.to_rung),
            effective_on=payload.effective_on,
        )
    loaded = LadderStep.objects.select_related("from_rung", "to_rung", "actor").get(pk=step.pk)
    return 201, StepResultOut(step=StepOut.of(loaded), notify=[PartyRefOut.of(p) for p in notify])


def _check_next_rung(case: Case, position: int) -> None:
    ladder = (
        Ladder.objects.filter(case=case)
        .select_related("current_rung")
        .prefetch_related("rungs")
        .first()
    )
    following = ladder_rules.next_rung(ladder) if ladder is not None else None
    if following is not None and following.position != position:
        raise ValidationError(
            "The ladder is climbed one rung at a time: the next rung is "
            f"{following.position} ('{following.name}')."
        )


@router.put("/cases/{id}/ladder", response={200: LadderOut, **WRITE_ERRORS})
def ladder_configure(request: HttpRequest, id: int, payload: LadderConfigIn) -> LadderOut:
    """Change the step-up thresholds and redraw the rungs above the current one."""
    user, case = case_to_change(request, id)
    rungs = None
    if payload.rungs_above is not None:
        rungs = [
            services.RungInput(
                name=r.name, supervised=r.supervised, in_therapy=r.in_therapy, letters=r.letters
            )
            for r in payload.rungs_above
        ]
    services.ladder_configure(
        actor=user,
        case=case,
        rungs_above=rungs,
        min_sessions=payload.min_sessions,
        min_comfort=payload.min_comfort,
        integration_position=payload.integration_position
        if "integration_position" in payload.model_fields_set
        else UNCHANGED,
    )
    return _ladder_out(case)


@router.post("/cases/{id}/ladder/assents", response={201: AssentOut, **WRITE_ERRORS})
def assent_create(request: HttpRequest, id: int, payload: AssentIn) -> tuple[int, AssentOut]:
    """Record the child's own yes or no to a rung; a step up needs the child's yes."""
    user, case = case_to_change(request, id)
    rung = _rung(case, payload.rung)
    assert rung is not None
    assent = services.assent_record(
        actor=user,
        case=case,
        child=_party(case, payload.child_id, "child"),
        rung=rung,
        given=payload.given,
        recorded_on=payload.recorded_on,
        note=payload.note,
    )
    loaded = ChildAssent.objects.select_related("child__person", "rung", "recorded_by")
    return 201, AssentOut.of(loaded.get(pk=assent.pk))


@router.get("/cases/{id}/letters", response={200: list[LetterOut], **READ_ERRORS})
@paged
def letter_list(request: HttpRequest, id: int, page: Page) -> list[LetterOut]:
    """The letters and messages exchanged on the ladder's letters rungs, oldest first; the
    content and the reason for holding one back only for the treating therapists."""
    user, case = case_to_read(request, id, "letters")
    with_content = access.may_read_letters(user, case)
    letters = Letter.objects.filter(case=case).select_related("rung", "reviewed_by")
    return [
        LetterOut.of(letter, with_content=with_content)
        for letter in page.rows(letters, order=("written_on", "id"))
    ]


@router.post("/cases/{id}/letters", response={201: LetterOut, **WRITE_ERRORS})
def letter_create(request: HttpRequest, id: int, payload: LetterIn) -> tuple[int, LetterOut]:
    """Record a letter or message exchanged on the ladder's current rung, a letters rung, with
    the review: passed on, or held back and why."""
    user, case = case_to_change(request, id)
    letter = services.letter_record(actor=user, case=case, **payload.dict())
    loaded = Letter.objects.select_related("rung", "reviewed_by").get(pk=letter.pk)
    return 201, LetterOut.of(loaded, with_content=True)


# Progress notes, addenda, amendment requests -----------------------------------------------


@router.get("/appointments/{id}/notes", response={200: list[NoteOut], **READ_ERRORS})
@paged
def note_list(request: HttpRequest, id: int, page: Page) -> list[NoteOut]:
    """The session's progress notes, drafts and signed, each with its addenda and the
    amendment requests made of it."""
    user = request_user(request)
    appointment = appointment_in_record(user, id, Action.VIEW)
    case_view(actor=user, case=appointment.case, what="api:note_list")
    notes = _notes(ProgressNote.objects.filter(appointment=appointment))
    # One session's notes: the model's order (by the session's start) is the order written.
    return [NoteOut.of(n) for n in page.rows(notes, order=("id",))]


@router.post("/appointments/{id}/notes", response={201: NoteOut, **WRITE_ERRORS})
def note_create(request: HttpRequest, id: int, payload: NoteIn) -> tuple[int, NoteOut]:
    """Write the session's progress note as a draft (DAP or SOAP); sign it when done."""
    user = request_user(request)
    note = pausing.note_write(
        actor=user,
        appointment=appointment_in_record(user, id, Action.EDIT),
        format=payload.format.value,
        body=payload.body,
        safety_concern=payload.safety_concern,
        safety_concern_note=payload.safety_concern_note,
    )
    return 201, _note_out(note)


@router.put("/notes/{id}", response={200: NoteOut, **WRITE_ERRORS})
def note_update(request: HttpRequest, id: int, payload: NoteIn) -> NoteOut:
    """Change your draft. A signed note is locked: it answers 400 and takes an addendum."""
    user = request_user(request)
    note = _note_of(user, id, Action.EDIT)
    changed = pausing.note_write(
        actor=user,
        appointment=note.appointment,
        format=payload.format.value,
        body=payload.body,
        safety_concern=payload.safety_concern,
        safety_concern_note=payload.safety_concern_note,
        note=note,
    )
    return _note_out(changed)


@router.post("/notes/{id}/sign", response={200: NoteOut, **WRITE_ERRORS})
def note_sign(request: HttpRequest, id: int, payload: NoteSignIn) -> NoteOut:
    """Sign your draft: it is locked from now on under a hash of its content. Send `content`
    to save and sign what you have in front of you in one step. Refused (400) while the
    session has not been held, or with a required section empty."""
    user = request_user(request)
    content = None
    if payload.content is not None:
        content = services.NoteContent(
            format=payload.content.format.value,
            body=payload.content.body,
            safety_concern=payload.content.safety_concern,
            safety_concern_note=payload.content.safety_concern_note,
        )
    signed = pausing.note_sign(actor=user, note=_note_of(user, id, Action.EDIT), content=content)
    return _note_out(signed)


@router.get("/notes/{id}/addenda", response={200: list[AddendumOut], **READ_ERRORS})
@paged
def addendum_list(request: HttpRequest, id: int, page: Page) -> list[AddendumOut]:
    """The addenda of a signed note, oldest first, each hash-linked to the one before."""
    user = request_user(request)
    note = _note_of(user, id, Action.VIEW)
    case_view(actor=user, case=note.case, what="api:addendum_list")
    addenda = note.addenda.select_related("author")
    return [AddendumOut.of(a) for a in page.rows(addenda, order=("signed_at", "id"))]


@router.post("/notes/{id}/addenda", response={201: AddendumOut, **WRITE_ERRORS})
def addendum_create(request: HttpRequest, id: int, payload: AddendumIn) -> tuple[int, AddendumOut]:
    """Add a signed addendum to a signed note: the only way a signed note changes."""
    user = request_user(request)
    addendum = services.addendum_add(
        actor=user, note=_note_of(user, id, Action.EDIT), text=payload.text
    )
    return 201, AddendumOut.of(Addendum.objects.select_related("author").get(pk=addendum.pk))


@router.post("/notes/{id}/amendment-requests", response={201: AmendmentRequestOut, **WRITE_ERRORS})
def amendment_request_create(
    request: HttpRequest, id: int, payload: AmendmentRequestIn
) -> tuple[int, AmendmentRequestOut]:
    """Record a family member's request to amend a signed note of their record."""
    user = request_user(request)
    note = _note_of(user, id, Action.EDIT)
    amendment = services.amendment_request_record(
        actor=user,
        note=note,
        party=_party(note.case, payload.party_id),
        received_on=payload.received_on,
        request_text=payload.request_text,
    )
    return 201, _amendment_out(amendment)


def _amendment_out(amendment: AmendmentRequest) -> AmendmentRequestOut:
    loaded = AmendmentRequest.objects.select_related("party__person", "decided_by", "recorded_by")
    return AmendmentRequestOut.of(loaded.get(pk=amendment.pk))


@router.post(
    "/amendment-requests/{id}/decision", response={200: AmendmentRequestOut, **WRITE_ERRORS}
)
def amendment_decision(
    request: HttpRequest, id: int, payload: AmendmentDecisionIn
) -> AmendmentRequestOut:
    """Accept (the amended text becomes an addendum) or deny (the denial, and the party's
    statement of disagreement if given, are appended to the note)."""
    user = request_user(request)
    amendment = (
        AmendmentRequest.objects.filter(case__in=access.cases_for(user), pk=id)
        .select_related("case__therapist")
        .first()
    )
    if amendment is None:
        raise Http404("No such amendment request.")
    access.require(user, Action.EDIT, amendment.case)
    decided = services.amendment_decide(
        actor=user,
        request=amendment,
        accept=payload.decision == "accept",
        reason=payload.reason,
        amendment_text=payload.amendment_text,
        disagreement_statement=payload.disagreement_statement,
    )
    return _amendment_out(decided)


# Psychotherapy notes -----------------------------------------------------------------------


@router.get(
    "/cases/{id}/psychotherapy-notes", response={200: list[PsychotherapyNoteOut], **READ_ERRORS}
)
@paged
def psychotherapy_note_list(
    request: HttpRequest, id: int, page: Page
) -> list[PsychotherapyNoteOut]:
    """Your own psychotherapy notes on the case, newest first, and those your supervisees
    shared with you; nobody else's, and they appear in no other response."""
    user, case = case_to_read(request, id, "psychotherapy_note_list")
    notes = selectors.psychotherapy_notes_for(user, case)
    return [PsychotherapyNoteOut.of(n) for n in page.rows(notes, order=("-created_at", "-id"))]


@router.post(
    "/cases/{id}/psychotherapy-notes", response={201: PsychotherapyNoteOut, **WRITE_ERRORS}
)
def psychotherapy_note_create(
    request: HttpRequest, id: int, payload: PsychotherapyNoteIn
) -> tuple[int, PsychotherapyNoteOut]:
    """Write a private process note, kept apart from the record."""
    user, case = case_to_change(request, id)
    appointment = None
    if payload.appointment_id is not None:
        appointment = Appointment.objects.filter(case=case, pk=payload.appointment_id).first()
        if appointment is None:
            raise ValidationError(f"There is no session {payload.appointment_id} in this case.")
    note = services.psychotherapy_note_write(
        actor=user,
        case=case,
        text=payload.text,
        appointment=appointment,
        share_with_supervisor=payload.share_with_supervisor,
    )
    return 201, PsychotherapyNoteOut.of(note)


@router.post(
    "/psychotherapy-notes/{id}/share", response={200: PsychotherapyNoteOut, **WRITE_ERRORS}
)
def psychotherapy_note_share(
    request: HttpRequest, id: int, payload: ShareIn
) -> PsychotherapyNoteOut:
    """Share your note with your clinical supervisor, or stop sharing it."""
    user = request_user(request)
    note = (
        PsychotherapyNote.objects.filter(
            access.psychotherapy_note_visibility(user),
            case__in=access.cases_for(user),
            pk=id,
        )
        .select_related("author")
        .first()
    )
    if note is None:
        raise Http404("No such note.")
    shared = services.psychotherapy_note_share(actor=user, note=note, shared=payload.shared)
    return PsychotherapyNoteOut.of(shared)


# Attendance and integration ----------------------------------------------------------------


@router.get("/cases/{id}/attendance", response={200: list[AttendanceOut], **READ_ERRORS})
def attendance_get(request: HttpRequest, id: int) -> list[AttendanceOut]:
    """Sessions held against sessions due so far, per family party, with cancellations (and
    how many were late) and no-shows."""
    _, case = case_to_read(request, id, "attendance")
    parties = Prefetch("parties", queryset=Party.objects.select_related("person"))
    with_parties = Case.objects.filter(pk=case.pk).prefetch_related(parties).get()
    return [AttendanceOut.of(row) for row in selectors.attendance_of(with_parties)]


@router.post("/cases/{id}/arrangement", response={201: ArrangementOut, **WRITE_ERRORS})
def arrangement_create(
    request: HttpRequest, id: int, payload: ArrangementIn
) -> tuple[int, ArrangementOut]:
    """Record the parenting-time arrangement the family settles on (integration)."""
    user, case = case_to_change(request, id)
    arrangement = services.arrangement_record(
        actor=user, case=case, description=payload.description, effective_on=payload.effective_on
    )
    return 201, ArrangementOut.of(arrangement)
