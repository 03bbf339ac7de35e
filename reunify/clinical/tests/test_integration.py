"""Integration and maintenance: check-ins at decreasing frequency, overdue check-ins,
attendance per party, and the parenting-time arrangement."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Case, Party, PartyRole, Phase
from reunify.clinical import services
from reunify.clinical.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CancelledBy,
    EarlyEndReason,
    ParentingArrangement,
)
from reunify.clinical.selectors import Attendance, attendance_for, attendance_of, overdue_checkins
from reunify.clinical.tests.factories import (
    DAY,
    HOUR,
    LOCAL,
    START,
    WEEK,
    facts,
    in_contact,
    in_integration,
    make_appointment,
    make_visit,
    stopped_clock,
)
from reunify.conftest import Family, add_party, advance_to, last_event, make_family
from reunify.process import pausing, transitions


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


def checkins(family: Family) -> list[Appointment]:
    return list(
        Appointment.objects.filter(case=family.case, kind=AppointmentKind.CHECKIN).order_by(
            "starts_at"
        )
    )


def counts(row: Attendance) -> tuple[str, int, int, int, int, int]:
    return (
        row.party.role,
        row.due,
        row.held,
        row.cancelled_by_them,
        row.late_cancellations,
        row.no_shows,
    )


# --- check-ins ---------------------------------------------------------------------------------


def test_entering_integration_schedules_three_checkins_further_and_further_apart(therapist, family):
    attorney = add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Jo", "Lee", represents=family.other
    )

    in_integration(therapist, family)

    scheduled = checkins(family)
    at_ten = START.replace(hour=10)
    assert [a.starts_at for a in scheduled] == [
        at_ten + 2 * WEEK,
        at_ten + 6 * WEEK,
        at_ten + 14 * WEEK,
    ]
    assert [a.starts_at.astimezone(LOCAL).hour for a in scheduled] == [10, 10, 10]
    for checkin in scheduled:
        assert checkin.status == AppointmentStatus.SCHEDULED
        assert (checkin.therapist, checkin.created_by) == (therapist, therapist)
        assert set(checkin.participants.all()) == {family.child, family.estranged, family.other}
        assert attorney not in checkin.participants.all()
    event = Event.objects.get(action="checkin.schedule")
    assert event.case_id == family.case.pk
    assert event.detail == {"appointments": [a.pk for a in scheduled]}


def test_no_checkins_before_integration(therapist, family):
    in_contact(therapist, family)
    assert checkins(family) == []


def test_overdue_checkins_are_those_past_due_and_not_held(therapist, family, clock):
    in_integration(therapist, family)
    first, second, third = checkins(family)
    assert overdue_checkins([family.case]) == {}

    clock.move_to(first.starts_at - HOUR)
    assert overdue_checkins([family.case]) == {}
    clock.move_to(first.starts_at + HOUR)
    assert overdue_checkins([family.case]) == {family.case.pk: 1}

    services.appointment_complete(actor=therapist, appointment=first)
    assert overdue_checkins([family.case]) == {}

    clock.move_to(third.starts_at + DAY)
    assert overdue_checkins([family.case]) == {family.case.pk: 2}
    services.appointment_cancel(
        actor=therapist, appointment=second, cancelled_by=CancelledBy.PARTY, party=family.other
    )
    assert overdue_checkins([family.case]) == {family.case.pk: 1}


def test_overdue_checkins_of_many_cases_take_one_query(
    therapist, family, outsider, other_family, clock, django_assert_num_queries
):
    in_integration(therapist, family)
    in_integration(outsider, other_family)
    clock.move_to(START + 7 * WEEK)
    with django_assert_num_queries(1):
        overdue = overdue_checkins([family.case, other_family.case])
    assert overdue == {family.case.pk: 2, other_family.case.pk: 2}


# --- attendance --------------------------------------------------------------------------------


def test_attendance_counts_held_against_due_for_each_family_party(therapist, family, clock):
    in_contact(therapist, family)
    attorney = add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Jo", "Lee", represents=family.other
    )
    t0 = START + DAY
    everyone = [family.child, family.estranged, family.other]

    def at(hours: int, kind: str = AppointmentKind.FAMILY, **extra: Any) -> Appointment:
        extra.setdefault("participants", everyone)
        return make_appointment(therapist, family, kind, when=t0 + hours * HOUR, **extra)

    held = at(0)
    cancelled_in_time = at(1, AppointmentKind.INDIVIDUAL, participants=[family.estranged])
    cancelled_late = at(2)
    missed = at(3)
    cancelled_by_therapist = at(4)
    visit = make_visit(therapist, family, when=t0 + 5 * HOUR)
    ended_early = make_visit(therapist, family, when=t0 + 6 * HOUR)
    collateral = at(7, AppointmentKind.COLLATERAL, participants=[attorney])
    held_by_pause = make_visit(therapist, family, when=t0 + 8 * HOUR)
    future = at(24 * 30, AppointmentKind.INDIVIDUAL, participants=[family.child])

    services.appointment_cancel(
        actor=therapist,
        appointment=cancelled_in_time,
        cancelled_by=CancelledBy.PARTY,
        party=family.estranged,
    )
    services.appointment_cancel(
        actor=therapist, appointment=cancelled_by_therapist, cancelled_by=CancelledBy.THERAPIST
    )
    clock.move_to(cancelled_late.starts_at - 10 * HOUR)
    services.appointment_cancel(
        actor=therapist,
        appointment=cancelled_late,
        cancelled_by=CancelledBy.PARTY,
        party=family.other,
    )
    clock.move_to(t0 + 7 * HOUR)
    pausing.contact_record(actor=therapist, appointment=visit, facts=facts())
    pausing.contact_record(
        actor=therapist,
        appointment=ended_early,
        facts=facts(ended_early_reason=EarlyEndReason.ACUTE_DISTRESS),
    )
    transitions.case_pause(actor=therapist, case=family.case, reason="holiday")
    clock.move_to(t0 + 10 * HOUR)
    services.appointment_complete(actor=therapist, appointment=held)
    services.appointment_complete(actor=therapist, appointment=collateral)
    services.appointment_no_show(actor=therapist, appointment=missed, party=family.estranged)
    assert Appointment.objects.get(pk=held_by_pause.pk).status == AppointmentStatus.HELD
    assert Appointment.objects.get(pk=future.pk).status == AppointmentStatus.SCHEDULED

    rows = attendance_of(family.case)

    # (role, due, held, cancelled by them, of those late, no-shows)
    assert [counts(r) for r in rows] == [
        ("child", 6, 3, 0, 0, 0),
        ("estranged_parent", 7, 3, 1, 0, 1),
        ("other_parent", 4, 1, 1, 1, 0),
    ]
    assert [r.party for r in rows] == everyone
    assert rows[0].summary == "3 of 6 held"


def test_a_party_with_no_sessions_yet_has_nothing_due(therapist, family):
    rows = attendance_of(family.case)
    assert [counts(r) for r in rows] == [
        ("child", 0, 0, 0, 0, 0),
        ("estranged_parent", 0, 0, 0, 0, 0),
        ("other_parent", 0, 0, 0, 0, 0),
    ]


def test_attendance_is_per_case(therapist, family, outsider, other_family, clock):
    make_appointment(therapist, family, AppointmentKind.INDIVIDUAL, participants=[family.child])
    clock.shift(2 * DAY)
    result = attendance_for([family.case, other_family.case])
    assert [r.due for r in result[family.case.pk]] == [1, 0, 0]
    assert [r.due for r in result[other_family.case.pk]] == [0, 0, 0]


def families(therapist: User, n: int, clock: Any) -> list[Case]:
    """n cases, each with one family session held, their parties loaded as a page would."""
    made = [make_family(therapist, title=f"Family {i}", last=f"Name{i}") for i in range(n)]
    for family in made:
        session = make_appointment(therapist, family, AppointmentKind.FAMILY)
        clock.move_to(session.starts_at + HOUR)
        services.appointment_complete(actor=therapist, appointment=session)
    return list(
        Case.objects.filter(pk__in=[f.case.pk for f in made]).prefetch_related("parties__person")
    )


def test_attendance_for_many_cases_takes_a_fixed_number_of_queries(therapist, clock):
    cases = families(therapist, 6, clock)

    with CaptureQueriesContext(connection) as two:
        small = attendance_for(cases[:2])
    with CaptureQueriesContext(connection) as six:
        large = attendance_for(cases)

    assert len(two) == len(six) == 1
    assert len(small) == 2 and len(large) == 6
    assert all([r.held for r in rows] == [1, 1, 1] for rows in large.values())


# --- the arrangement ---------------------------------------------------------------------------


def test_the_arrangement_is_recorded_in_integration(therapist, family):
    in_integration(therapist, family)
    effective = timezone.localdate() + 14 * DAY

    arrangement = services.arrangement_record(
        actor=therapist,
        case=family.case,
        description="  Alternate weekends; Wednesday dinners. ",
        effective_on=effective,
    )

    arrangement = ParentingArrangement.objects.get(pk=arrangement.pk)
    assert arrangement.description == "Alternate weekends; Wednesday dinners."
    assert (arrangement.effective_on, arrangement.recorded_by) == (effective, therapist)
    event = last_event()
    assert (event.action, event.object_id) == ("arrangement.record", str(arrangement.pk))


@pytest.mark.parametrize("phase", [Phase.ASSESSMENT, Phase.THERAPEUTIC_CONTACT])
def test_the_arrangement_waits_for_integration(therapist, family, phase):
    advance_to(therapist, family, phase)
    with pytest.raises(ValidationError, match="recorded in integration and maintenance"):
        services.arrangement_record(
            actor=therapist,
            case=family.case,
            description="Alternate weekends.",
            effective_on=timezone.localdate(),
        )
    assert not ParentingArrangement.objects.exists()


def test_the_arrangement_needs_words_and_an_open_case(therapist, family):
    in_integration(therapist, family)
    with pytest.raises(ValidationError, match="arrangement is required"):
        services.arrangement_record(
            actor=therapist, case=family.case, description=" ", effective_on=dt.date(2030, 7, 1)
        )
    transitions.case_close(
        actor=therapist, case=family.case, outcome="restored", reason="Regular parenting time."
    )
    with pytest.raises(ValidationError, match="closed"):
        services.arrangement_record(
            actor=therapist,
            case=family.case,
            description="Alternate weekends.",
            effective_on=dt.date(2030, 7, 1),
        )
    assert not ParentingArrangement.objects.exists()


def test_a_party_list_leaves_professionals_out(therapist, family):
    add_party(therapist, family.case, PartyRole.GAL, "Gail", "Adlitem")
    roles = [r.party.role for r in attendance_of(family.case)]
    assert roles == ["child", "estranged_parent", "other_parent"]
    assert Party.objects.filter(case=family.case).count() == 4
