"""The typed shapes of the case API: what a client sends and what it gets back.

Outputs are built from the domain objects by `of()` constructors, so the contact-detail rule
and the gate's reasons are applied in one place. Dates and times travel as ISO strings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Schema
from pydantic import ConfigDict, model_validator

from reunify.accounts.models import User
from reunify.cases.models import (
    Cadence,
    Case,
    Consent,
    ConsentKind,
    CourtOrder,
    CourtTerm,
    DocumentReview,
    Intake,
    Outcome,
    OverrideRequest,
    Party,
    PartyRole,
    Phase,
    ReadinessLevel,
    ReadinessRating,
    ReferralSource,
    ResumeConditions,
    Scenario,
    TermKind,
    Transition,
)
from reunify.cases.selectors import CaseloadRow, Look, LookKind, TimelineEntry
from reunify.process.gates import Gate, Reason


def _username(user: User | None) -> str | None:
    return user.username if user is not None else None


def _phase(value: str | None) -> Phase | None:
    return Phase(value) if value else None


def _days_since(moment: dt.datetime) -> int:
    return (timezone.now() - moment).days


# Errors -----------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in words a person can act on.")


class InputErrorOut(Schema):
    detail: str
    errors: list[dict[str, Any]] = Field(description="Each field that did not validate.")


class ReasonOut(Schema):
    code: str = Field(description="Stable identifier, e.g. 'stale_screen' or 'no_intake_12'.")
    text: str
    kind: Literal["safety", "court", "record", "readiness"]
    overridable: bool

    @classmethod
    def of(cls, reason: Reason) -> ReasonOut:
        return cls(**reason.as_dict())


class GateRefusalOut(Schema):
    detail: str
    phase: str
    next_phase: str | None
    reasons: list[ReasonOut]


# Gate and caseload -------------------------------------------------------------------------


class GateOut(Schema):
    phase: Phase
    next_phase: Phase | None
    open: bool
    overridable: bool = Field(
        description="Closed only by readiness reasons a supervisor may co-sign."
    )
    reasons: list[ReasonOut]

    @classmethod
    def of(cls, gate: Gate) -> GateOut:
        return cls(
            phase=Phase(gate.phase),
            next_phase=_phase(gate.next_phase),
            open=gate.is_open,
            overridable=gate.overridable,
            reasons=[ReasonOut.of(r) for r in gate.reasons],
        )


class GateSummaryOut(Schema):
    next_phase: Phase | None
    open: bool
    overridable: bool
    reasons: list[str] = Field(description="What keeps the gate closed, in words.")

    @classmethod
    def of(cls, gate: Gate) -> GateSummaryOut:
        return cls(
            next_phase=_phase(gate.next_phase),
            open=gate.is_open,
            overridable=gate.overridable,
            reasons=gate.texts(),
        )


class CaseRowOut(Schema):
    id: int
    title: str
    therapist: str
    phase: Phase
    phase_label: str
    paused: bool
    paused_since: dt.date | None
    days_in_phase: int
    next_screen_due: dt.date | None
    screen_overdue: bool
    gate: GateSummaryOut

    @classmethod
    def of(cls, row: CaseloadRow) -> CaseRowOut:
        case = row.case
        return cls(
            id=case.pk,
            title=case.title,
            therapist=case.therapist.username,
            phase=Phase(case.phase),
            phase_label=case.get_phase_display(),
            paused=case.is_paused,
            paused_since=timezone.localdate(case.paused_at) if case.paused_at else None,
            days_in_phase=row.days_in_phase,
            next_screen_due=row.screen_due_on,
            screen_overdue=row.screen_overdue,
            gate=GateSummaryOut.of(row.gate),
        )


class CaseOpenIn(Schema):
    title: str = Field(description="How the practice refers to the family.")
    referral_source: ReferralSource
    referral_date: dt.date
    referral_reason: str
    court_ordered: bool
    scenarios: list[Scenario] = Field(default_factory=list)
    therapist: str | None = Field(
        default=None, description="Username of the therapist of record; the caller when absent."
    )
    evaluator: str | None = Field(default=None, description="Username of the evaluator, if any.")
    opened_on: dt.date | None = Field(
        default=None,
        description="The day the case opened: today when absent; never in the future or before "
        "the referral.",
    )


# Parties ----------------------------------------------------------------------------------


class PartyIn(Schema):
    role: PartyRole
    first_name: str = ""
    last_name: str = ""
    person_id: int | None = Field(
        default=None, description="Give a person from another case of yours a role here."
    )
    date_of_birth: dt.date | None = None
    email: str = ""
    phone: str = ""
    address: str = ""
    workplace: str = ""
    protected_address: bool = False
    substitute_address: str = Field(
        default="",
        description="For a protected party: the address-confidentiality programme's substitute "
        "address, shown instead of the real one to anyone else who may see the case.",
    )
    interpreter_needed: bool = False
    preferred_language: str = ""
    organisation: str = ""
    represents: int | None = Field(
        default=None, description="For an attorney: the id of the party they act for."
    )


class ProtectionIn(Schema):
    protected: bool
    substitute_address: str | None = Field(
        default=None,
        description="When protecting: the substitute address to record (empty removes it); "
        "absent or null leaves it as it is.",
    )


class PartyDetailsIn(Schema):
    """A correction of a party's details: send only what changes. The details are the
    person's, so the correction applies in every case the person takes part in. Protection is
    changed through the party's `protection` operation."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, description="Absent or null: left as it is.")
    last_name: str | None = None
    date_of_birth: dt.date | None = Field(
        default=None, description="Absent: left as it is; null: no date of birth on record."
    )
    email: str | None = Field(default=None, description="Empty removes it.")
    phone: str | None = None
    address: str | None = None
    workplace: str | None = None
    substitute_address: str | None = Field(
        default=None, description="Only for a protected person; empty removes it."
    )
    interpreter_needed: bool | None = None
    preferred_language: str | None = None

    def changes(self) -> dict[str, Any]:
        """What the client asked to change (null leaves a detail as it is, except that it
        clears the date of birth)."""
        return {
            field: value
            for field, value in self.model_dump(exclude_unset=True).items()
            if value is not None or field == "date_of_birth"
        }


