"""Nobody is booked twice at once: not the therapist, not an office room, not a person, on the
page, in the API, on rescheduling, and not when two bookings of one slot race each other."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.clinical import services
from reunify.clinical.models import Appointment, AppointmentKind, Modality
from reunify.clinical.tests.factories import DAY, HOUR, make_appointment, now, stopped_clock
from reunify.conftest import Family, bearer, login, make_family, make_user


@pytest.fixture
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def booked(clock: Any, therapist: User, family: Family) -> Appointment:
    """Tomorrow 15:00 to 15:50 in Room 2: the therapist with the estranged parent."""
    return make_appointment(
        therapist,
        family,
        when=three_pm(),
        participants=[family.estranged],
        modality=Modality.OFFICE,
        location="Room 2",
    )


def three_pm() -> dt.datetime:
    return (now() + DAY).replace(hour=15, minute=0)


def book(actor: User, family: Family, when: dt.datetime, **extra: Any) -> Appointment:
    fields: dict[str, Any] = {"participants": [family.child], "duration_minutes": 50}
    fields.update(extra)
    return services.appointment_schedule(
        actor=actor, case=family.case, kind=AppointmentKind.INDIVIDUAL, starts_at=when, **fields
    )


def test_the_therapist_is_not_booked_twice(therapist, family, booked):
    count = Appointment.objects.count()
    with pytest.raises(ValidationError) as refused:
        book(therapist, family, three_pm() + dt.timedelta(minutes=30))
    assert "Tess Hale already has a session from 15:00 to 15:50" in refused.value.messages[0]
    assert Appointment.objects.count() == count


def test_a_party_is_not_booked_twice_even_by_a_colleague(therapist, family, booked):
    colleague = make_user("cotherapist", supervisor=therapist.supervisor)
    family.case.co_therapists.add(colleague)
    name = family.estranged.person.full_name
    with pytest.raises(ValidationError, match=f"{name} already has a session from 15:00"):
        book(
            colleague,
            family,
            three_pm() - dt.timedelta(minutes=20),
            participants=[family.estranged],
        )
    # The child is free at that time, and so is the colleague.
    book(colleague, family, three_pm())


def test_a_room_is_not_booked_twice_and_the_other_family_stays_unnamed(
    booked, outsider, other_family
):
    with pytest.raises(ValidationError) as refused:
        book(
            outsider,
            other_family,
            three_pm() + dt.timedelta(minutes=10),
            modality=Modality.OFFICE,
            location=" room 2 ",
        )
    message = refused.value.messages[0]
    assert "the room “room 2” is booked from 15:00 to 15:50" in message
    assert "Rivers" not in message and "Hale" not in message
    # Another room, or a telehealth session with the same words as its location, is free.
    book(outsider, other_family, three_pm(), modality=Modality.OFFICE, location="Room 3")


def test_touching_sessions_do_not_clash(therapist, family, booked):
    after = book(therapist, family, three_pm() + dt.timedelta(minutes=50))
    before = book(therapist, family, three_pm() - HOUR, duration_minutes=60)
    assert {after.pk, before.pk} <= set(Appointment.objects.values_list("pk", flat=True))


def test_a_cancelled_session_frees_its_time(therapist, family, booked):
    services.appointment_cancel(actor=therapist, appointment=booked, cancelled_by="therapist")

    again = book(therapist, family, three_pm(), participants=[family.estranged], location="Room 2")

    assert again.pk != booked.pk
    assert again.starts_at == booked.starts_at


def test_rescheduling_into_a_taken_time_is_refused(therapist, family, booked):
    other = book(therapist, family, three_pm() + 2 * HOUR)
    with pytest.raises(ValidationError, match="already has a session from 15:00 to 15:50"):
        services.appointment_reschedule(
            actor=therapist, appointment=other, starts_at=three_pm() + dt.timedelta(minutes=40)
        )
    assert Appointment.objects.get(pk=other.pk).starts_at == three_pm() + 2 * HOUR
    # Moving a session within its own time is no clash with itself.
    services.appointment_reschedule(
        actor=therapist, appointment=booked, starts_at=three_pm() + dt.timedelta(minutes=10)
    )


def test_the_page_refuses_a_double_booking(client: Client, therapist, family, booked):
    login(client, therapist)
    writes = Event.objects.exclude(action="case.view").count()
    when = three_pm() + dt.timedelta(minutes=15)
    response = client.post(
        reverse("appointment_new", args=[family.case.pk]),
        {
            "kind": "individual",
            "day": when.date().isoformat(),
            "time": when.strftime("%H:%M"),
            "duration_minutes": "50",
            "modality": "office",
            "location": "Room 2",
            "participants": [family.other.pk],
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "That time is taken" in page and "Room 2" in page
    assert Appointment.objects.count() == 1
    assert Event.objects.exclude(action="case.view").count() == writes


def test_the_api_refuses_a_double_booking(client: Client, therapist, family, booked):
    body = {
        "kind": "individual",
        "starts_at": (three_pm() + dt.timedelta(minutes=49)).isoformat(),
        "participant_ids": [family.estranged.pk],
    }
    response = client.post(
        f"/api/v1/cases/{family.case.pk}/appointments",
        body,
        content_type="application/json",
        headers=bearer(therapist),
    )
    assert response.status_code == 400
    assert "already has a session from 15:00 to 15:50" in response.json()["detail"]
    assert Appointment.objects.count() == 1


@pytest.mark.flushes
@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
def test_two_bookings_of_one_slot_at_once_only_one_wins(audit_flushable: Any) -> None:
    therapist = make_user("racer", supervisor=make_user("racesup", role="supervisor"))
    # Two families: each booking locks its own case, so only the therapist's lock can stop them.
    families = [make_family(therapist), make_family(therapist, title="Vale family", last="Vale")]
    when = now() + DAY
    start = threading.Barrier(2)
    results: list[str] = []

    def attempt(family: Family) -> None:
        try:
            start.wait()
            book(therapist, family, when)
            results.append("booked")
        except ValidationError as refused:
            results.append(refused.messages[0])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(f,)) for f in families]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert results.count("booked") == 1, results
    assert "racer already has a session" in next(r for r in results if r != "booked")
    assert Appointment.objects.filter(therapist=therapist).count() == 1
