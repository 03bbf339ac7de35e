"""Clinical factories: a case on its ladder, sessions scheduled and held, visits recorded, notes.

The clock is the test's `time_machine`, stopped at START. As in life, a session is scheduled
ahead of the clock, and the clock is moved past its start before anyone records it; it never
runs backwards.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases.models import Case, Party, Phase
from reunify.clinical import services
from reunify.clinical.models import (
    Appointment,
    AppointmentKind,
    ContactRung,
    Ladder,
    NoteFormat,
    ProgressNote,
)
from reunify.clinical.services import ContactFacts
from reunify.conftest import Family, advance_to, pass_letters, screen
from reunify.process import pausing

LOCAL = ZoneInfo(settings.TIME_ZONE)
# A Monday morning well away from a daylight-saving change, so "a week later" is 168 hours.
START = dt.datetime(2030, 6, 3, 9, 0, tzinfo=LOCAL)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(weeks=1)

OBSERVED = "Daniel read from a letter he had written; Mia asked two questions about the dog."
DAP = {"data": "Mia spoke about school.", "assessment": "Engaged.", "plan": "Meet weekly."}
SOAP = {
    "subjective": "Daniel says he feels hopeful.",
    "objective": "On time, calm.",
    "assessment": "Ready for the next letter.",
    "plan": "Review the letter next week.",
}


def stopped_clock(time_machine: Any) -> Any:
    """Stop the clock at START; the test (and these factories) move it forward."""
    time_machine.move_to(START, tick=False)
    return time_machine


def now() -> dt.datetime:
    return timezone.localtime()


def in_contact(therapist: User, family: Family, *, letters: bool = False) -> Ladder:
    """Walk the family's case into therapeutic contact: the ladder starts on its first rung.

    The default first rung is a letters rung, whose way up counts letters; unless `letters`,
    it is made a rung of visits here, since these tests exercise the count of visits (the
    letters rung has its own, in test_letters.py)."""
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)
    if not letters:
        ContactRung.objects.filter(ladder__case=family.case, position=1).update(letters=False)
    return ladder_of(family)


def in_integration(therapist: User, family: Family) -> None:
    advance_to(therapist, family, Phase.INTEGRATION)


def ladder_of(family: Family) -> Ladder:
    return Ladder.objects.select_related("current_rung").get(case=family.case)


def rung(family: Family, position: int) -> ContactRung:
    return ContactRung.objects.get(ladder__case=family.case, position=position)


def facts(comfort: int = 8, **overrides: Any) -> ContactFacts:
    """A calm visit of an hour, the child's comfort the same before and after."""
    fields: dict[str, Any] = {
        "duration_minutes": 60,
        "comfort_before": comfort,
        "comfort_after": comfort,
        "observations": OBSERVED,
    }
    fields.update(overrides)
    return ContactFacts(**fields)


def default_participants(family: Family, kind: str) -> list[Party]:
    if kind in (AppointmentKind.CONTACT_SUPERVISED, AppointmentKind.CONTACT_UNSUPERVISED):
        return [family.child, family.estranged]
    if kind in (AppointmentKind.INTAKE, AppointmentKind.INDIVIDUAL):
        return [family.estranged]
    return [family.child, family.estranged, family.other]


def free_slot(start: dt.datetime, minutes: int) -> dt.datetime:
    """`start`, or the first hour after it when no session is booked: a therapist cannot be
    booked twice at once."""
    taken = [
        (a.starts_at, a.starts_at + dt.timedelta(minutes=a.duration_minutes))
        for a in Appointment.objects.exclude(status__in=services.FREE_STATUSES)
    ]
    while any(
        begin < start + dt.timedelta(minutes=minutes) and start < end for begin, end in taken
    ):
        start += HOUR
    return start


def make_appointment(
    therapist: User,
    family: Family,
    kind: str = AppointmentKind.INDIVIDUAL,
    *,
    when: dt.datetime | None = None,
    participants: list[Party] | None = None,
    **extra: Any,
) -> Appointment:
    """A session of any kind, by default a day ahead of the clock (or the first free hour
    after that)."""
    return services.appointment_schedule(
        actor=therapist,
        case=family.case,
        kind=kind,
        starts_at=when or free_slot(now() + DAY, extra.get("duration_minutes", 50)),
        participants=participants
        if participants is not None
        else default_participants(family, kind),
        **extra,
    )


