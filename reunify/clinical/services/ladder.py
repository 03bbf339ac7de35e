"""The contact ladder: starting it, stepping up (through its gate, `process.ladder`) and down,
configuring its rungs and thresholds, the child's assent, and the letters of the letters rung.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.audit.recorded import recorded_create
from reunify.cases.models import Case, Party, PartyRole, Phase
from reunify.cases.services import (
    UNCHANGED,
    Unchanged,
    case_lock,
    effective_check,
    effective_moment,
    party_of,
    require_open,
    require_text,
)
from reunify.clinical.models import (
    CONTACT_KINDS,
    Appointment,
    AppointmentStatus,
    ChildAssent,
    ContactRung,
    Ladder,
    LadderStep,
    Letter,
    LetterDecision,
    LetterDirection,
)
from reunify.clinical.services.scheduling import ladder_of
from reunify.process import ladder as ladder_rules
from reunify.process.gates import GateClosed


def ladder_start(*, actor: User, case: Case, effective_on: dt.date | None = None) -> Ladder:
    """Give the case its ladder (the default rungs) on entering therapeutic contact; the first
    rung starts on `effective_on`, the day the case entered it (today when not given)."""
    existing = ladder_of(case)
    if existing is not None:
        return existing
    day = effective_check(effective_on, referral_date=case.referral_date)
    ladder = Ladder.objects.create(case=case, rung_entered_at=effective_moment(day))
    rungs = [
        ContactRung.objects.create(
            ladder=ladder,
            position=i,
            name=name,
            supervised=supervised,
            in_therapy=in_therapy,
            letters=i == 1,  # the first default rung: letters and messages
        )
        for i, (name, supervised, in_therapy) in enumerate(ladder_rules.DEFAULT_RUNGS, start=1)
    ]
    Ladder.objects.filter(pk=ladder.pk).update(current_rung=rungs[0])
    ladder.current_rung = rungs[0]
    LadderStep.objects.create(
        ladder=ladder,
        to_rung=rungs[0],
        direction="start",
        on_word_of="therapist",
        actor=actor,
        at=timezone.now(),
        effective_on=day,
    )
    audit_record(
        actor=actor,
        action=AuditAction.LADDER_START,
        case_id=case.pk,
        obj=ladder,
        detail={"effective_on": day},
    )
    return ladder


def _step_effective_on(case: Case, ladder: Ladder, day: dt.date | None) -> dt.date:
    """The day a step takes effect, checked against the ladder's previous step."""
    last = ladder.steps.order_by("-effective_on", "-at", "-id").first()
    return effective_check(
        day,
        referral_date=case.referral_date,
        previous=last.effective_on if last else None,
        previous_words=_("the ladder's last step"),
    )


def _ladder_locked(case: Case) -> Ladder:
    ladder = Ladder.objects.select_for_update(no_key=True).filter(case=case).first()
    if ladder is None:
        raise ValidationError(
            "The case has no contact ladder yet; it starts with therapeutic contact."
        )
    return Ladder.objects.select_related("current_rung").get(pk=ladder.pk)


def ladder_gate_for(case: Case) -> Any:
    """The ladder's step-up gate, read fresh (None when the case has no ladder)."""
    from reunify.process.gates import with_gate_facts

    facts = with_gate_facts(Case.objects.filter(pk=case.pk)).get()
    ladder = (
        Ladder.objects.filter(case=case)
        .select_related("current_rung")
        .prefetch_related("rungs__letters_exchanged", "assents")
        .first()
    )
    if ladder is None:
        return None
    appointments = list(
        Appointment.objects.filter(case=case, kind__in=CONTACT_KINDS).select_related(
            "contact_record"
        )
    )
    return ladder_rules.ladder_gate(facts, ladder, appointments)


