"""Every write to the clinical record: validate, save, audit, in one transaction.

Scheduling, recording visits, the ladder, notes and their addenda, psychotherapy notes,
amendment requests and integration check-ins. A signed note is never changed: the services
refuse it, and the database triggers refuse it too (migration 0002).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from reunify import access
from reunify.accounts.models import Role, User
from reunify.audit.actions import AuditAction
from reunify.audit.chain import audit_record
from reunify.cases.models import FAMILY_ROLES, Case, Party, PartyRole, Person, Phase
from reunify.cases.services import (
    UNCHANGED,
    Unchanged,
    case_lock,
    effective_check,
    effective_moment,
    intake_record,
    require_open,
    require_text,
)
from reunify.clinical.models import (
    CONTACT_KINDS,
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
    Ladder,
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
from reunify.process import ladder as ladder_rules
from reunify.process.gates import GateClosed, active_contact_bans
from reunify.transactions import advisory_lock

GENESIS = "0" * 64
# Weeks between integration check-ins: decreasing frequency (PRODUCT.md §2, phase 5).
CHECKIN_WEEKS = (2, 4, 8)


def _family_party(case: Case, party: Party, what: str = "That party") -> Party:
    if party.case_id != case.pk:
        raise ValidationError(f"{what} does not belong to this case.")
    return party


# Scheduling ------------------------------------------------------------------------------------


def _ladder_of(case: Case) -> Ladder | None:
    return Ladder.objects.filter(case=case).select_related("current_rung").first()


def _check_contact_allowed(case: Case, rung: ContactRung | None, kind: str) -> ContactRung:
    from reunify.process.gates import checkin_reasons, with_gate_facts

    facts = with_gate_facts(Case.objects.filter(pk=case.pk)).get()
    concerns = checkin_reasons(facts)
    if concerns:
        raise ValidationError(
            _("Contact visits cannot be scheduled: %(reason)s.") % {"reason": concerns[0].text}
        )
    if case.is_paused:
        raise ValidationError(
            f"The case is paused ({case.pause_reason}); contact visits cannot be scheduled."
        )
    if case.phase not in (Phase.THERAPEUTIC_CONTACT, Phase.INTEGRATION):
        raise ValidationError(
            "Contact visits are scheduled only once the case is in therapeutic contact."
        )
    ladder = _ladder_of(case)
    if ladder is None or ladder.current_rung is None:
        raise ValidationError("The case has no contact ladder yet.")
    rung = rung or ladder.current_rung
    if rung.ladder_id != ladder.pk:
        raise ValidationError("That rung belongs to another case's ladder.")
    if rung.position > ladder.current_rung.position:
        raise ValidationError(
            f"'{rung.name}' is above the current rung ('{ladder.current_rung.name}'); "
            "step up the ladder first."
        )
    expected = (
        AppointmentKind.CONTACT_SUPERVISED
        if rung.supervised
        else AppointmentKind.CONTACT_UNSUPERVISED
    )
    if kind != expected:
        raise ValidationError(
            f"'{rung.name}' is {'supervised' if rung.supervised else 'unsupervised'} contact; "
            f"schedule it as {AppointmentKind(expected).label.lower()}."
        )
    bans = active_contact_bans(facts)
    if bans:
        raise ValidationError("A court term forbids it: " + "; ".join(bans) + ".")
    return rung


def _check_monitor(monitor: User | None) -> None:
    if monitor is not None and (monitor.role != Role.MONITOR or not monitor.is_active):
        raise ValidationError(f"{monitor.username} is not an active visit monitor.")


# The longest session there is (the schedule's own limit): how far back a clash can start.
LONGEST_SESSION = dt.timedelta(minutes=600)
# Appointments that no longer take the time: cancelled, or held back until rescheduled.
FREE_STATUSES = (AppointmentStatus.CANCELLED, AppointmentStatus.HELD)


def _booking_lock(*, staff: list[User], people: list[int], room: str) -> None:
    """Serialise the bookings that could clash with this one (step 3 of the lock order in
    `reunify.transactions`): the rows of its staff, then of
    its people, each in id order (so two bookings never wait on each other in a circle), and
    on PostgreSQL its room by name. A second booking of the same slot waits here until the
    first commits, then sees it."""
    list(
        User.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted({u.pk for u in staff}))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(
        Person.objects.select_for_update(no_key=True)
        .filter(pk__in=sorted(set(people)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if room:
        advisory_lock(f"room:{room}")


def _room(modality: str, location: str) -> str:
    """The office room a session takes (its location, compared without case or spaces)."""
    return location.strip().casefold() if modality == Modality.OFFICE else ""


def _check_no_clash(
    *,
    starts_at: dt.datetime,
    duration_minutes: int,
    therapist: User,
    monitor: User | None,
    participants: list[Party],
    modality: str,
    location: str,
    moving: Appointment | None = None,
) -> None:
    """Refuse a time that overlaps another session of the same therapist or monitor, the same
    office room, or the same person (in any case). The message names who or what is taken
    and when, never the other session's family: it may be one the reader may not see."""
    staff = [u for u in (therapist, monitor) if u is not None]
    people = [p.person_id for p in participants]
    room = _room(modality, location)
    _booking_lock(staff=staff, people=people, room=room)
    ends_at = starts_at + dt.timedelta(minutes=duration_minutes)
    staff_ids = [u.pk for u in staff]
    overlapping = Q(therapist_id__in=staff_ids) | Q(monitor_id__in=staff_ids)
    overlapping |= Q(participants__person_id__in=people)
    if room:
        overlapping |= Q(modality=Modality.OFFICE, location__iexact=location.strip())
    candidates = (
        Appointment.objects.filter(overlapping)
        .filter(starts_at__lt=ends_at, starts_at__gt=starts_at - LONGEST_SESSION)
        .exclude(status__in=FREE_STATUSES)
        .exclude(pk__in=[moving.pk] if moving else [])
        .distinct()
        .select_related("therapist", "monitor")
        .prefetch_related("participants__person")
    )
    clashes: list[str] = []
    for other in candidates:
        other_ends = other.starts_at + dt.timedelta(minutes=other.duration_minutes)
        if not (other.starts_at < ends_at and starts_at < other_ends):
            continue
        when = {
            "start": f"{timezone.localtime(other.starts_at):%H:%M}",
            "end": f"{timezone.localtime(other_ends):%H:%M}",
            "day": f"{timezone.localdate(other.starts_at):%Y-%m-%d}",
        }
        busy = [u for u in staff if u.pk in (other.therapist_id, other.monitor_id)]
        busy_people = [p.person for p in other.participants.all() if p.person_id in people]
        names = [u.display_name for u in busy] + [person.full_name for person in busy_people]
        for name in dict.fromkeys(names):
            clashes.append(
                _("%(name)s already has a session from %(start)s to %(end)s on %(day)s")
                % {"name": name, **when}
            )
        if room and _room(other.modality, other.location) == room:
            clashes.append(
                _("the room “%(room)s” is booked from %(start)s to %(end)s on %(day)s")
                % {"room": location.strip(), **when}
            )
    if clashes:
        raise ValidationError(
            _("That time is taken: %(clashes)s.") % {"clashes": "; ".join(dict.fromkeys(clashes))}
        )