class PartyOut(Schema):
    id: int
    person_id: int
    role: PartyRole
    label: str
    first_name: str
    last_name: str
    date_of_birth: dt.date | None
    protected: bool = Field(description="Protected address (DV / address-confidentiality).")
    contact_visible: bool
    email: str | None = Field(description="Null when the person is protected from the caller.")
    phone: str | None
    address: str | None
    workplace: str | None
    substitute_address: str | None = Field(
        description="The address-confidentiality programme's substitute address: shown to "
        "whoever may see the case, instead of the real one when that is withheld."
    )
    interpreter_needed: bool
    preferred_language: str
    organisation: str
    represents: int | None
    added_at: dt.datetime

    @classmethod
    def of(cls, party: Party, *, show_contact: bool, show_substitute: bool) -> PartyOut:
        person = party.person
        return cls(
            id=party.pk,
            person_id=person.pk,
            role=PartyRole(party.role),
            label=party.label,
            first_name=person.first_name,
            last_name=person.last_name,
            date_of_birth=person.date_of_birth,
            protected=person.protected_address,
            contact_visible=show_contact,
            email=person.email if show_contact else None,
            phone=person.phone if show_contact else None,
            address=person.address if show_contact else None,
            workplace=person.workplace if show_contact else None,
            substitute_address=person.substitute_address if show_substitute else None,
            interpreter_needed=person.interpreter_needed,
            preferred_language=person.preferred_language,
            organisation=party.organisation,
            represents=party.represents_id,
            added_at=party.added_at,
        )


# Court orders -----------------------------------------------------------------------------


class TermIn(Schema):
    kind: TermKind
    until: dt.date | None = Field(default=None, description="Last day the term applies.")
    due_on: dt.date | None = Field(default=None, description="For a reporting duty.")
    text: str = ""
    cadence: Cadence = Field(
        default=Cadence.ONCE,
        description="A reporting duty: once, or again `every` weeks or months after each "
        "report issued.",
    )
    every: int = Field(default=1, description="Weeks or months between reports when recurring.")


