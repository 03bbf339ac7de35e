"""The moves of a case through its phases, and what each move sets off.

One function per state change: advance and override (request, decision), each through the
gate (`process.gates`); pause (by hand, for safety, for a court order's no-contact term) and
the pause's reason for the court; resume, once what paused the case is resolved; close. Each
writes the move and its audit event, then carries its consequences into the records below in
the same transaction: entering a phase starts what that phase needs (the contact ladder, the
integration check-ins), a pause holds the upcoming contact visits, and closing issues the
termination notices. Views, the API, the command line and the demo call these; no record app
does.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import (
    Case,
    Outcome,
    OverrideRequest,
    OverrideStatus,
    Phase,
    ResumeConditions,
    Transition,
    TransitionKind,
)
from reunify.cases.services import (
    case_lock,
    effective_day,
    effective_moment,
    require_open,
    require_text,
)
from reunify.clinical.services import contact_visits_hold, on_phase_entered
from reunify.process.gates import (
    Gate,
    GateClosed,
    Kind,
    active_contact_bans,
    gate_for,
    latest_screening,
    with_gate_facts,
)
from reunify.reports.services import termination_notices_issue


def _transition(
    case: Case,
    kind: str,
    *,
    actor: User,
    day: dt.date,
    rationale: str,
    to_phase: str | None = None,
    **extra: Any,
) -> Transition:
    """One row of the case's history: from its phase (to `to_phase`, or staying), taking
    effect on `day`, recorded now."""
    return Transition.objects.create(
        case=case,
        kind=kind,
        from_phase=case.phase,
        to_phase=to_phase or case.phase,
        actor=actor,
        at=timezone.now(),
        effective_on=day,
        rationale=rationale,
        **extra,
    )


def case_gate(case: Case) -> Gate:
    """The gate as it stands, read fresh from the database."""
    return gate_for(with_gate_facts(Case.objects.filter(pk=case.pk)).get())


def _move(
    *,
    actor: User,
    case: Case,
    to_phase: str,
    kind: str,
    rationale: str,
    effective_on: dt.date,
    overridden: list[dict[str, Any]] | None = None,
    cosigned_by: User | None = None,
) -> Transition:
    now = effective_moment(effective_on)
    transition = _transition(
        case,
        kind,
        actor=actor,
        day=effective_on,
        rationale=rationale,
        to_phase=to_phase,
        overridden_reasons=overridden or [],
        cosigned_by=cosigned_by,
    )
    Case.objects.filter(pk=case.pk).update(phase=to_phase, phase_entered_at=now)
    case.phase, case.phase_entered_at = to_phase, now
    audit_record(
        actor=actor,
        action=AuditAction.CASE_TRANSITION,
        case_id=case.pk,
        obj=transition,
        detail={
            "from": transition.from_phase,
            "to": to_phase,
            "kind": kind,
            "overridden": [r["text"] for r in overridden or []],
            "effective_on": effective_on,
        },
    )
    on_phase_entered(actor=actor, case=case, phase=to_phase, effective_on=effective_on)
    return transition


def case_advance(
    *, actor: User, case: Case, rationale: str = "", effective_on: dt.date | None = None
) -> Transition:
    """Move the case into its next phase; refused with the reasons while the gate is closed.
    `effective_on` is the day the move took effect (today when not given).

    A refusal is itself written to the audit log, with the reasons, after the move rolls back.
    """
    try:
        return _advance(actor=actor, case=case, rationale=rationale, effective_on=effective_on)
    except GateClosed as refused:
        audit_record(
            actor=actor,
            action=AuditAction.CASE_TRANSITION_REFUSED,
            case_id=case.pk,
            obj=case,
            detail={"to": refused.gate.next_phase, "reasons": refused.gate.texts()},
        )
        raise


@transaction.atomic
def _advance(
    *, actor: User, case: Case, rationale: str, effective_on: dt.date | None
) -> Transition:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    case = case_lock(case)
    day = effective_day(case, effective_on)
    gate = case_gate(case)
    if gate.next_phase is None:
        raise ValidationError(_("There is no next phase; close the case with its outcome instead."))
    if not gate.is_open:
        raise GateClosed(gate)
    return _move(
        actor=actor,
        case=case,
        to_phase=gate.next_phase,
        kind=TransitionKind.ADVANCE,
        rationale=rationale.strip(),
        effective_on=day,
    )


@transaction.atomic
def override_request(*, actor: User, case: Case, rationale: str) -> OverrideRequest:
    """Ask a supervisor to co-sign passing a gate closed only by readiness reasons."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    rationale = require_text(rationale, "A written clinical rationale")
    # Only the supervisor of the therapist of record may co-sign (access.Action.COSIGN).
    if case.therapist.supervisor_id is None:
        raise ValidationError(_("No clinical supervisor is assigned to co-sign an override."))
    case = case_lock(case)
    gate = case_gate(case)
    if gate.next_phase is None or gate.is_open:
        raise ValidationError(_("The gate is open; no override is needed."))
    if not gate.overridable:
        raise GateClosed(
            gate,
            "Only readiness reasons can be overridden; safety, court and record reasons "
            "must be resolved.",
        )
    if case.override_requests.filter(status=OverrideStatus.PENDING).exists():
        raise ValidationError(_("An override for this case is already awaiting co-signature."))
    request = OverrideRequest.objects.create(
        case=case,
        from_phase=case.phase,
        to_phase=gate.next_phase,
        reasons=[r.as_dict() for r in gate.reasons],
        rationale=rationale,
        requested_by=actor,
        requested_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.OVERRIDE_REQUEST,
        case_id=case.pk,
        obj=request,
        detail={"reasons": gate.texts()},
    )
    return request