@transaction.atomic
def appointment_schedule(
    *,
    actor: User,
    case: Case,
    kind: str,
    starts_at: dt.datetime,
    participants: list[Party],
    duration_minutes: int = 50,
    modality: str = Modality.OFFICE,
    location: str = "",
    monitor: User | None = None,
    rung: ContactRung | None = None,
) -> Appointment:
    """Put a session of any kind in the calendar. Contact visits only on the current rung or
    below, never while the case is paused or a court term forbids contact."""
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    case = case_lock(case)
    if kind not in AppointmentKind.values:
        raise ValidationError(f"Unknown session type {kind!r}.")
    if modality not in Modality.values:
        raise ValidationError(f"Unknown modality {modality!r}.")
    if timezone.is_naive(starts_at):
        raise ValidationError("The start time needs a time zone.")
    if not 5 <= duration_minutes <= 600:
        raise ValidationError("A session lasts between 5 and 600 minutes.")
    if not participants:
        raise ValidationError("Name at least one participant.")
    for party in participants:
        _family_party(case, party, f"{party.person.full_name}")
    _check_monitor(monitor)
    if kind in CONTACT_KINDS:
        rung = _check_contact_allowed(case, rung, kind)
        roles = {p.role for p in participants}
        if PartyRole.CHILD not in roles or PartyRole.ESTRANGED_PARENT not in roles:
            raise ValidationError("A contact visit needs the child and the estranged parent.")
        if kind == AppointmentKind.CONTACT_SUPERVISED and monitor is None:
            monitor = None  # the therapist supervises in person when no monitor is named
    elif rung is not None or monitor is not None:
        raise ValidationError("Only contact visits have a ladder rung and a visit monitor.")
    if kind == AppointmentKind.INTAKE and len(participants) != 1:
        raise ValidationError("An intake interview is held with one party at a time.")
    if kind == AppointmentKind.INTAKE and participants[0].role not in FAMILY_ROLES:
        # Completing it records an intake, which only a family member can have.
        raise ValidationError("Intakes are held with family members, not with professionals.")
    _check_no_clash(
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        therapist=actor,
        monitor=monitor,
        participants=participants,
        modality=modality,
        location=location,
    )
    appointment = Appointment.objects.create(
        case=case,
        kind=kind,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        modality=modality,
        location=location.strip(),
        therapist=actor,
        monitor=monitor,
        rung=rung,
        created_by=actor,
        created_at=timezone.now(),
    )
    appointment.participants.set(participants)
    audit_record(
        actor=actor,
        action=AuditAction.APPOINTMENT_SCHEDULE,
        case_id=case.pk,
        obj=appointment,
        detail={"kind": kind, "starts_at": starts_at, "rung": rung.position if rung else None},
    )
    return appointment