class TermOut(TermIn):
    id: int
    description: str
    in_force: bool
    starts_on: dt.date | None = Field(
        default=None, description="First day it applies, when added by an amendment."
    )
    ended_on: dt.date | None = Field(
        default=None, description="First day it no longer applies (ended, amended, replaced)."
    )
    end_reason: str = ""
    replaced_by: int | None = Field(
        default=None, description="The number of the later order that replaced it."
    )

    @classmethod
    def of(cls, term: CourtTerm, today: dt.date) -> TermOut:
        return cls(
            id=term.pk,
            kind=TermKind(term.kind),
            until=term.until,
            due_on=term.due_on,
            text=term.text,
            cadence=Cadence(term.cadence),
            every=term.every,
            description=term.describe(),
            in_force=term.in_force(today),
            starts_on=term.starts_on,
            ended_on=term.ended_on,
            end_reason=term.end_reason,
            replaced_by=term.replaced_by.number if term.replaced_by else None,
        )


class CourtOrderIn(Schema):
    court: str
    court_case_number: str
    judge: str = ""
    issued_on: dt.date
    terms: list[TermIn] = Field(default_factory=list)


class CourtOrderOut(Schema):
    id: int
    number: int
    court: str
    court_case_number: str
    judge: str
    issued_on: dt.date
    recorded_at: dt.datetime
    ended_on: dt.date | None = Field(default=None, description="First day it no longer applies.")
    end_reason: str = ""
    supersedes: int | None = Field(
        default=None, description="The number of the earlier order this one supersedes."
    )
    terms: list[TermOut]

    @classmethod
    def of(cls, order: CourtOrder) -> CourtOrderOut:
        today = timezone.localdate()
        return cls(
            id=order.pk,
            number=order.number,
            court=order.court,
            court_case_number=order.court_case_number,
            judge=order.judge,
            issued_on=order.issued_on,
            recorded_at=order.recorded_at,
            ended_on=order.ended_on,
            end_reason=order.end_reason,
            supersedes=order.supersedes.number if order.supersedes else None,
            terms=[TermOut.of(t, today) for t in order.terms.all()],
        )


class CourtOrderEndIn(Schema):
    ended_on: dt.date = Field(description="First day the order no longer applies.")
    reason: str


class CourtOrderAmendIn(Schema):
    effective_on: dt.date = Field(description="From this day the changes apply.")
    reason: str
    end_terms: list[int] = Field(default_factory=list, description="Ids of the terms that end.")
    add_terms: list[TermIn] = Field(default_factory=list)


class CourtOrderSupersedeIn(CourtOrderIn):
    replaces: list[int] = Field(description="Ids of the earlier order's terms it replaces.")
    effective_on: dt.date = Field(description="From this day the replaced terms stop.")


# Assessment records -----------------------------------------------------------------------


class IntakeIn(Schema):
    party_id: int
    held_on: dt.date


class IntakeOut(IntakeIn):
    id: int
    party: str
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, intake: Intake) -> IntakeOut:
        return cls(
            id=intake.pk,
            party_id=intake.party_id,
            party=intake.party.label,
            held_on=intake.held_on,
            recorded_by=intake.recorded_by.username,
            recorded_at=intake.recorded_at,
        )


class ConsentIn(Schema):
    party_id: int
    kind: ConsentKind
    signed_on: dt.date


class ConsentOut(ConsentIn):
    id: int
    party: str
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, consent: Consent) -> ConsentOut:
        return cls(
            id=consent.pk,
            party_id=consent.party_id,
            party=consent.party.label,
            kind=ConsentKind(consent.kind),
            signed_on=consent.signed_on,
            recorded_by=consent.recorded_by.username,
            recorded_at=consent.recorded_at,
        )


class DocumentReviewIn(Schema):
    reviewed_on: dt.date
    none_provided: bool = Field(default=False, description="True when no documents exist.")
    description: str = Field(default="", description="Which documents were reviewed.")


