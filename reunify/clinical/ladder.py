"""The contact ladder's step-up gate: the plain-language reasons the next rung is closed.

It reads the same safety and court facts as the phase gates (cases.gates) and adds the
ladder's own: consecutive completed visits on this rung, the child's comfort at each, safety
concerns raised at them, court terms that forbid the next rung, and the child's assent.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reunify.cases.gates import Gate, Kind, Reason, court_reasons, safety_reasons
from reunify.cases.models import Case, PartyRole
from reunify.clinical.models import (
    Appointment,
    AppointmentStatus,
    ContactRung,
    Ladder,
)

DEFAULT_RUNGS: list[tuple[str, bool, bool]] = [
    # name, supervised, within therapy
    ("Letters and messages", True, True),
    ("Short supervised visit in the office", True, True),
    ("Longer supervised visit in the office", True, True),
    ("Supervised outing in the community", True, False),
    ("Short unsupervised visit", False, False),
    ("Regular parenting time", False, False),
]


def rungs_of(ladder: Ladder) -> list[ContactRung]:
    return sorted(ladder.rungs.all(), key=lambda r: r.position)


def next_rung(ladder: Ladder) -> ContactRung | None:
    current = ladder.current_rung
    above = [r for r in rungs_of(ladder) if current is None or r.position > current.position]
    return above[0] if above else None


def streak(ladder: Ladder, appointments: list[Appointment]) -> list[Appointment]:
    """The contact visits on the current rung since stepping onto it, newest last, cut at the
    last visit that ended early or raised a safety concern (that visit restarts the count).

    "Since stepping onto it" goes by when a visit was scheduled, so a visit entered after the
    fact still counts, while visits from an earlier stay on the same rung do not."""
    current = ladder.current_rung
    visits = [
        a
        for a in appointments
        if current is not None
        and a.rung_id == current.pk
        and a.created_at >= ladder.rung_entered_at
        and a.status in (AppointmentStatus.COMPLETED, AppointmentStatus.ENDED_EARLY)
    ]
    visits.sort(key=lambda a: (a.starts_at, a.pk))
    run: list[Appointment] = []
    for visit in visits:
        record = getattr(visit, "contact_record", None)
        if visit.status == AppointmentStatus.ENDED_EARLY or (record and record.safety_concern):
            run = []
        else:
            run.append(visit)
    return run


def ladder_gate(
    case: Case, ladder: Ladder, appointments: list[Appointment], *, today: dt.date | None = None
) -> Gate:
    """The way up from the current rung, with every reason it is closed."""
    today = today or timezone.localdate()
    current = ladder.current_rung
    following = next_rung(ladder)
    phase = current.name if current else "not started"
    if following is None:
        return Gate(phase, None, [])
    reasons: list[Reason] = []
    if case.is_paused:
        reasons.append(Reason("paused", f"the case is paused: {case.pause_reason}", Kind.SAFETY))
    reasons += safety_reasons(case, needs_current_screen=True, today=today)
    run = streak(ladder, appointments)
    counted = run[-ladder.min_sessions :]
    if len(run) < ladder.min_sessions:
        reasons.append(
            Reason(
                "too_few_visits",
                f"{len(run)} of {ladder.min_sessions} consecutive completed contact visits "
                f"on '{current.name if current else ''}' so far",
                Kind.READINESS,
            )
        )
    for visit in counted:
        record = getattr(visit, "contact_record", None)
        if record is None:
            reasons.append(
                Reason(
                    f"no_record_{visit.pk}",
                    f"the visit of {timezone.localdate(visit.starts_at)} has no contact record",
                    Kind.RECORD,
                )
            )
        elif record.lowest_comfort < ladder.min_comfort:
            reasons.append(
                Reason(
                    f"low_comfort_{visit.pk}",
                    f"the child's comfort was {record.lowest_comfort}/10 at the visit of "
                    f"{timezone.localdate(visit.starts_at)} (at least {ladder.min_comfort} needed)",
                    Kind.READINESS,
                )
            )
    concerns = [
        a
        for a in appointments
        if current is not None
        and a.rung_id == current.pk
        and a.created_at >= ladder.rung_entered_at
        and getattr(a, "contact_record", None) is not None
        and a.contact_record.safety_concern
    ]
    if concerns:
        last = max(concerns, key=lambda a: a.starts_at)
        reasons.append(
            Reason(
                "safety_concern",
                f"a safety concern was raised at the visit of {timezone.localdate(last.starts_at)}",
                Kind.SAFETY,
            )
        )
    reasons += court_reasons(
        case, supervised=following.supervised, in_therapy=following.in_therapy, today=today
    )
    children = [p for p in case.parties.all() if p.role == PartyRole.CHILD]
    assents = sorted(ladder.assents.all(), key=lambda a: (a.recorded_at, a.pk))
    for child in children:
        latest = [a for a in assents if a.child_id == child.pk and a.rung_id == following.pk]
        if not latest:
            reasons.append(
                Reason(
                    f"no_assent_{child.pk}",
                    f"{child.label} has not given their assent to '{following.name}'",
                    Kind.RECORD,
                )
            )
        elif not latest[-1].given:
            reasons.append(
                Reason(
                    f"assent_withheld_{child.pk}",
                    f"{child.label} does not agree to '{following.name}' "
                    f"({latest[-1].recorded_on})",
                    Kind.SAFETY,
                )
            )
    return Gate(phase, following.name, reasons)