def ladder_step_up(
    *, actor: User, case: Case, rationale: str = "", effective_on: dt.date | None = None
) -> LadderStep:
    """Move up one rung, from `effective_on` (today when not given); refused with the reasons
    while the ladder's gate is closed."""
    try:
        return _step_up(actor=actor, case=case, rationale=rationale, effective_on=effective_on)
    except GateClosed as refused:
        audit_record(
            actor=actor,
            action=AuditAction.LADDER_STEP_REFUSED,
            case_id=case.pk,
            detail={"to": refused.gate.next_phase, "reasons": refused.gate.texts()},
        )
        raise


@transaction.atomic
def _step_up(
    *, actor: User, case: Case, rationale: str, effective_on: dt.date | None
) -> LadderStep:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    case = case_lock(case)
    if case.phase != Phase.THERAPEUTIC_CONTACT:
        raise ValidationError("The ladder is climbed during therapeutic contact.")
    ladder = _ladder_locked(case)
    day = _step_effective_on(case, ladder, effective_on)
    gate = ladder_gate_for(case)
    if gate.next_phase is None:
        raise ValidationError("The ladder is at its top rung.")
    if not gate.is_open:
        raise GateClosed(
            gate, f"The way up to '{gate.next_phase}' is closed: " + "; ".join(gate.texts()) + "."
        )
    following = ladder_rules.next_rung(
        Ladder.objects.prefetch_related("rungs").select_related("current_rung").get(pk=ladder.pk)
    )
    assert following is not None
    return _move_to(
        actor=actor,
        case=case,
        ladder=ladder,
        to=following,
        direction="up",
        on_word_of="therapist",
        reason=rationale.strip(),
        effective_on=day,
    )


def _move_to(
    *,
    actor: User,
    case: Case,
    ladder: Ladder,
    to: ContactRung,
    direction: str,
    on_word_of: str,
    reason: str,
    effective_on: dt.date,
) -> LadderStep:
    step = LadderStep.objects.create(
        ladder=ladder,
        from_rung=ladder.current_rung,
        to_rung=to,
        direction=direction,
        on_word_of=on_word_of,
        reason=reason,
        actor=actor,
        at=timezone.now(),
        effective_on=effective_on,
    )
    Ladder.objects.filter(pk=ladder.pk).update(
        current_rung=to, rung_entered_at=effective_moment(effective_on)
    )
    audit_record(
        actor=actor,
        action=AuditAction(f"ladder.step_{direction}"),
        case_id=case.pk,
        obj=step,
        detail={
            "from": ladder.current_rung.position if ladder.current_rung else None,
            "to": to.position,
            "on_word_of": on_word_of,
            "reason": reason,
            "effective_on": effective_on,
        },
    )
    return step


