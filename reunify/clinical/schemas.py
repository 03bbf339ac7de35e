"""The typed shapes of the clinical-record API: sessions, contact visits, the ladder, notes.

Outputs are built from the domain objects by `of()` constructors. Psychotherapy notes have
their own shape and appear in no other one.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from ninja import Field, Schema

from reunify.accounts.models import User
from reunify.cases.models import Party, PartyRole
from reunify.cases.schemas import ReasonOut
from reunify.clinical.models import (
    NOTE_SECTIONS,
    Addendum,
    AddendumKind,
    AmendmentRequest,
    AmendmentStatus,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CancelledBy,
    ChildAssent,
    ContactRecord,
    ContactRung,
    EarlyEndReason,
    LadderStep,
    Letter,
    LetterDecision,
    LetterDirection,
    Modality,
    NoteFormat,
    ParentingArrangement,
    ProgressNote,
    PsychotherapyNote,
)
from reunify.clinical.selectors import Attendance
from reunify.process.gates import Gate


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


# Shared pieces -----------------------------------------------------------------------------


class PartyRefOut(Schema):
    id: int
    role: PartyRole
    label: str

    @classmethod
    def of(cls, party: Party) -> PartyRefOut:
        return cls(id=party.pk, role=PartyRole(party.role), label=party.label)

    @classmethod
    def maybe(cls, party: Party | None) -> PartyRefOut | None:
        return cls.of(party) if party is not None else None


class RungRefOut(Schema):
    id: int
    position: int = Field(description="1 is the first rung of the case's ladder.")
    name: str

    @classmethod
    def maybe(cls, rung: ContactRung | None) -> RungRefOut | None:
        if rung is None:
            return None
        return cls(id=rung.pk, position=rung.position, name=rung.name)


# Sessions ----------------------------------------------------------------------------------


class AppointmentIn(Schema):
    kind: AppointmentKind
    starts_at: dt.datetime = Field(description="With its time zone, e.g. 2026-03-02T16:00-08:00.")
    participant_ids: list[int] = Field(description="The ids of the case's parties who attend.")
    duration_minutes: int = 50
    modality: Modality = Modality.OFFICE
    location: str = ""
    monitor: str | None = Field(
        default=None, description="Username of the visit monitor (contact visits only)."
    )
    rung: int | None = Field(
        default=None,
        description="Contact visits: the position of the ladder rung; the current rung when "
        "absent. A rung above the current one is refused.",
    )


class RescheduleIn(Schema):
    starts_at: dt.datetime
    duration_minutes: int | None = None


class CancelIn(Schema):
    cancelled_by: CancelledBy
    party_id: int | None = Field(
        default=None, description="Required when a party cancelled: which one."
    )
    note: str = ""


class CompleteIn(Schema):
    note: str = ""


class NoShowIn(Schema):
    party_id: int = Field(description="The participant who did not come.")
    note: str = ""


class ContactRecordIn(Schema):
    duration_minutes: int = Field(description="How long the visit actually lasted.")
    comfort_before: int = Field(description="The child's comfort before the visit, 0 to 10.")
    comfort_after: int = Field(description="The child's comfort after the visit, 0 to 10.")
    brought_by: int | None = Field(default=None, description="The party who brought the child.")
    observers: str = ""
    critical_incidents: str = ""
    observations: str = Field(default="", description="Facts: what was said and done.")
    ended_early_reason: EarlyEndReason | None = Field(
        default=None, description="Set when the visit was ended early; that ends the visit only."
    )
    safety_concern: bool = Field(
        default=False, description="Raising one pauses the case and holds the visits to come."
    )
    safety_concern_note: str = ""
    confirm_facts: bool = Field(
        default=False,
        description="Save observations that contain words of a custody opinion, confirming "
        "they are quoted facts.",
    )


class OpinionWarningOut(Schema):
    detail: str
    opinion_words: list[str] = Field(
        default_factory=list, description="The phrases that read as a custody opinion."
    )
    hint: str = ""


class ContactRecordOut(Schema):
    brought_by: PartyRefOut | None
    observers: str
    duration_minutes: int
    comfort_before: int
    comfort_after: int
    critical_incidents: str
    observations: str
    safety_concern: bool
    safety_concern_note: str
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, record: ContactRecord) -> ContactRecordOut:
        return cls(
            brought_by=PartyRefOut.maybe(record.brought_by),
            observers=record.observers,
            duration_minutes=record.duration_minutes,
            comfort_before=record.comfort_before,
            comfort_after=record.comfort_after,
            critical_incidents=record.critical_incidents,
            observations=record.observations,
            safety_concern=record.safety_concern,
            safety_concern_note=record.safety_concern_note,
            recorded_by=record.recorded_by.username,
            recorded_at=record.recorded_at,
        )


class CancellationOut(Schema):
    by: CancelledBy
    by_label: str
    party: PartyRefOut | None
    at: dt.datetime | None
    notice_hours: int | None = Field(description="Hours between the cancellation and the start.")
    late: bool = Field(description="Less than 24 hours' notice.")


class AppointmentOut(Schema):
    id: int
    case_id: int
    kind: AppointmentKind
    kind_label: str
    starts_at: dt.datetime
    duration_minutes: int
    modality: Modality
    location: str
    therapist: str
    monitor: str | None
    rung: RungRefOut | None
    participants: list[PartyRefOut]
    status: AppointmentStatus
    status_label: str
    status_note: str = Field(
        description="Empty for a visit monitor: the reason may carry clinical detail."
    )
    cancellation: CancellationOut | None
    no_show_party: PartyRefOut | None
    ended_early_reason: EarlyEndReason | None
    contact_record: ContactRecordOut | None

    @classmethod
    def of(cls, appointment: Appointment, *, clinical: bool = True) -> AppointmentOut:
        """`clinical` is False for a visit monitor, who sees the visit but not the case."""
        cancellation = None
        if appointment.status == AppointmentStatus.CANCELLED and appointment.cancelled_by:
            cancellation = CancellationOut(
                by=CancelledBy(appointment.cancelled_by),
                by_label=appointment.get_cancelled_by_display(),
                party=PartyRefOut.maybe(appointment.cancelled_by_party),
                at=appointment.cancelled_at,
                notice_hours=appointment.notice_hours,
                late=appointment.late_cancellation,
            )
        record = getattr(appointment, "contact_record", None)
        return cls(
            id=appointment.pk,
            case_id=appointment.case_id,
            kind=AppointmentKind(appointment.kind),
            kind_label=appointment.get_kind_display(),
            starts_at=appointment.starts_at,
            duration_minutes=appointment.duration_minutes,
            modality=Modality(appointment.modality),
            location=appointment.location,
            therapist=appointment.therapist.username,
            monitor=_username(appointment.monitor),
            rung=RungRefOut.maybe(appointment.rung),
            participants=[PartyRefOut.of(p) for p in appointment.participants.all()],
            status=AppointmentStatus(appointment.status),
            status_label=appointment.get_status_display(),
            status_note=appointment.status_note if clinical else "",
            cancellation=cancellation,
            no_show_party=PartyRefOut.maybe(appointment.no_show_party),
            ended_early_reason=(
                EarlyEndReason(appointment.ended_early_reason)
                if appointment.ended_early_reason
                else None
            ),
            contact_record=ContactRecordOut.of(record) if record is not None else None,
        )


# The ladder --------------------------------------------------------------------------------


class RungOut(Schema):
    id: int
    position: int
    name: str
    supervised: bool
    in_therapy: bool = Field(description="Takes place within therapy (letters, in-office).")
    letters: bool = Field(description="Climbed on letters passed on, not visits.")
    current: bool

    @classmethod
    def of(cls, rung: ContactRung, current: ContactRung | None) -> RungOut:
        return cls(
            id=rung.pk,
            position=rung.position,
            name=rung.name,
            supervised=rung.supervised,
            in_therapy=rung.in_therapy,
            letters=rung.letters,
            current=current is not None and rung.pk == current.pk,
        )


class StepOut(Schema):
    id: int
    direction: Literal["start", "up", "down"]
    from_rung: RungRefOut | None
    to_rung: RungRefOut
    on_word_of: Literal["therapist", "child"]
    reason: str
    actor: str
    at: dt.datetime = Field(description="When the step was recorded.")
    effective_on: dt.date = Field(description="The day the step took effect.")

    @classmethod
    def of(cls, step: LadderStep) -> StepOut:
        to_rung = RungRefOut.maybe(step.to_rung)
        assert to_rung is not None
        return cls(
            id=step.pk,
            direction=step.direction,  # type: ignore[arg-type]
            from_rung=RungRefOut.maybe(step.from_rung),
            to_rung=to_rung,
            on_word_of=step.on_word_of,  # type: ignore[arg-type]
            reason=step.reason,
            actor=step.actor.username,
            at=step.at,
            effective_on=step.effective_on,
        )


class AssentIn(Schema):
    child_id: int = Field(description="The child party whose assent this is.")
    rung: int = Field(description="The position of the rung the child says yes or no to.")
    given: bool
    recorded_on: dt.date
    note: str = Field(default="", description="In the child's own words where possible.")


class LetterIn(Schema):
    written_on: dt.date
    direction: LetterDirection
    content: str = Field(description="The letter's text or a summary (clinical).")
    reviewed_on: dt.date
    decision: LetterDecision
    held_back_reason: str = Field(default="", description="Needed when held back.")


class LetterOut(Schema):
    id: int
    rung: RungRefOut
    written_on: dt.date
    direction: LetterDirection
    content: str | None = Field(
        description="The text or summary; null for a reader who is not a treating therapist."
    )
    reviewed_by: str
    reviewed_on: dt.date
    decision: LetterDecision
    held_back_reason: str | None = Field(description="Null as for the content.")
    recorded_at: dt.datetime

    @classmethod
    def of(cls, letter: Letter, *, with_content: bool) -> LetterOut:
        rung = RungRefOut.maybe(letter.rung)
        assert rung is not None
        return cls(
            id=letter.pk,
            rung=rung,
            written_on=letter.written_on,
            direction=LetterDirection(letter.direction),
            content=letter.content if with_content else None,
            reviewed_by=letter.reviewed_by.username,
            reviewed_on=letter.reviewed_on,
            decision=LetterDecision(letter.decision),
            held_back_reason=letter.held_back_reason if with_content else None,
            recorded_at=letter.recorded_at,
        )


class AssentOut(Schema):
    id: int
    child: PartyRefOut
    rung: RungRefOut
    given: bool
    note: str
    recorded_on: dt.date
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, assent: ChildAssent) -> AssentOut:
        rung = RungRefOut.maybe(assent.rung)
        assert rung is not None
        return cls(
            id=assent.pk,
            child=PartyRefOut.of(assent.child),
            rung=rung,
            given=assent.given,
            note=assent.note,
            recorded_on=assent.recorded_on,
            recorded_by=assent.recorded_by.username,
            recorded_at=assent.recorded_at,
        )


class LadderGateOut(Schema):
    current_rung: str
    next_rung: str | None = Field(description="Null at the top of the ladder.")
    open: bool
    reasons: list[ReasonOut] = Field(description="Every reason the way up is closed.")

    @classmethod
    def of(cls, gate: Gate) -> LadderGateOut:
        return cls(
            current_rung=gate.phase,
            next_rung=gate.next_phase,
            open=gate.is_open,
            reasons=[ReasonOut.of(r) for r in gate.reasons],
        )


class LadderOut(Schema):
    case_id: int
    started: bool = Field(
        description="False before therapeutic contact: the case has no ladder yet and the "
        "lists are empty."
    )
    current_rung: RungRefOut | None
    rung_entered_at: dt.datetime | None
    min_sessions: int = Field(description="Consecutive completed visits needed to step up.")
    min_comfort: int = Field(description="The child's lowest comfort (0-10) allowed at each.")
    integration_position: int | None = Field(
        default=None,
        description="The rung the case must reach before integration, as chosen; null: the "
        "default rule.",
    )
    integration_threshold: RungRefOut | None = Field(
        default=None,
        description="The rung that rule gives today (what the gate into integration asks).",
    )
    consecutive_visits: int = Field(
        description="Completed visits on the current rung since it was entered that count."
    )
    rungs: list[RungOut]
    steps: list[StepOut]
    assents: list[AssentOut]
    gate: LadderGateOut | None


class StepIn(Schema):
    direction: Literal["up", "down"]
    on_word_of: Literal["therapist", "child"] | None = Field(
        default=None, description="A step down: on the child's or the therapist's word."
    )
    reason: str = Field(default="", description="Required for a step down.")
    to_rung: int | None = Field(
        default=None,
        description="The position to move to. Down: any rung below (one below when absent); "
        "up: only the next one.",
    )
    effective_on: dt.date | None = Field(
        default=None,
        description="The day the step took effect: today when absent; never in the future, "
        "before the referral or before the ladder's previous step.",
    )


class StepResultOut(Schema):
    step: StepOut
    notify: list[PartyRefOut] = Field(
        description="After a step down: the parties whose visits above the new rung are held "
        "and who must be told."
    )


class RungIn(Schema):
    name: str
    supervised: bool = True
    in_therapy: bool = True
    letters: bool = Field(default=False, description="Climbed on letters passed on, not visits.")


class LadderConfigIn(Schema):
    min_sessions: int | None = None
    min_comfort: int | None = None
    integration_position: int | None = Field(
        default=None,
        description="The unsupervised rung (its position) to reach before integration; send "
        "null to go back to the default (the top rung, or the one below it while a court term "
        "allows unsupervised visits only). Left out: unchanged.",
    )
    rungs_above: list[RungIn] | None = Field(
        default=None,
        description="Redraw the rungs above the current one (the current and lower rungs are "
        "history and stay).",
    )


# Notes -------------------------------------------------------------------------------------


class NoteIn(Schema):
    format: NoteFormat
    body: dict[str, str] = Field(
        description="DAP: data, assessment, plan. SOAP: subjective, objective, assessment, plan."
    )
    safety_concern: bool = Field(default=False, description="Raising one pauses the case.")
    safety_concern_note: str = ""


class NoteSignIn(Schema):
    content: NoteIn | None = Field(
        default=None,
        description="What you see on your screen: when given, the draft is saved as this and "
        "signed in one step (nothing is saved if signing is refused). When absent, the draft "
        "is signed as last saved.",
    )


class SectionOut(Schema):
    key: str
    label: str
    text: str


class AddendumIn(Schema):
    text: str


class AddendumOut(Schema):
    id: int
    note_id: int
    kind: AddendumKind
    kind_label: str
    author: str
    text: str
    signed_at: dt.datetime
    prev_hash: str
    content_hash: str

    @classmethod
    def of(cls, addendum: Addendum) -> AddendumOut:
        return cls(
            id=addendum.pk,
            note_id=addendum.note_id,
            kind=AddendumKind(addendum.kind),
            kind_label=addendum.get_kind_display(),
            author=addendum.author.username,
            text=addendum.text,
            signed_at=addendum.signed_at,
            prev_hash=addendum.prev_hash,
            content_hash=addendum.content_hash,
        )


class AmendmentRequestIn(Schema):
    party_id: int = Field(description="The family member asking to amend their record.")
    received_on: dt.date
    request_text: str


class AmendmentDecisionIn(Schema):
    decision: Literal["accept", "deny"]
    reason: str
    amendment_text: str = Field(default="", description="Required when accepting.")
    disagreement_statement: str = Field(
        default="", description="When denying: the party's statement of disagreement, if any."
    )


class AmendmentRequestOut(Schema):
    id: int
    note_id: int
    party: PartyRefOut
    received_on: dt.date
    request_text: str
    status: AmendmentStatus
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_reason: str
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, request: AmendmentRequest) -> AmendmentRequestOut:
        return cls(
            id=request.pk,
            note_id=request.note_id,
            party=PartyRefOut.of(request.party),
            received_on=request.received_on,
            request_text=request.request_text,
            status=AmendmentStatus(request.status),
            decided_by=_username(request.decided_by),
            decided_at=request.decided_at,
            decision_reason=request.decision_reason,
            recorded_by=request.recorded_by.username,
            recorded_at=request.recorded_at,
        )


class NoteOut(Schema):
    id: int
    case_id: int
    appointment_id: int
    author: str
    format: NoteFormat
    sections: list[SectionOut]
    safety_concern: bool
    safety_concern_note: str
    created_at: dt.datetime
    updated_at: dt.datetime
    signed: bool = Field(description="A signed note is locked; it changes only by addenda.")
    signed_at: dt.datetime | None
    content_hash: str
    addenda: list[AddendumOut]
    amendment_requests: list[AmendmentRequestOut]

    @classmethod
    def of(cls, note: ProgressNote) -> NoteOut:
        return cls(
            id=note.pk,
            case_id=note.case_id,
            appointment_id=note.appointment_id,
            author=note.author.username,
            format=NoteFormat(note.format),
            sections=[
                SectionOut(key=key, label=label, text=note.body.get(key, ""))
                for key, label in NOTE_SECTIONS[note.format]
            ],
            safety_concern=note.safety_concern,
            safety_concern_note=note.safety_concern_note,
            created_at=note.created_at,
            updated_at=note.updated_at,
            signed=note.is_signed,
            signed_at=note.signed_at,
            content_hash=note.content_hash,
            addenda=[AddendumOut.of(a) for a in note.addenda.all()],
            amendment_requests=[AmendmentRequestOut.of(r) for r in note.amendments.all()],
        )


# Psychotherapy notes -----------------------------------------------------------------------


class PsychotherapyNoteIn(Schema):
    text: str
    appointment_id: int | None = Field(default=None, description="The session it belongs to.")
    share_with_supervisor: bool = False


class ShareIn(Schema):
    shared: bool = Field(description="Share with your clinical supervisor, or stop sharing.")


class PsychotherapyNoteOut(Schema):
    id: int
    case_id: int
    appointment_id: int | None
    author: str
    text: str
    shared_with_supervisor: bool
    created_at: dt.datetime

    @classmethod
    def of(cls, note: PsychotherapyNote) -> PsychotherapyNoteOut:
        return cls(
            id=note.pk,
            case_id=note.case_id,
            appointment_id=note.appointment_id,
            author=note.author.username,
            text=note.text,
            shared_with_supervisor=note.shared_with_supervisor,
            created_at=note.created_at,
        )


# Attendance and integration ----------------------------------------------------------------


class AttendanceOut(Schema):
    party: PartyRefOut
    due: int = Field(description="Sessions due so far (a held-back visit is not due).")
    held: int
    cancelled_by_them: int
    late_cancellations: int = Field(description="Of those, with less than 24 hours' notice.")
    no_shows: int
    summary: str

    @classmethod
    def of(cls, row: Attendance) -> AttendanceOut:
        return cls(
            party=PartyRefOut.of(row.party),
            due=row.due,
            held=row.held,
            cancelled_by_them=row.cancelled_by_them,
            late_cancellations=row.late_cancellations,
            no_shows=row.no_shows,
            summary=row.summary,
        )


class ArrangementIn(Schema):
    description: str
    effective_on: dt.date


class ArrangementOut(ArrangementIn):
    id: int
    case_id: int
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, arrangement: ParentingArrangement) -> ArrangementOut:
        return cls(
            id=arrangement.pk,
            case_id=arrangement.case_id,
            description=arrangement.description,
            effective_on=arrangement.effective_on,
            recorded_by=arrangement.recorded_by.username,
            recorded_at=arrangement.recorded_at,
        )