def _editable(appointment: Appointment) -> None:
    if appointment.status not in (AppointmentStatus.SCHEDULED, AppointmentStatus.HELD):
        raise ValidationError(
            f"This session is already {appointment.get_status_display().lower()}; "
            "its outcome cannot be changed."
        )


@transaction.atomic
def appointment_reschedule(
    *,
    actor: User,
    appointment: Appointment,
    starts_at: dt.datetime,
    duration_minutes: int | None = None,
) -> Appointment:
    case = appointment.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _editable(appointment)
    if appointment.is_contact and case.is_paused:
        raise ValidationError("The case is paused; contact visits stay held until it resumes.")
    if appointment.is_contact:
        # A visit held by a step down is not brought back above the rung the ladder is on now.
        _check_contact_allowed(case, appointment.rung, appointment.kind)
    if timezone.is_naive(starts_at):
        raise ValidationError("The start time needs a time zone.")
    before = appointment.starts_at
    fields: dict[str, Any] = {"starts_at": starts_at, "status": AppointmentStatus.SCHEDULED}
    if duration_minutes is not None:
        if not 5 <= duration_minutes <= 600:
            raise ValidationError("A session lasts between 5 and 600 minutes.")
        fields["duration_minutes"] = duration_minutes
    _check_no_clash(
        starts_at=starts_at,
        duration_minutes=fields.get("duration_minutes", appointment.duration_minutes),
        therapist=appointment.therapist,
        monitor=appointment.monitor,
        participants=list(appointment.participants.all()),
        modality=appointment.modality,
        location=appointment.location,
        moving=appointment,
    )
    Appointment.objects.filter(pk=appointment.pk).update(**fields)
    appointment.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.APPOINTMENT_RESCHEDULE,
        case_id=case.pk,
        obj=appointment,
        detail={"from": before, "to": starts_at},
    )
    return appointment


@transaction.atomic
def appointment_cancel(
    *,
    actor: User,
    appointment: Appointment,
    cancelled_by: str,
    party: Party | None = None,
    note: str = "",
) -> Appointment:
    """Cancel, recording by whom and how late (hours of notice before the start)."""
    case = appointment.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _editable(appointment)
    if cancelled_by not in CancelledBy.values:
        raise ValidationError(f"Unknown canceller {cancelled_by!r}.")
    if cancelled_by == CancelledBy.PARTY:
        if party is None:
            raise ValidationError("Name the party who cancelled.")
        _family_party(case, party)
    elif party is not None:
        raise ValidationError("Only a cancellation by a party names a party.")
    now = timezone.now()
    notice = int((appointment.starts_at - now).total_seconds() // 3600)
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.CANCELLED,
        cancelled_by=cancelled_by,
        cancelled_by_party=party,
        cancelled_at=now,
        notice_hours=notice,
        status_note=note.strip(),
    )
    appointment.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.APPOINTMENT_CANCEL,
        case_id=case.pk,
        obj=appointment,
        detail={"by": cancelled_by, "party": party.pk if party else None, "notice_hours": notice},
    )
    return appointment


def _require_started(appointment: Appointment) -> None:
    if appointment.starts_at > timezone.now():
        raise ValidationError("This session has not started yet.")


@transaction.atomic
def appointment_complete(*, actor: User, appointment: Appointment, note: str = "") -> Appointment:
    """Mark a (non-contact) session as held. A completed intake counts for the assessment
    gate: one intake record per participant, dated the day of the session."""
    case = appointment.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _editable(appointment)
    _require_started(appointment)
    if appointment.is_contact:
        raise ValidationError("A contact visit is completed by recording it (who, comfort, facts).")
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.COMPLETED, status_note=note.strip()
    )
    appointment.refresh_from_db()
    audit_record(
        actor=actor, action=AuditAction.APPOINTMENT_COMPLETE, case_id=case.pk, obj=appointment
    )
    if appointment.kind == AppointmentKind.INTAKE:
        held_on = timezone.localdate(appointment.starts_at)
        for party in appointment.participants.all():
            intake_record(
                actor=actor, case=case, party=party, held_on=held_on, appointment=appointment
            )
    return appointment


