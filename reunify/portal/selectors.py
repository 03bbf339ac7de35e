"""What one party sees of their own case in the portal: their sessions (never notes), their
modules, the documents shared with them. Every function takes the party the portal user acts
as; nothing here looks at another party's record or contact details.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from reunify.cases.models import PARENT_ROLES, Party, PartyRole
from reunify.clinical.models import CONTACT_KINDS, Appointment, AppointmentStatus, Modality
from reunify.disclosure.models import DocumentShare
from reunify.psychoeducation.models import ModuleAssignment

# Status words for a family member: "held" means the visit is on hold, not that it took place.
STATUS_WORDS: dict[str, str] = {
    AppointmentStatus.SCHEDULED: "Scheduled",
    AppointmentStatus.COMPLETED: "Took place",
    AppointmentStatus.CANCELLED: "Cancelled",
    AppointmentStatus.NO_SHOW: "Missed",
    AppointmentStatus.ENDED_EARLY: "Ended early",
    AppointmentStatus.HELD: "On hold — the therapist will be in touch",
}


@dataclass(frozen=True)
class SessionLine:
    """One session as this party sees it: their own arrival and leaving times, the kind, the
    place or video link. Never notes, never who else is coming or how to reach them."""

    id: int
    kind: str
    kind_label: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    arrive_at: dt.datetime
    leave_at: dt.datetime
    duration_minutes: int
    modality: str
    modality_label: str
    location: str
    status: str
    status_label: str
    staggered: bool
    bringing_child: bool

    @property
    def video_link(self) -> str:
        is_link = self.location.startswith("https://")
        return self.location if self.modality == Modality.TELEHEALTH and is_link else ""


def is_protected_parent(party: Party) -> bool:
    return party.role in PARENT_ROLES and party.person.protected_address


def _line(appointment: Appointment, party: Party, *, participant: bool) -> SessionLine:
    starts = appointment.starts_at
    ends = starts + dt.timedelta(minutes=appointment.duration_minutes)
    # The protected parent arrives first and leaves last, so the two parents never meet; the
    # other parent keeps the session's own times and is told nothing about the stagger.
    staggered = appointment.kind in CONTACT_KINDS and is_protected_parent(party)
    gap = dt.timedelta(minutes=settings.REUNIFY_STAGGER_MINUTES if staggered else 0)
    return SessionLine(
        id=appointment.pk,
        kind=appointment.kind,
        kind_label=appointment.get_kind_display(),
        starts_at=starts,
        ends_at=ends,
        arrive_at=starts - gap,
        leave_at=ends + gap,
        duration_minutes=appointment.duration_minutes,
        modality=appointment.modality,
        modality_label=appointment.get_modality_display(),
        location=appointment.location,
        status=appointment.status,
        status_label=STATUS_WORDS.get(appointment.status, appointment.get_status_display()),
        staggered=staggered,
        bringing_child=not participant,
    )


def party_appointments(party: Party, *, restricted: bool) -> QuerySet[Appointment]:
    """The sessions the party takes part in; a protected parent also sees the child's contact
    visits (to bring and collect the child); a restricted parent none that include the child."""
    mine = Q(participants=party)
    if is_protected_parent(party) and not restricted:
        mine |= Q(case_id=party.case_id, kind__in=CONTACT_KINDS)
    appointments = Appointment.objects.filter(mine, case_id=party.case_id)
    if restricted:
        appointments = appointments.exclude(participants__role=PartyRole.CHILD)
    return appointments.distinct().order_by("starts_at", "id")


def party_sessions(
    party: Party, *, restricted: bool, now: dt.datetime | None = None
) -> tuple[list[SessionLine], list[SessionLine]]:
    """(upcoming, soonest first; past, newest first) for this party, in two queries."""
    now = now or timezone.now()
    appointments = list(party_appointments(party, restricted=restricted))
    taking_part = set(
        Appointment.participants.through.objects.filter(
            party=party, appointment__in=[a.pk for a in appointments]
        ).values_list("appointment_id", flat=True)
    )
    upcoming: list[SessionLine] = []
    past: list[SessionLine] = []
    for appointment in appointments:
        line = _line(appointment, party, participant=appointment.pk in taking_part)
        waiting = appointment.status in (AppointmentStatus.SCHEDULED, AppointmentStatus.HELD)
        (upcoming if waiting and line.ends_at >= now else past).append(line)
    return upcoming, past[::-1]


def party_modules(party: Party) -> QuerySet[ModuleAssignment]:
    return (
        ModuleAssignment.objects.filter(party=party)
        .select_related("module")
        .order_by("assigned_at", "id")
    )


def party_shares(party: Party) -> QuerySet[DocumentShare]:
    """The documents shared with this party and not withdrawn, newest first."""
    return (
        DocumentShare.objects.filter(party=party, withdrawn_at__isnull=True)
        .select_related("document")
        .order_by("-shared_at", "-id")
    )