@transaction.atomic
def ladder_step_down(
    *,
    actor: User,
    case: Case,
    on_word_of: str,
    reason: str,
    to: ContactRung | None = None,
    effective_on: dt.date | None = None,
) -> tuple[LadderStep, list[Party]]:
    """Step down at once, on the child's or the therapist's word (from `effective_on`, today
    when not given). Visits scheduled above the new rung are held; the parties to tell are
    returned."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if on_word_of not in ("child", "therapist"):
        raise ValidationError("A step down is on the child's or the therapist's word.")
    reason = require_text(reason, "The reason for stepping down")
    case = case_lock(case)
    ladder = _ladder_locked(case)
    day = _step_effective_on(case, ladder, effective_on)
    current = ladder.current_rung
    assert current is not None
    rungs = ladder_rules.rungs_of(Ladder.objects.prefetch_related("rungs").get(pk=ladder.pk))
    if to is None:
        below = [r for r in rungs if r.position < current.position]
        if not below:
            raise ValidationError("The ladder is already on its first rung.")
        to = below[-1]
    elif to.ladder_id != ladder.pk or to.position >= current.position:
        raise ValidationError("Step down to a rung below the current one.")
    step = _move_to(
        actor=actor,
        case=case,
        ladder=ladder,
        to=to,
        direction="down",
        on_word_of=on_word_of,
        reason=reason,
        effective_on=day,
    )
    above = list(
        Appointment.objects.filter(
            case=case,
            rung__position__gt=to.position,
            rung__ladder=ladder,
            status=AppointmentStatus.SCHEDULED,
            starts_at__gte=timezone.now(),
        ).prefetch_related("participants__person")
    )
    affected: dict[int, Party] = {}
    for appointment in above:
        for party in appointment.participants.all():
            affected[party.pk] = party
    if above:
        Appointment.objects.filter(pk__in=[a.pk for a in above]).update(
            status=AppointmentStatus.HELD, status_note=f"ladder stepped down: {reason}"
        )
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_HOLD,
            case_id=case.pk,
            detail={"appointments": [a.pk for a in above], "reason": "ladder stepped down"},
        )
    return step, list(affected.values())


@dataclass(frozen=True)
class RungInput:
    name: str
    supervised: bool
    in_therapy: bool
    letters: bool = False


@transaction.atomic
def ladder_configure(
    *,
    actor: User,
    case: Case,
    rungs_above: list[RungInput] | None = None,
    min_sessions: int | None = None,
    min_comfort: int | None = None,
    integration_position: int | None | Unchanged = UNCHANGED,
) -> Ladder:
    """Edit the case's ladder: the rungs above the current one, the step-up thresholds, and
    the rung to reach before integration (`integration_position`; None: the default rule of
    process.gates.integration_threshold). The current rung and those below it are history and
    stay as they are. A redrawn ladder whose chosen threshold no longer names an unsupervised
    rung goes back to the default."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    ladder = _ladder_locked(case)
    current = ladder.current_rung
    assert current is not None
    changes: dict[str, Any] = {}
    if min_sessions is not None:
        if not 1 <= min_sessions <= 20:
            raise ValidationError("The number of visits before a step up is between 1 and 20.")
        changes["min_sessions"] = min_sessions
    if min_comfort is not None:
        if not 0 <= min_comfort <= 10:
            raise ValidationError("The comfort threshold is between 0 and 10.")
        changes["min_comfort"] = min_comfort
    if changes:
        Ladder.objects.filter(pk=ladder.pk).update(**changes)
    if rungs_above is not None:
        for rung in rungs_above:
            require_text(rung.name, "Each rung's name")
        old = ContactRung.objects.filter(ladder=ladder, position__gt=current.position)
        used = (
            Appointment.objects.filter(rung__in=old).exists()
            or ChildAssent.objects.filter(rung__in=old).exists()
            or Letter.objects.filter(rung__in=old).exists()
        )
        if used:
            raise ValidationError(
                "A rung above the current one already has visits or assents recorded; "
                "step down or cancel them before redrawing the ladder."
            )
        old.delete()
        for i, rung in enumerate(rungs_above, start=current.position + 1):
            ContactRung.objects.create(
                ladder=ladder,
                position=i,
                name=rung.name.strip(),
                supervised=rung.supervised,
                in_therapy=rung.in_therapy,
                letters=rung.letters,
            )
        changes["rungs_above"] = [r.name for r in rungs_above]
    unsupervised = set(
        ContactRung.objects.filter(ladder=ladder, supervised=False).values_list(
            "position", flat=True
        )
    )
    if integration_position is not UNCHANGED:
        if integration_position is not None and integration_position not in unsupervised:
            raise ValidationError(
                _(
                    "Integration is contact without supervision: choose an unsupervised rung "
                    "of this ladder as its threshold."
                )
            )
        if integration_position != ladder.integration_position:
            changes["integration_position"] = integration_position
    elif ladder.integration_position is not None and (
        ladder.integration_position not in unsupervised
    ):
        changes["integration_position"] = None
    if "integration_position" in changes:
        Ladder.objects.filter(pk=ladder.pk).update(
            integration_position=changes["integration_position"]
        )
    if not changes:
        raise ValidationError("Nothing to change.")
    audit_record(
        actor=actor,
        action=AuditAction.LADDER_CONFIGURE,
        case_id=case.pk,
        obj=ladder,
        detail=changes,
    )
    ladder.refresh_from_db()
    return ladder


