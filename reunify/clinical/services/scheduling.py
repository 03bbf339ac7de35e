"""Scheduling: booking sessions and contact visits (refused while contact is not allowed, on a
clash of people or room), rescheduling, cancelling, marking them held or missed, and holding
the upcoming contact visits when the case pauses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
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
    case_lock,
    intake_record,
    party_of,
    require_open,
)
from reunify.clinical.models import (
    CONTACT_KINDS,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CancelledBy,
    ContactRung,
    Ladder,
    Modality,
)
from reunify.process.gates import active_contact_bans
from reunify.transactions import advisory_lock

# Scheduling ------------------------------------------------------------------------------------


def ladder_of(case: Case) -> Ladder | None:
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
    ladder = ladder_of(case)
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
        party_of(case, party, f"{party.person.full_name}")
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


def editable(appointment: Appointment) -> None:
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
    editable(appointment)
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
    editable(appointment)
    if cancelled_by not in CancelledBy.values:
        raise ValidationError(f"Unknown canceller {cancelled_by!r}.")
    if cancelled_by == CancelledBy.PARTY:
        if party is None:
            raise ValidationError("Name the party who cancelled.")
        party_of(case, party)
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


def require_started(appointment: Appointment) -> None:
    if appointment.starts_at > timezone.now():
        raise ValidationError("This session has not started yet.")


@transaction.atomic
def appointment_complete(*, actor: User, appointment: Appointment, note: str = "") -> Appointment:
    """Mark a (non-contact) session as held. A completed intake counts for the assessment
    gate: one intake record per participant, dated the day of the session."""
    case = appointment.case
    access.require(actor, access.Action.EDIT, case)
    require_open(case)
    editable(appointment)
    require_started(appointment)
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
    editable(appointment)
    require_started(appointment)
    party_of(case, party)
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