@transaction.atomic
def appointment_no_show(
    *, actor: User, appointment: Appointment, party: Party, note: str = ""
) -> Appointment:
    case = appointment.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _editable(appointment)
    _require_started(appointment)
    _family_party(case, party)
    if not appointment.participants.filter(pk=party.pk).exists():
        raise ValidationError(f"{party.person.full_name} was not expected at this session.")
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.NO_SHOW, no_show_party=party, status_note=note.strip()
    )
    appointment.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.APPOINTMENT_NO_SHOW,
        case_id=case.pk,
        obj=appointment,
        detail={"party": party.pk},
    )
    return appointment


def _hold_upcoming_contact(*, actor: User, case: Case, reason: str) -> list[Party]:
    """Mark every upcoming contact visit held; return the parties to tell."""
    upcoming = list(
        Appointment.objects.filter(
            case=case,
            kind__in=CONTACT_KINDS,
            status=AppointmentStatus.SCHEDULED,
            starts_at__gte=timezone.now(),
        ).prefetch_related("participants__person")
    )
    affected: dict[int, Party] = {}
    for appointment in upcoming:
        for party in appointment.participants.all():
            affected[party.pk] = party
    if upcoming:
        Appointment.objects.filter(pk__in=[a.pk for a in upcoming]).update(
            status=AppointmentStatus.HELD, status_note=reason
        )
        audit_record(
            actor=actor,
            action=AuditAction.APPOINTMENT_HOLD,
            case_id=case.pk,
            detail={"appointments": [a.pk for a in upcoming], "reason": reason},
        )
    return list(affected.values())


def contact_visits_hold(*, actor: User, case: Case, reason: str) -> list[Party]:
    """Hold the case's upcoming contact visits because it paused (`process.transitions`)."""
    return _hold_upcoming_contact(actor=actor, case=case, reason=f"case paused: {reason}")


# Contact records -------------------------------------------------------------------------------

# Words that belong to a custody opinion, not to an observation of facts.
OPINION_PATTERNS = [
    r"\bshould (?:have|get|be given|keep|lose) (?:full |sole |primary |joint )?custody\b",
    r"\brecommend\w*\b",
    r"\b(?:sole|full|primary|joint) custody\b",
    r"\bbetter parent\b",
    r"\bunfit\b",
    r"\bshould (?:live|stay|reside) with\b",
    r"\bin the (?:child['\u2019]?s )?best interests?\b",
]


def opinion_words(text: str) -> list[str]:
    """The phrases in a monitor's text that read as a custody opinion rather than a fact."""
    found = []
    for pattern in OPINION_PATTERNS:
        found += [m.group(0) for m in re.finditer(pattern, text, flags=re.IGNORECASE)]
    return found


class OpinionWarning(ValidationError):
    """The observations read as an opinion; saved only when the author confirms they are facts."""

    def __init__(self, phrases: list[str]) -> None:
        self.phrases = phrases
        quoted = ", ".join(f"“{p}”" for p in phrases)
        super().__init__(
            f"The observations contain words of a custody opinion ({quoted}). Monitors record "
            "facts: what was said and done. Rephrase, or confirm that these are quoted facts."
        )


@dataclass(frozen=True)
class ContactFacts:
    """What a monitor or therapist records about one contact visit."""

    duration_minutes: int
    comfort_before: int
    comfort_after: int
    brought_by: Party | None = None
    observers: str = ""
    critical_incidents: str = ""
    observations: str = ""
    ended_early_reason: str = ""
    safety_concern: bool = False
    safety_concern_note: str = ""


