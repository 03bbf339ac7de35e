"""Reads of the clinical record, already narrowed to what the asking user may see.

Psychotherapy notes are never part of any listing here except `psychotherapy_notes_for`, which
returns only the notes the user may read.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from reunify import access
from reunify.accounts.models import User
from reunify.cases.models import FAMILY_ROLES, Case, Party
from reunify.clinical.models import (
    CONTACT_KINDS,
    HELD_STATUSES,
    Addendum,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CancelledBy,
    ContactRung,
    Ladder,
    ProgressNote,
    PsychotherapyNote,
)
from reunify.process.gates import Gate
from reunify.process.ladder import ladder_gate, rungs_of


def appointments_of(case: Case) -> QuerySet[Appointment]:
    """A case's appointments with what their rows show, in a fixed number of queries."""
    return (
        Appointment.objects.filter(case=case)
        .select_related(
            "rung",
            "monitor",
            "therapist",
            "cancelled_by_party__person",
            "no_show_party__person",
            "contact_record__brought_by__person",
        )
        .prefetch_related(
            Prefetch("participants", queryset=Party.objects.select_related("person")),
            Prefetch(
                "progress_notes",
                queryset=ProgressNote.objects.select_related("author").prefetch_related(
                    Prefetch("addenda", queryset=Addendum.objects.select_related("author"))
                ),
            ),
        )
        .order_by("starts_at", "id")
    )


def monitor_visits(user: User) -> QuerySet[Appointment]:
    """The contact visits a monitor is assigned to: all a monitor ever sees."""
    return (
        Appointment.objects.filter(monitor=user, kind__in=CONTACT_KINDS)
        .select_related("case", "rung", "contact_record")
        .prefetch_related(Prefetch("participants", queryset=Party.objects.select_related("person")))
        .order_by("starts_at")
    )


@dataclass
class Attendance:
    """Sessions held against sessions due, for one party."""

    party: Party
    due: int = 0
    held: int = 0
    cancelled_by_them: int = 0
    late_cancellations: int = 0
    no_shows: int = 0

    @property
    def summary(self) -> str:
        return f"{self.held} of {self.due} held"


_Counts = tuple[int, int, int, int, int]


def _attendance_counts(appointments: QuerySet[Appointment]) -> dict[tuple[int, int], _Counts]:
    """(due, held, cancelled by them, of those late, no-shows) per (case, party), one query."""
    by_them = Q(
        status=AppointmentStatus.CANCELLED,
        cancelled_by=CancelledBy.PARTY,
        cancelled_by_party=F("participants"),
    )
    rows = (
        appointments.filter(starts_at__lte=timezone.now())
        .values("case_id", "participants")
        .annotate(
            due=Count("id", filter=~Q(status=AppointmentStatus.HELD)),
            held=Count("id", filter=Q(status__in=HELD_STATUSES)),
            cancelled=Count("id", filter=by_them),
            late=Count("id", filter=by_them & Q(notice_hours__lt=24)),
            no_shows=Count("id", filter=Q(no_show_party=F("participants"))),
        )
    )
    return {
        (row["case_id"], row["participants"]): (
            row["due"],
            row["held"],
            row["cancelled"],
            row["late"],
            row["no_shows"],
        )
        for row in rows
        if row["participants"] is not None
    }


def attendance_for(cases: list[Case]) -> dict[int, list[Attendance]]:
    """Held against due, per family party (professionals left out), for many cases at once.

    The cases' parties should be prefetched; the counts take one query however many cases.
    """
    counts = _attendance_counts(Appointment.objects.filter(case__in=[c.pk for c in cases]))
    result: dict[int, list[Attendance]] = defaultdict(list)
    for case in cases:
        for party in case.parties.all():
            if party.role in FAMILY_ROLES:
                found = counts.get((case.pk, party.pk), (0, 0, 0, 0, 0))
                result[case.pk].append(Attendance(party, *found))
    return result


def attendance_of(case: Case) -> list[Attendance]:
    return attendance_for([case])[case.pk]


def overdue_checkins(cases: list[Case]) -> dict[int, int]:
    """How many integration check-ins are past due and not held, per case (one query)."""
    rows = (
        Appointment.objects.filter(
            case__in=[c.pk for c in cases],
            kind=AppointmentKind.CHECKIN,
            status=AppointmentStatus.SCHEDULED,
            starts_at__lt=timezone.now(),
        )
        .values("case_id")
        .annotate(n=Count("id"))
    )
    return {row["case_id"]: row["n"] for row in rows}


@dataclass
class HeldVisits:
    """Contact visits held because the case paused or the ladder stepped down, and whom to tell."""

    appointments: list[Appointment] = field(default_factory=list)
    parties: list[Party] = field(default_factory=list)


def held_visits(appointments: list[Appointment]) -> HeldVisits:
    held = [a for a in appointments if a.status == AppointmentStatus.HELD]
    parties: dict[int, Party] = {}
    for appointment in held:
        for party in appointment.participants.all():
            parties[party.pk] = party
    return HeldVisits(held, list(parties.values()))


@dataclass(frozen=True)
class LadderView:
    """The case's ladder as a page or the API shows it."""

    ladder: Ladder
    rungs: list[ContactRung]
    gate: Gate


def ladder_view(case: Case, appointments: list[Appointment]) -> LadderView | None:
    """The ladder with its step-up gate; `case` must come with the gate facts prefetched."""
    ladder = (
        Ladder.objects.filter(case=case)
        .select_related("current_rung")
        .prefetch_related(
            "rungs__letters_exchanged__reviewed_by",
            "assents",
            "steps__to_rung",
            "steps__from_rung",
            "steps__actor",
        )
        .first()
    )
    if ladder is None:
        return None
    contact = [a for a in appointments if a.kind in CONTACT_KINDS]
    return LadderView(ladder, rungs_of(ladder), ladder_gate(case, ladder, contact))


def psychotherapy_notes_for(user: User, case: Case) -> QuerySet[PsychotherapyNote]:
    """Only the psychotherapy notes this user may read: their own, or shared with them."""
    return PsychotherapyNote.objects.filter(
        access.psychotherapy_note_visibility(user), case=case
    ).select_related("author")


def upcoming(
    appointments: list[Appointment], *, now: dt.datetime | None = None
) -> list[Appointment]:
    now = now or timezone.now()
    return [
        a for a in appointments if a.starts_at >= now and a.status == AppointmentStatus.SCHEDULED
    ]


def appointment_get(
    user: User, appointment_id: int, action: access.Action = access.Action.VIEW
) -> Appointment:
    """The appointment if the user may perform the action on it; 404/403 otherwise."""
    appointment = (
        Appointment.objects.filter(access.appointment_visibility(user), pk=appointment_id)
        .select_related("case__therapist", "monitor", "rung")
        .first()
    )
    if appointment is None:
        raise Http404("No such appointment.")
    access.require_appointment(user, action, appointment)
    return appointment
