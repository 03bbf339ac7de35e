"""The contact ladder's step-up gate: the plain-language reasons the next rung is closed.

It reads the same safety and court facts as the phase gates (process.gates) and adds the
ladder's own: consecutive completed visits on this rung, the child's comfort at each, safety
concerns raised at them, court terms that forbid the next rung, and the child's assent. The
counting of visits and the reading of assent live in process.gates (`rung_visit_reasons`,
`assent_reasons`), because the gate into integration asks the same questions of the rung it
requires.

A letters rung (`ContactRung.letters`, the default first rung "Letters and messages") is
climbed on letters exchanged and reviewed by the therapist, not on visits: its count is of
letters passed on in a row (`process.gates.letter_streak`), with no comfort rating to read. A
timed contact visit may still be scheduled on it (nothing refuses one), but such a visit does
not count towards the way up; a safety concern raised at one still closes it.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from reunify.cases.models import Case
from reunify.clinical.models import Appointment, ContactRung, Ladder
from reunify.process.gates import (
    Gate,
    Kind,
    Reason,
    assent_reasons,
    court_reasons,
    rung_visit_reasons,
    safety_reasons,
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
    reasons += rung_visit_reasons(ladder, appointments)
    reasons += court_reasons(
        case,
        supervised=following.supervised,
        in_therapy=following.in_therapy,
        parenting_time=following == rungs_of(ladder)[-1],
        today=today,
    )
    reasons += assent_reasons(case, ladder, following)
    return Gate(phase, following.name, reasons)