@transaction.atomic
def contact_record(
    *, actor: User, appointment: Appointment, facts: ContactFacts, confirm_facts: bool = False
) -> ContactRecord:
    """Record a contact visit (completed, or ended early with its reason). A raised safety
    concern pauses the case and holds the visits still to come, when recorded through
    `process.pausing.contact_record`."""
    case = appointment.case
    access.require_appointment(actor, access.Action.RECORD, appointment)
    require_open(case)
    if not appointment.is_contact:
        raise ValidationError("Only a contact visit has a contact record.")
    _editable(appointment)
    if appointment.status == AppointmentStatus.HELD:
        raise ValidationError(
            "This visit is held (the case paused or the ladder stepped down); reschedule it "
            "once it may go ahead, then record it."
        )
    _require_started(appointment)
    if ContactRecord.objects.filter(appointment=appointment).exists():
        raise ValidationError("This visit has already been recorded.")
    for label, value in (("before", facts.comfort_before), ("after", facts.comfort_after)):
        if not 0 <= value <= 10:
            raise ValidationError(f"The child's comfort {label} the visit is rated 0 to 10.")
    if not 1 <= facts.duration_minutes <= 600:
        raise ValidationError("Give how long the visit lasted, in minutes.")
    if facts.brought_by is not None:
        _family_party(case, facts.brought_by, "The person who brought the child")
    if facts.ended_early_reason and facts.ended_early_reason not in EarlyEndReason.values:
        raise ValidationError(f"Unknown reason for ending early {facts.ended_early_reason!r}.")
    if facts.safety_concern and not facts.safety_concern_note.strip():
        raise ValidationError("Describe the safety concern.")
    phrases = opinion_words(" ".join([facts.observations, facts.critical_incidents]))
    if phrases and not confirm_facts:
        raise OpinionWarning(phrases)
    record = ContactRecord.objects.create(
        appointment=appointment,
        brought_by=facts.brought_by,
        observers=facts.observers.strip(),
        duration_minutes=facts.duration_minutes,
        comfort_before=facts.comfort_before,
        comfort_after=facts.comfort_after,
        critical_incidents=facts.critical_incidents.strip(),
        observations=facts.observations.strip(),
        safety_concern=facts.safety_concern,
        safety_concern_note=facts.safety_concern_note.strip(),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    status = (
        AppointmentStatus.ENDED_EARLY if facts.ended_early_reason else AppointmentStatus.COMPLETED
    )
    Appointment.objects.filter(pk=appointment.pk).update(
        status=status, ended_early_reason=facts.ended_early_reason
    )
    appointment.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.CONTACT_RECORD,
        case_id=case.pk,
        obj=record,
        detail={
            "appointment": appointment.pk,
            "comfort": [facts.comfort_before, facts.comfort_after],
            "ended_early": facts.ended_early_reason,
            "safety_concern": facts.safety_concern,
            "opinion_words_confirmed": phrases,
        },
    )
    return record


# The ladder ------------------------------------------------------------------------------------