def held_session(
    therapist: User,
    family: Family,
    clock: Any,
    kind: str = AppointmentKind.INDIVIDUAL,
    **extra: Any,
) -> Appointment:
    """A (non-contact) session scheduled for tomorrow, then held once the clock gets there."""
    appointment = make_appointment(therapist, family, kind, **extra)
    clock.move_to(appointment.starts_at + HOUR)
    return services.appointment_complete(actor=therapist, appointment=appointment)


def make_visit(
    therapist: User,
    family: Family,
    *,
    clock: Any = None,
    when: dt.datetime | None = None,
    record: ContactFacts | bool | None = None,
    recorded_by: User | None = None,
    rung: ContactRung | None = None,
    monitor: User | None = None,
    confirm_facts: bool = False,
) -> Appointment:
    """A contact visit on the current rung (or `rung`), a day ahead of the clock unless `when`.

    With `record` (facts, or True for a calm visit at comfort 8) the clock moves past the
    visit's end and the visit is recorded, by `recorded_by` or the therapist.
    """
    target = rung or ladder_of(family).current_rung
    assert target is not None
    kind = (
        AppointmentKind.CONTACT_SUPERVISED
        if target.supervised
        else AppointmentKind.CONTACT_UNSUPERVISED
    )
    appointment = make_appointment(
        therapist,
        family,
        kind,
        when=when,
        duration_minutes=60,
        rung=target,
        monitor=monitor,
    )
    if record:
        assert clock is not None, "recording a visit moves the clock: pass clock="
        clock.move_to(appointment.starts_at + 2 * HOUR)
        pausing.contact_record(
            actor=recorded_by or therapist,
            appointment=appointment,
            facts=facts() if record is True else record,
            confirm_facts=confirm_facts,
        )
        appointment.refresh_from_db()
    return appointment


def assent(
    therapist: User, family: Family, to: ContactRung, *, given: bool = True, note: str = ""
) -> None:
    services.assent_record(
        actor=therapist,
        case=family.case,
        child=family.child,
        rung=to,
        given=given,
        recorded_on=timezone.localdate(),
        note=note,
    )


def ready_to_step_up(
    therapist: User, family: Family, clock: Any, *, comfort: int = 8, visits: int | None = None
) -> ContactRung:
    """Everything the way up asks for: enough calm recorded visits and the child's yes."""
    ladder = ladder_of(family)
    count = visits if visits is not None else ladder.min_sessions
    if ladder.current_rung is not None and ladder.current_rung.letters:
        pass_letters(therapist, family, count)  # a letters rung counts letters, not visits
    else:
        for _ in range(count):
            make_visit(therapist, family, clock=clock, record=facts(comfort))
    following = rung(family, ladder.current_rung.position + 1)  # type: ignore[union-attr]
    assent(therapist, family, following)
    return following


def climb_to(therapist: User, family: Family, clock: Any, position: int) -> None:
    """Step up, rung by rung, until the ladder stands on `position` (re-screening as it goes)."""
    while ladder_of(family).current_rung.position < position:  # type: ignore[union-attr]
        screen(therapist, family.case)
        ready_to_step_up(therapist, family, clock)
        services.ladder_step_up(actor=therapist, case=family.case, rationale="Calm visits.")


def make_note(
    therapist: User,
    appointment: Appointment,
    *,
    format: str = NoteFormat.DAP,
    body: dict[str, str] | None = None,
    sign: bool = False,
    **extra: Any,
) -> ProgressNote:
    note = pausing.note_write(
        actor=therapist,
        appointment=appointment,
        format=format,
        body=body if body is not None else (DAP if format == NoteFormat.DAP else SOAP),
        **extra,
    )
    if sign:
        note = services.note_sign(actor=therapist, note=note)
    return note


def migration_0002() -> Any:
    return importlib.import_module("reunify.clinical.migrations.0002_signed_records_are_locked")


def lift_locks() -> None:
    """Drop the triggers that lock signed notes and addenda, as someone holding the database
    password could. DDL is transactional on SQLite and PostgreSQL: the test's rollback puts
    them back."""
    migration = migration_0002()
    statements = {"sqlite": migration.SQLITE_DOWN, "postgresql": migration.POSTGRES_DOWN}
    with connection.cursor() as cursor:
        for statement in statements[connection.vendor]:
            cursor.execute(statement)


def paused(case: Case) -> bool:
    return Case.objects.get(pk=case.pk).is_paused