@transaction.atomic
def assent_record(
    *,
    actor: User,
    case: Case,
    child: Party,
    rung: ContactRung,
    given: bool,
    recorded_on: dt.date,
    note: str = "",
) -> ChildAssent:
    """The child's own yes or no to a rung, in the child's words where possible."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    party_of(case, child)
    if child.role != PartyRole.CHILD:
        raise ValidationError("Assent is the child's to give.")
    ladder = _ladder_locked(case)
    if rung.ladder_id != ladder.pk:
        raise ValidationError("That rung belongs to another case's ladder.")
    if recorded_on > timezone.localdate():
        raise ValidationError(f"The date {recorded_on} is in the future.")
    assent = recorded_create(
        ChildAssent,
        actor=actor,
        action=AuditAction.LADDER_ASSENT,
        case_id=case.pk,
        detail={"child": child.pk, "rung": rung.position, "given": given},
        ladder=ladder,
        child=child,
        rung=rung,
        given=given,
        note=note.strip(),
        recorded_on=recorded_on,
    )
    return assent


@transaction.atomic
def letter_record(
    *,
    actor: User,
    case: Case,
    written_on: dt.date,
    direction: str,
    content: str,
    reviewed_on: dt.date,
    decision: str,
    held_back_reason: str = "",
) -> Letter:
    """A letter or message exchanged on the ladder's current rung, a letters rung: when it was
    written, which way it went, and the acting therapist's review (passed on, or held back and
    why). Only while the ladder stands on a letters rung, so the letter counts towards its way
    up (`process.gates.letter_streak`). The audit event leaves the content out."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    ladder = _ladder_locked(case)
    rung = ladder.current_rung
    if rung is None or not rung.letters:
        raise ValidationError(
            _("Letters are recorded while the ladder stands on a letters rung; it stands on '%s'.")
            % (rung.name if rung else "")
        )
    if direction not in LetterDirection.values:
        raise ValidationError(_("Say which way the letter went."))
    if decision not in LetterDecision.values:
        raise ValidationError(_("Say whether the letter was passed on or held back."))
    require_text(content, _("The letter's text or a summary"))
    today = timezone.localdate()
    started = timezone.localdate(ladder.rung_entered_at)
    for day, what in ((written_on, _("written")), (reviewed_on, _("reviewed"))):
        if day > today:
            raise ValidationError(
                _("The day the letter was %(what)s, %(day)s, is in the future.")
                % {"what": what, "day": day}
            )
        if day < started:
            raise ValidationError(
                _(
                    "The day the letter was %(what)s, %(day)s, is before the ladder stepped "
                    "onto '%(rung)s' (%(started)s)."
                )
                % {"what": what, "day": day, "rung": rung.name, "started": started}
            )
    if reviewed_on < written_on:
        raise ValidationError(_("A letter is reviewed on or after the day it was written."))
    reason = held_back_reason.strip()
    if decision == LetterDecision.HELD_BACK and not reason:
        raise ValidationError(_("Say why the letter was held back."))
    if decision == LetterDecision.PASSED_ON:
        reason = ""
    letter = recorded_create(
        Letter,
        actor=actor,
        action=AuditAction.LETTER_RECORD,
        case_id=case.pk,
        detail={
            "rung": rung.position,
            "written_on": written_on,
            "direction": direction,
            "decision": decision,
        },
        case=case,
        rung=rung,
        written_on=written_on,
        direction=direction,
        content=content.strip(),
        reviewed_by=actor,
        reviewed_on=reviewed_on,
        decision=decision,
        held_back_reason=reason,
    )
    return letter