@transaction.atomic
def override_decide(
    *, actor: User, request: OverrideRequest, approve: bool, note: str = ""
) -> OverrideRequest:
    """The supervisor co-signs (and the case moves on) or declines, in writing."""
    case = case_lock(request.case)
    access.require(actor, access.Action.COSIGN, case)
    require_open(case)
    request = OverrideRequest.objects.select_for_update(no_key=True).get(pk=request.pk)
    if request.status != OverrideStatus.PENDING:
        raise ValidationError(_("This override has already been decided."))
    if request.requested_by_id == actor.pk:
        raise ValidationError(_("The supervisor who co-signs cannot be the one who asked."))
    now = timezone.now()
    if approve:
        gate = case_gate(case)
        if case.phase != request.from_phase or gate.next_phase != request.to_phase:
            raise ValidationError(_("The case has moved since the override was asked for."))
        if gate.reasons and not gate.overridable:
            raise GateClosed(
                gate,
                "A safety, court or record reason has appeared since; it cannot be overridden.",
            )
        _move(
            actor=request.requested_by,
            case=case,
            to_phase=request.to_phase,
            kind=TransitionKind.OVERRIDE,
            rationale=request.rationale,
            effective_on=effective_day(case, None),
            overridden=[r.as_dict() for r in gate.reasons],
            cosigned_by=actor,
        )
    elif not note.strip():
        raise ValidationError(_("Say why the override is declined."))
    OverrideRequest.objects.filter(pk=request.pk).update(
        status=OverrideStatus.COSIGNED if approve else OverrideStatus.DECLINED,
        decided_by=actor,
        decided_at=now,
        decision_note=note.strip(),
    )
    request.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.OVERRIDE_COSIGN if approve else AuditAction.OVERRIDE_DECLINE,
        case_id=case.pk,
        obj=request,
    )
    return request


def _pause(
    *,
    actor: User,
    case: Case,
    reason: str,
    court_reason: str = "",
    effective_on: dt.date | None = None,
    safety: bool = False,
) -> Transition:
    day = effective_day(case, effective_on)
    now = effective_moment(day)
    Case.objects.filter(pk=case.pk).update(
        paused_at=now, pause_reason=reason, paused_for_safety=safety
    )
    case.paused_at, case.pause_reason, case.paused_for_safety = now, reason, safety
    transition = _transition(
        case,
        TransitionKind.PAUSE,
        actor=actor,
        day=day,
        rationale=reason,
        court_reason=court_reason,
    )
    audit_record(
        actor=actor,
        action=AuditAction.CASE_PAUSE,
        case_id=case.pk,
        obj=transition,
        detail={
            "reason": reason,
            "effective_on": day,
            **({"court_reason": True} if court_reason else {}),
        },
    )
    contact_visits_hold(actor=actor, case=case, reason=reason)
    return transition


@transaction.atomic
def case_pause(
    *,
    actor: User,
    case: Case,
    reason: str,
    court_reason: str = "",
    effective_on: dt.date | None = None,
) -> Transition:
    """Pause the case from `effective_on` (today when not given); contact visits are held.
    `court_reason`, if given, is what court reports say of the pause; without it they say only
    that contact was paused for safety, and when."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    reason = require_text(reason, "The reason for the pause")
    court_reason = _court_reason(court_reason)
    case = case_lock(case)
    if case.is_paused:
        raise ValidationError(_("The case is already paused."))
    return _pause(
        actor=actor,
        case=case,
        reason=reason,
        court_reason=court_reason,
        effective_on=effective_on,
    )


def _court_reason(text: str) -> str:
    text = (text or "").strip()
    if len(text) > 1000:
        raise ValidationError(_("The reason for the court must be at most 1000 characters."))
    return text


@transaction.atomic
def pause_court_reason_set(*, actor: User, transition: Transition, court_reason: str) -> Transition:
    """Write (or change, or clear) the pause's reason for the court, after the fact."""
    case = transition.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if transition.kind != TransitionKind.PAUSE:
        raise ValidationError(_("Only a pause has a reason for the court."))
    court_reason = _court_reason(court_reason)
    Transition.objects.filter(pk=transition.pk).update(court_reason=court_reason)
    transition.court_reason = court_reason
    audit_record(
        actor=actor,
        action=AuditAction.CASE_PAUSE_COURT_REASON,
        case_id=case.pk,
        obj=transition,
        detail={"court_reason": bool(court_reason)},
    )
    return transition