class DocumentReviewOut(DocumentReviewIn):
    id: int
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, review: DocumentReview) -> DocumentReviewOut:
        return cls(
            id=review.pk,
            reviewed_on=review.reviewed_on,
            none_provided=review.none_provided,
            description=review.description,
            recorded_by=review.recorded_by.username,
            recorded_at=review.recorded_at,
        )


class ReadinessIn(Schema):
    party_id: int
    level: ReadinessLevel
    rated_on: dt.date
    note: str = ""


class ReadinessOut(ReadinessIn):
    id: int
    party: str
    recorded_by: str
    recorded_at: dt.datetime

    @classmethod
    def of(cls, rating: ReadinessRating) -> ReadinessOut:
        return cls(
            id=rating.pk,
            party_id=rating.party_id,
            party=rating.party.label,
            level=ReadinessLevel(rating.level),
            rated_on=rating.rated_on,
            note=rating.note,
            recorded_by=rating.recorded_by.username,
            recorded_at=rating.recorded_at,
        )


# The case as a whole ----------------------------------------------------------------------


class CaseDetailOut(Schema):
    id: int
    title: str
    referral_source: ReferralSource
    referral_date: dt.date
    referral_reason: str
    court_ordered: bool
    scenarios: list[Scenario]
    therapist: str
    co_therapists: list[str]
    evaluator: str | None
    phase: Phase
    phase_label: str
    phase_entered_at: dt.datetime
    days_in_phase: int
    paused: bool
    paused_at: dt.datetime | None
    pause_reason: str
    outcome: Outcome | None
    outcome_reason: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    parties: list[PartyOut]
    court_orders: list[CourtOrderOut]
    gate: GateOut

    @classmethod
    def of(cls, case: Case, *, parties: list[PartyOut], gate: Gate) -> CaseDetailOut:
        return cls(
            id=case.pk,
            title=case.title,
            referral_source=ReferralSource(case.referral_source),
            referral_date=case.referral_date,
            referral_reason=case.referral_reason,
            court_ordered=case.court_ordered,
            scenarios=[Scenario(s) for s in case.scenarios],
            therapist=case.therapist.username,
            co_therapists=[u.username for u in case.co_therapists.all()],
            evaluator=_username(case.evaluator),
            phase=Phase(case.phase),
            phase_label=case.get_phase_display(),
            phase_entered_at=case.phase_entered_at,
            days_in_phase=_days_since(case.phase_entered_at),
            paused=case.is_paused,
            paused_at=case.paused_at,
            pause_reason=case.pause_reason,
            outcome=Outcome(case.outcome) if case.outcome else None,
            outcome_reason=case.outcome_reason,
            opened_at=case.opened_at,
            closed_at=case.closed_at,
            parties=parties,
            court_orders=[CourtOrderOut.of(o) for o in case.court_orders.all()],
            gate=GateOut.of(gate),
        )


# Moves ------------------------------------------------------------------------------------


class TransitionIn(Schema):
    to_phase: Phase | None = Field(
        default=None,
        description="Optional: the phase you mean to enter. It must be the next one.",
    )
    rationale: str = ""
    effective_on: dt.date | None = Field(
        default=None,
        description="The day it took effect: today when absent; never in the future, before the "
        "referral or before the case's previous change.",
    )


class TransitionOut(Schema):
    id: int
    kind: str
    from_phase: Phase | None
    to_phase: Phase
    actor: str | None
    at: dt.datetime = Field(description="When the change was recorded.")
    effective_on: dt.date = Field(description="The day the change took effect.")
    rationale: str
    court_reason: str
    overridden_reasons: list[dict[str, Any]]
    conditions: list[str]
    cosigned_by: str | None
    case_phase: Phase = Field(description="The case's phase after this transition.")
    case_paused: bool

    @classmethod
    def of(cls, transition: Transition, case: Case | None = None) -> TransitionOut:
        return cls(
            id=transition.pk,
            kind=transition.kind,
            from_phase=_phase(transition.from_phase),
            to_phase=Phase(transition.to_phase),
            actor=_username(transition.actor),
            at=transition.at,
            effective_on=transition.effective_on,
            rationale=transition.rationale,
            court_reason=transition.court_reason,
            overridden_reasons=transition.overridden_reasons,
            conditions=transition.conditions,
            cosigned_by=_username(transition.cosigned_by),
            case_phase=Phase((case or transition.case).phase),
            case_paused=(case or transition.case).is_paused,
        )