def ladder_start(*, actor: User, case: Case, effective_on: dt.date | None = None) -> Ladder:
    """Give the case its ladder (the default rungs) on entering therapeutic contact; the first
    rung starts on `effective_on`, the day the case entered it (today when not given)."""
    existing = _ladder_of(case)
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
    _family_party(case, child)
    if child.role != PartyRole.CHILD:
        raise ValidationError("Assent is the child's to give.")
    ladder = _ladder_locked(case)
    if rung.ladder_id != ladder.pk:
        raise ValidationError("That rung belongs to another case's ladder.")
    if recorded_on > timezone.localdate():
        raise ValidationError(f"The date {recorded_on} is in the future.")
    assent = ChildAssent.objects.create(
        ladder=ladder,
        child=child,
        rung=rung,
        given=given,
        note=note.strip(),
        recorded_on=recorded_on,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.LADDER_ASSENT,
        case_id=case.pk,
        obj=assent,
        detail={"child": child.pk, "rung": rung.position, "given": given},
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
    letter = Letter.objects.create(
        case=case,
        rung=rung,
        written_on=written_on,
        direction=direction,
        content=content.strip(),
        reviewed_by=actor,
        reviewed_on=reviewed_on,
        decision=decision,
        held_back_reason=reason,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor,
        action=AuditAction.LETTER_RECORD,
        case_id=case.pk,
        obj=letter,
        detail={
            "rung": rung.position,
            "written_on": written_on,
            "direction": direction,
            "decision": decision,
        },
    )
    return letter


# Notes -----------------------------------------------------------------------------------------


def _canonical_hash(body: dict[str, Any]) -> str:
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def note_hash(note: ProgressNote) -> str:
    """The hash a signed note carries: its content, its author and signer, and when."""
    assert note.signed_at is not None
    return _canonical_hash(
        {
            "id": note.pk,
            "case": note.case_id,
            "appointment": note.appointment_id,
            "author": note.author_id,
            "format": note.format,
            "body": note.body,
            "safety_concern": note.safety_concern,
            "safety_concern_note": note.safety_concern_note,
            "signed_at": note.signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        }
    )


def addendum_hash(addendum: Addendum) -> str:
    return _canonical_hash(
        {
            "id": addendum.pk,
            "note": addendum.note_id,
            "kind": addendum.kind,
            "author": addendum.author_id,
            "text": addendum.text,
            "signed_at": addendum.signed_at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
            "prev_hash": addendum.prev_hash,
        }
    )


def _clean_body(format: str, body: dict[str, str]) -> dict[str, str]:
    if format not in NoteFormat.values:
        raise ValidationError(f"Unknown note format {format!r}; choose DAP or SOAP.")
    keys = [key for key, _ in NOTE_SECTIONS[format]]
    unknown = sorted(set(body) - set(keys))
    if unknown:
        raise ValidationError(f"A {format.upper()} note has no section {', '.join(unknown)}.")
    return {key: (body.get(key) or "").strip() for key in keys}


@transaction.atomic
def note_write(
    *,
    actor: User,
    appointment: Appointment,
    format: str,
    body: dict[str, str],
    safety_concern: bool = False,
    safety_concern_note: str = "",
    note: ProgressNote | None = None,
) -> ProgressNote:
    """Create the session's progress note, or change a draft. A signed note is refused: it
    takes an addendum. A safety concern pauses the case at once, draft or not, when written
    through `process.pausing.note_write`."""
    case = appointment.case
    access.require(actor, access.Action.EDIT, case)
    if safety_concern:
        # A concern pauses the case: its row first, before the note's (the lock order).
        case = case_lock(case)
    require_open(case)
    clean = _clean_body(format, body)
    if safety_concern and not safety_concern_note.strip():
        raise ValidationError("Describe the safety concern.")
    now = timezone.now()
    if note is None:
        if appointment.status == AppointmentStatus.CANCELLED:
            raise ValidationError("A cancelled session has no progress note.")
        note = ProgressNote.objects.create(
            case=case,
            appointment=appointment,
            author=actor,
            format=format,
            body=clean,
            safety_concern=safety_concern,
            safety_concern_note=safety_concern_note.strip(),
            created_at=now,
            updated_at=now,
        )
        action = AuditAction.NOTE_CREATE
    else:
        note = ProgressNote.objects.select_for_update(no_key=True).get(pk=note.pk)
        if note.appointment_id != appointment.pk:
            raise ValidationError("That note belongs to another session.")
        if note.is_signed:
            raise ValidationError("This note is signed and locked; add an addendum instead.")
        if note.author_id != actor.pk:
            raise PermissionDenied("Only the author changes a draft note.")
        ProgressNote.objects.filter(pk=note.pk).update(
            format=format,
            body=clean,
            safety_concern=safety_concern,
            safety_concern_note=safety_concern_note.strip(),
            updated_at=now,
        )
        note.refresh_from_db()
        action = AuditAction.NOTE_UPDATE
    audit_record(
        actor=actor,
        action=action,
        case_id=case.pk,
        obj=note,
        detail={"appointment": appointment.pk, "safety_concern": note.safety_concern},
    )
    return note


@dataclass(frozen=True)
class NoteContent:
    """What a note's author has in front of them: the sections and any safety concern."""

    format: str
    body: dict[str, str]
    safety_concern: bool = False
    safety_concern_note: str = ""


# A note is signed for a session that took place: held, ended early, or missed (the note then
# records the no-show). Never for one still to come, cancelled, or held back.
SIGNABLE_STATUSES = (
    AppointmentStatus.COMPLETED,
    AppointmentStatus.ENDED_EARLY,
    AppointmentStatus.NO_SHOW,
)


def _check_signable(note: ProgressNote, appointment: Appointment) -> None:
    if appointment.starts_at > timezone.now():
        raise ValidationError(
            _("This session has not started yet; its note is signed once the session is held.")
        )
    if appointment.status == AppointmentStatus.SCHEDULED:
        raise ValidationError(
            _(
                "This session is still scheduled; record it as held (or a no-show) "
                "before signing its note."
            )
        )
    if appointment.status not in SIGNABLE_STATUSES:
        raise ValidationError(
            _("This session was %(status)s; a note is signed only for a session that took place.")
            % {"status": appointment.get_status_display().lower()}
        )
    sections = NOTE_SECTIONS[note.format]
    empty = [label for key, label in sections if not (note.body.get(key) or "").strip()]
    if len(empty) == len(sections):
        raise ValidationError(_("An empty note cannot be signed."))
    if empty:
        raise ValidationError(
            _("A %(format)s note is signed with every section filled in; still empty: %(empty)s.")
            % {"format": note.format.upper(), "empty": ", ".join(empty)}
        )


@transaction.atomic
def note_sign(
    *, actor: User, note: ProgressNote, content: NoteContent | None = None
) -> ProgressNote:
    """Sign a draft: it is locked from now on, under a hash of its content, signer and time.

    With `content` (what is on the author's screen) the draft is saved first and that is what
    is signed, in one transaction: a refusal saves nothing."""
    note = (
        ProgressNote.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case")
        .get(pk=note.pk)
    )
    access.require(actor, access.Action.EDIT, note.case)
    if note.author_id != actor.pk:
        raise PermissionDenied("Only the author signs a note.")
    if note.is_signed:
        raise ValidationError("This note is already signed.")
    appointment = Appointment.objects.get(pk=note.appointment_id)
    if content is not None:
        note = note_write(
            actor=actor,
            appointment=appointment,
            format=content.format,
            body=content.body,
            safety_concern=content.safety_concern,
            safety_concern_note=content.safety_concern_note,
            note=note,
        )
    _check_signable(note, appointment)
    note.signed_at = timezone.now()
    note.content_hash = note_hash(note)
    ProgressNote.objects.filter(pk=note.pk).update(
        signed_at=note.signed_at, content_hash=note.content_hash
    )
    audit_record(
        actor=actor,
        action=AuditAction.NOTE_SIGN,
        case_id=note.case_id,
        obj=note,
        detail={"hash": note.content_hash},
    )
    return note


def _append(*, actor: User, note: ProgressNote, kind: str, text: str) -> Addendum:
    last = Addendum.objects.filter(note=note).order_by("-signed_at", "-id").first()
    addendum = Addendum.objects.create(
        note=note,
        kind=kind,
        author=actor,
        text=text,
        signed_at=timezone.now(),
        prev_hash=last.content_hash if last else note.content_hash,
        content_hash="pending",
    )
    # The hash covers the row's id, so it is computed once the row exists; the database lets
    # an addendum be written once, here, and never again (migration 0002).
    addendum.content_hash = addendum_hash(addendum)
    Addendum.objects.filter(pk=addendum.pk, content_hash="pending").update(
        content_hash=addendum.content_hash
    )
    audit_record(
        actor=actor,
        action=AuditAction(f"note.{kind}"),
        case_id=note.case_id,
        obj=addendum,
        detail={"note": note.pk, "hash": addendum.content_hash},
    )
    return addendum


@transaction.atomic
def addendum_add(*, actor: User, note: ProgressNote, text: str) -> Addendum:
    """Add a signed addendum under a signed note: the only way a signed note changes."""
    note = (
        ProgressNote.objects.select_for_update(no_key=True, of=("self",))
        .select_related("case")
        .get(pk=note.pk)
    )
    access.require(actor, access.Action.EDIT, note.case)
    require_open(note.case)
    if not note.is_signed:
        raise ValidationError("The note is still a draft; change it directly, then sign it.")
    return _append(
        actor=actor, note=note, kind=AddendumKind.ADDENDUM, text=require_text(text, "The addendum")
    )


@dataclass(frozen=True)
class NoteCheck:
    """A signed note or addendum whose stored hash no longer matches its content."""

    what: str
    pk: int
    case_id: int


def notes_verify() -> tuple[int, list[NoteCheck]]:
    """Re-hash every signed note and addendum; return how many were checked and the bad ones."""
    bad: list[NoteCheck] = []
    checked = 0
    hashes: dict[int, str] = {}
    for note in ProgressNote.objects.filter(signed_at__isnull=False).iterator(chunk_size=1000):
        checked += 1
        hashes[note.pk] = note.content_hash
        if note_hash(note) != note.content_hash:
            bad.append(NoteCheck("progress note", note.pk, note.case_id))
    previous: dict[int, str] = {}
    for addendum in (
        Addendum.objects.select_related("note")
        .order_by("note_id", "signed_at", "id")
        .iterator(chunk_size=1000)
    ):
        checked += 1
        expected_prev = previous.get(addendum.note_id, hashes.get(addendum.note_id, ""))
        if addendum_hash(addendum) != addendum.content_hash or addendum.prev_hash != expected_prev:
            bad.append(NoteCheck("addendum", addendum.pk, addendum.note.case_id))
        previous[addendum.note_id] = addendum.content_hash
    return checked, bad


# Psychotherapy notes ---------------------------------------------------------------------------


@transaction.atomic
def psychotherapy_note_write(
    *,
    actor: User,
    case: Case,
    text: str,
    appointment: Appointment | None = None,
    share_with_supervisor: bool = False,
) -> PsychotherapyNote:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if appointment is not None and appointment.case_id != case.pk:
        raise ValidationError("That session belongs to another case.")
    note = PsychotherapyNote.objects.create(
        case=case,
        appointment=appointment,
        author=actor,
        text=require_text(text, "The note"),
        shared_with_supervisor=share_with_supervisor,
        created_at=timezone.now(),
    )
    # The audit detail never carries the text.
    audit_record(
        actor=actor, action=AuditAction.PSYCHOTHERAPY_NOTE_CREATE, case_id=case.pk, obj=note
    )
    return note


@transaction.atomic
def psychotherapy_note_share(
    *, actor: User, note: PsychotherapyNote, shared: bool
) -> PsychotherapyNote:
    if note.author_id != actor.pk:
        raise PermissionDenied("Only the author shares a psychotherapy note.")
    PsychotherapyNote.objects.filter(pk=note.pk).update(shared_with_supervisor=shared)
    note.shared_with_supervisor = shared
    audit_record(
        actor=actor,
        action=AuditAction.PSYCHOTHERAPY_NOTE_SHARE
        if shared
        else AuditAction.PSYCHOTHERAPY_NOTE_UNSHARE,
        case_id=note.case_id,
        obj=note,
    )
    return note


# Amendment requests ----------------------------------------------------------------------------


@transaction.atomic
def amendment_request_record(
    *, actor: User, note: ProgressNote, party: Party, received_on: dt.date, request_text: str
) -> AmendmentRequest:
    """Record a party's request to amend a signed note of their record."""
    case = note.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    _family_party(case, party)
    if party.role not in FAMILY_ROLES:
        raise ValidationError("Only a family member asks to amend their own record.")
    if not note.is_signed:
        raise ValidationError("Only a signed note can be amended.")
    if received_on > timezone.localdate():
        raise ValidationError(f"The date {received_on} is in the future.")
    request = AmendmentRequest.objects.create(
        case=case,
        party=party,
        note=note,
        received_on=received_on,
        request_text=require_text(request_text, "What the party asks to change"),
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(actor=actor, action=AuditAction.AMENDMENT_REQUEST, case_id=case.pk, obj=request)
    return request


@transaction.atomic
def amendment_decide(
    *,
    actor: User,
    request: AmendmentRequest,
    accept: bool,
    reason: str,
    amendment_text: str = "",
    disagreement_statement: str = "",
) -> AmendmentRequest:
    """Accept (the amendment becomes an addendum) or deny (the denial, and the party's
    statement of disagreement if they give one, are appended to the note)."""
    request = (
        AmendmentRequest.objects.select_for_update(no_key=True, of=("self",))
        .select_related("note", "case")
        .get(pk=request.pk)
    )
    case = request.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if request.status != AmendmentStatus.PENDING:
        raise ValidationError("This request has already been decided.")
    reason = require_text(reason, "The reason for the decision")
    note = ProgressNote.objects.select_for_update(no_key=True).get(pk=request.note_id)
    if accept:
        text = require_text(amendment_text, "The amended text")
        _append(
            actor=actor,
            note=note,
            kind=AddendumKind.AMENDMENT,
            text=f"{text}\n\n(Reason: {reason})",
        )
    else:
        _append(actor=actor, note=note, kind=AddendumKind.DENIAL, text=reason)
        if disagreement_statement.strip():
            _append(
                actor=actor,
                note=note,
                kind=AddendumKind.DISAGREEMENT,
                text=disagreement_statement.strip(),
            )
    AmendmentRequest.objects.filter(pk=request.pk).update(
        status=AmendmentStatus.ACCEPTED if accept else AmendmentStatus.DENIED,
        decided_by=actor,
        decided_at=timezone.now(),
        decision_reason=reason,
    )
    request.refresh_from_db()
    audit_record(
        actor=actor,
        action=AuditAction.AMENDMENT_ACCEPT if accept else AuditAction.AMENDMENT_DENY,
        case_id=case.pk,
        obj=request,
    )
    return request


# Integration -----------------------------------------------------------------------------------


def checkins_schedule(*, actor: User, case: Case) -> list[Appointment]:
    """On entering integration: check-ins at decreasing frequency (2, 4, then 8 weeks apart)."""
    family = [p for p in case.parties.all() if p.role in FAMILY_ROLES]
    local_now = timezone.localtime()
    start = local_now.replace(hour=10, minute=0, second=0, microsecond=0)
    appointments = []
    offset = dt.timedelta()
    for weeks in CHECKIN_WEEKS:
        offset += dt.timedelta(weeks=weeks)
        appointment = Appointment.objects.create(
            case=case,
            kind=AppointmentKind.CHECKIN,
            starts_at=start + offset,
            duration_minutes=50,
            modality=Modality.OFFICE,
            therapist=case.therapist,
            created_by=actor,
            created_at=timezone.now(),
        )
        appointment.participants.set(family)
        appointments.append(appointment)
    audit_record(
        actor=actor,
        action=AuditAction.CHECKIN_SCHEDULE,
        case_id=case.pk,
        detail={"appointments": [a.pk for a in appointments]},
    )
    return appointments


def on_phase_entered(
    *, actor: User, case: Case, phase: str, effective_on: dt.date | None = None
) -> None:
    """Called by cases.services after a move: start the ladder (on the day the move took
    effect), or schedule the check-ins (from today: a check-in is never booked in the past)."""
    if phase == Phase.THERAPEUTIC_CONTACT:
        ladder_start(actor=actor, case=case, effective_on=effective_on)
    elif phase == Phase.INTEGRATION:
        checkins_schedule(actor=actor, case=case)


@transaction.atomic
def arrangement_record(
    *, actor: User, case: Case, description: str, effective_on: dt.date
) -> ParentingArrangement:
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    if case.phase != Phase.INTEGRATION:
        raise ValidationError(
            "The parenting-time arrangement is recorded in integration and maintenance."
        )
    arrangement = ParentingArrangement.objects.create(
        case=case,
        description=require_text(description, "The arrangement"),
        effective_on=effective_on,
        recorded_by=actor,
        recorded_at=timezone.now(),
    )
    audit_record(
        actor=actor, action=AuditAction.ARRANGEMENT_RECORD, case_id=case.pk, obj=arrangement
    )
    return arrangement