def pause_for_safety(*, actor: User, case: Case, reason: str) -> Transition | None:
    """Pause at once for a safety finding (a no-op when already paused); caller holds the lock."""
    if case.is_paused or case.is_closed:
        return None
    return _pause(actor=actor, case=case, reason=reason, safety=True)


def pause_for_order(*, actor: User, case: Case, reason: str) -> Transition | None:
    """Pause at once for a court order's no-contact term in force (a no-op when already
    paused); caller holds the lock."""
    if case.is_paused or case.is_closed:
        return None
    return _pause(actor=actor, case=case, reason=reason)


@transaction.atomic
def case_resume(
    *,
    actor: User,
    case: Case,
    conditions: list[str],
    note: str = "",
    effective_on: dt.date | None = None,
) -> Transition:
    """Resume a paused case once the conditions are named and a fresh, clear screen exists;
    `effective_on` is the day it resumed (today when not given)."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    case = case_lock(case)
    if not case.is_paused:
        raise ValidationError(_("The case is not paused."))
    day = effective_day(case, effective_on)
    if not conditions:
        raise ValidationError(_("Name the conditions that have been met before resuming."))
    unknown = [c for c in conditions if c not in ResumeConditions.values]
    if unknown:
        raise ValidationError(
            _("Unknown condition: %(conditions)s.") % {"conditions": ", ".join(unknown)}
        )
    if ResumeConditions.OTHER in conditions and not note.strip():
        raise ValidationError(_("Describe the other condition in the note."))
    facts = with_gate_facts(Case.objects.filter(pk=case.pk)).get()
    screen = latest_screening(facts)
    assert case.paused_at is not None
    if screen is None or screen.recorded_at < case.paused_at:
        raise ValidationError(_("Record a fresh safety screen before resuming."))
    gate = gate_for(facts)
    open_findings = [
        r.text
        for r in gate.reasons
        if r.kind == Kind.SAFETY
        and r.code.startswith(("contraindication_", "unknown_", "checkin_"))
    ]
    if open_findings:
        raise ValidationError(
            _("The fresh screen is not clear: %(findings)s.")
            % {"findings": "; ".join(open_findings)}
        )
    bans = active_contact_bans(facts)
    if bans:
        raise ValidationError(
            _("A court term still applies: %(terms)s.") % {"terms": "; ".join(bans)}
        )
    Case.objects.filter(pk=case.pk).update(paused_at=None, pause_reason="", paused_for_safety=False)
    transition = _transition(
        case,
        TransitionKind.RESUME,
        actor=actor,
        day=day,
        rationale=note.strip(),
        conditions=sorted(set(conditions)),
    )
    case.paused_at, case.pause_reason = None, ""
    audit_record(
        actor=actor,
        action=AuditAction.CASE_RESUME,
        case_id=case.pk,
        obj=transition,
        detail={"conditions": sorted(set(conditions)), "effective_on": day},
    )
    return transition


@transaction.atomic
def case_close(
    *, actor: User, case: Case, outcome: str, reason: str, effective_on: dt.date | None = None
) -> Transition:
    """Close with an outcome and a reason, on `effective_on` (today when not given); after
    this the case is read-only."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if outcome not in Outcome.values:
        raise ValidationError(_("Unknown outcome %(outcome)r.") % {"outcome": outcome})
    reason = require_text(reason, "The reason for closing")
    case = case_lock(case)
    day = effective_day(case, effective_on)
    now = effective_moment(day)
    transition = _transition(
        case, TransitionKind.CLOSE, actor=actor, day=day, rationale=reason, to_phase=Phase.CLOSED
    )
    Case.objects.filter(pk=case.pk).update(
        phase=Phase.CLOSED,
        phase_entered_at=now,
        outcome=outcome,
        outcome_reason=reason,
        closed_at=now,
        paused_at=None,
        paused_for_safety=False,
    )
    case.refresh_from_db()
    OverrideRequest.objects.filter(case=case, status=OverrideStatus.PENDING).update(
        status=OverrideStatus.DECLINED, decided_at=timezone.now(), decision_note=_("Case closed.")
    )
    audit_record(
        actor=actor,
        action=AuditAction.CASE_CLOSE,
        case_id=case.pk,
        obj=transition,
        detail={"outcome": outcome, "effective_on": day},
    )
    termination_notices_issue(actor=actor, case=case)
    return transition