class OverrideIn(Schema):
    rationale: str = Field(description="The written clinical rationale for passing the gate.")


class DecisionIn(Schema):
    decision: Literal["approve", "decline"] | None = None
    approve: bool | None = Field(default=None, description="Alternative to `decision`.")
    note: str = Field(default="", description="Required when declining.")

    @model_validator(mode="after")
    def _one_answer(self) -> DecisionIn:
        if self.decision is None and self.approve is None:
            raise ValueError("give a decision: 'approve' or 'decline'")
        both = self.decision is not None and self.approve is not None
        if both and (self.decision == "approve") != self.approve:
            raise ValueError("'decision' and 'approve' contradict each other")
        return self

    @property
    def approved(self) -> bool:
        return self.decision == "approve" if self.decision is not None else bool(self.approve)


class OverrideOut(Schema):
    id: int
    case_id: int
    case_title: str
    case_phase: Phase
    from_phase: Phase
    to_phase: Phase
    reasons: list[ReasonOut]
    rationale: str
    requested_by: str
    requested_at: dt.datetime
    status: str
    decided_by: str | None
    decided_at: dt.datetime | None
    decision_note: str

    @classmethod
    def of(cls, request: OverrideRequest) -> OverrideOut:
        return cls(
            id=request.pk,
            case_id=request.case_id,
            case_title=request.case.title,
            case_phase=Phase(request.case.phase),
            from_phase=Phase(request.from_phase),
            to_phase=Phase(request.to_phase),
            reasons=request.reasons,
            rationale=request.rationale,
            requested_by=request.requested_by.username,
            requested_at=request.requested_at,
            status=request.status,
            decided_by=_username(request.decided_by),
            decided_at=request.decided_at,
            decision_note=request.decision_note,
        )


_CONDITION_ITEMS: dict[str, Any] = {"items": {"type": "string", "enum": ResumeConditions.values}}


class PauseIn(Schema):
    reason: str
    court_reason: str = Field(
        default="",
        max_length=1000,
        description="What court reports say of the pause; blank: only that it was for safety.",
    )
    effective_on: dt.date | None = Field(
        default=None,
        description="The day it took effect: today when absent; never in the future, before the "
        "referral or before the case's previous change.",
    )


class PauseCourtReasonIn(Schema):
    court_reason: str = Field(max_length=1000, description="Blank clears it.")


class ResumeIn(Schema):
    conditions: list[str] = Field(
        description="The conditions met.",
        json_schema_extra=_CONDITION_ITEMS,
    )
    note: str = ""
    effective_on: dt.date | None = Field(
        default=None,
        description="The day it took effect: today when absent; never in the future, before the "
        "referral or before the case's previous change.",
    )


class CloseIn(Schema):
    outcome: Outcome
    reason: str
    effective_on: dt.date | None = Field(
        default=None,
        description="The day it took effect: today when absent; never in the future, before the "
        "referral or before the case's previous change.",
    )


# Reading the record -----------------------------------------------------------------------


class TimelineEntryOut(Schema):
    at: dt.datetime
    who: str
    action: str
    summary: str

    @classmethod
    def of(cls, entry: TimelineEntry) -> TimelineEntryOut:
        return cls(at=entry.at, who=entry.who, action=entry.action, summary=entry.summary)


class LookOut(Schema):
    who: str
    at: dt.datetime
    kind: LookKind
    what: str
    source: str

    @classmethod
    def of(cls, look: Look) -> LookOut:
        return cls(
            who=look.who, at=look.at, kind=LookKind(look.kind), what=look.what, source=look.source
        )


class CoTherapistIn(Schema):
    username: str = Field(description="The clinician to add as a co-therapist.")


class CoTherapistOut(Schema):
    username: str
    name: str

    @classmethod
    def of(cls, user: Any) -> CoTherapistOut:
        return cls(username=user.username, name=user.display_name)
