"""The clinical pages: scheduling, the appointment page, contact records, notes and addenda,
the ladder on the case page, psychotherapy notes, the monitor's visits, and the caseload.

Every page: it works; it needs a login; another family's case or session answers 404; the
supervisor reads but does not write; a monitor reaches their own visits and nothing else; bad
input gets a clear error and changes nothing; the audit row is written.

The clock is stopped (time_machine) at the factories' START, and moved forward past a session's
start before anyone records it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Case, Intake, Phase
from reunify.cases.sections import SLUGS, section_url
from reunify.clinical import services
from reunify.clinical.models import (
    Addendum,
    AddendumKind,
    AmendmentRequest,
    AmendmentStatus,
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    ChildAssent,
    ContactRecord,
    ContactRung,
    Ladder,
    ParentingArrangement,
    ProgressNote,
    PsychotherapyNote,
)
from reunify.clinical.tests.factories import (
    DAY,
    HOUR,
    assent,
    facts,
    in_contact,
    ladder_of,
    make_appointment,
    make_note,
    make_visit,
    now,
    rung,
    stopped_clock,
)
from reunify.conftest import (
    Family,
    case_text,
    climb_to_integration,
    fresh,
    last_event,
    login,
    make_family,
    screen,
)
from reunify.process import pausing, transitions

SECRET = "Private hunch: my countertransference flares when the father raises his voice."


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


def text(response: Any) -> str:
    return response.content.decode()


def events(action: str, case: Case) -> int:
    return Event.objects.filter(action=action, case_id=case.pk).count()


def writes() -> int:
    """Audit events that change the record: the count that must not move after a refusal
    (reads and the refusals themselves are logged too)."""
    return Event.objects.exclude(action__in=["case.view", "access.denied"]).count()


def local(moment: dt.datetime) -> tuple[str, str]:
    """A moment as the date and time inputs of a form."""
    moment = timezone.localtime(moment)
    return moment.date().isoformat(), moment.strftime("%H:%M")


def go_past(clock: Any, client: Client, user: User, appointment: Appointment) -> None:
    """Move the clock past the session's start and sign in again (the session cookie ages)."""
    clock.move_to(appointment.starts_at + HOUR)
    login(client, user)


def record_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "contact-duration_minutes": "55",
        "contact-comfort_before": "7",
        "contact-comfort_after": "8",
        "contact-observers": "",
        "contact-observations": "Daniel read a letter aloud; Mia asked about the dog.",
        "contact-critical_incidents": "",
        "contact-ended_early_reason": "",
    }
    data.update(overrides)
    return data


DAP_DATA = {
    "note-format": "dap",
    "note-data": "Mia described her week at school.",
    "note-assessment": "Engaged, some guardedness.",
    "note-plan": "Meet again next week.",
}


@dataclass
class World:
    """One family's clinical record with something of every kind a page acts on."""

    family: Family
    visit: Appointment  # a supervised contact visit tomorrow
    session: Appointment  # an individual session tomorrow
    held: Appointment  # an individual session held this morning
    note: ProgressNote  # signed, on the held session
    request: AmendmentRequest  # pending
    pnote: PsychotherapyNote

    @property
    def case(self) -> Case:
        return self.family.case


def make_world(therapist: User, family: Family, monitor: User | None = None) -> World:
    in_contact(therapist, family)
    visit = make_visit(therapist, family, monitor=monitor)
    session = make_appointment(therapist, family)
    held = make_appointment(therapist, family, when=now() - 3 * HOUR)
    services.appointment_complete(actor=therapist, appointment=held)
    note = make_note(therapist, held, sign=True)
    request = services.amendment_request_record(
        actor=therapist,
        note=note,
        party=family.estranged,
        received_on=timezone.localdate(),
        request_text="I did not say I was angry.",
    )
    pnote = services.psychotherapy_note_write(actor=therapist, case=family.case, text=SECRET)
    return World(family, visit, session, held, note, request, pnote)


@pytest.fixture
def world(therapist: User, family: Family, monitor: User) -> World:
    return make_world(therapist, family, monitor)


@pytest.fixture
def other_world(outsider: User, other_family: Family) -> World:
    return make_world(outsider, other_family)


# Every clinical endpoint, with the object its address names.
ENDPOINTS: list[tuple[str, str, str]] = [
    ("get", "appointment_new", "case"),
    ("post", "appointment_new", "case"),
    ("get", "appointment_detail", "visit"),
    ("post", "appointment_reschedule", "visit"),
    ("post", "appointment_cancel", "visit"),
    ("post", "appointment_complete", "session"),
    ("post", "appointment_no_show", "session"),
    ("post", "contact_record", "visit"),
    ("post", "note_new", "visit"),
    ("post", "note_edit", "note"),
    ("post", "note_sign", "note"),
    ("post", "addendum_new", "note"),
    ("post", "amendment_new", "note"),
    ("post", "amendment_decide", "request"),
    ("post", "ladder_step_up", "case"),
    ("post", "ladder_step_down", "case"),
    ("post", "assent_new", "case"),
    ("get", "ladder_edit", "case"),
    ("post", "ladder_edit", "case"),
    ("get", "arrangement_new", "case"),
    ("post", "arrangement_new", "case"),
    ("get", "psychotherapy_notes", "case"),
    ("post", "psychotherapy_notes", "case"),
    ("post", "psychotherapy_note_share", "pnote"),
]
READS = {"appointment_detail", "psychotherapy_notes"}


def address(world: World, name: str, target: str) -> str:
    return reverse(name, args=[getattr(world, target).pk])


@pytest.mark.parametrize(("method", "name", "target"), ENDPOINTS)
def test_clinical_pages_need_login(
    client: Client, world: World, method: str, name: str, target: str
) -> None:
    response = getattr(client, method)(address(world, name, target))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_the_visits_page_needs_login(client: Client, db: Any) -> None:
    assert client.get(reverse("monitor_visits")).status_code == 302


@pytest.mark.parametrize(("method", "name", "target"), ENDPOINTS)
def test_it_rejects_other_family(
    client: Client,
    therapist: User,
    world: World,
    other_world: World,
    method: str,
    name: str,
    target: str,
) -> None:
    login(client, therapist)
    before = writes()
    theirs = Event.objects.filter(case_id=other_world.case.pk).count()

    response = getattr(client, method)(address(other_world, name, target), {"shared": "yes"})

    assert response.status_code == 404
    assert "Okafor" not in text(response)
    assert writes() == before
    assert Event.objects.filter(case_id=other_world.case.pk).count() == theirs


@pytest.mark.parametrize(
    ("method", "name", "target"), [e for e in ENDPOINTS if e[0] == "post" or e[1] not in READS]
)
def test_the_supervisor_may_read_but_not_write(
    client: Client, supervisor: User, world: World, method: str, name: str, target: str
) -> None:
    login(client, supervisor)
    before = writes()

    response = getattr(client, method)(address(world, name, target), {"shared": "yes"})

    # The unshared psychotherapy note is the author's alone: out of sight, not merely refused.
    assert response.status_code == (404 if name == "psychotherapy_note_share" else 403)
    assert writes() == before
    assert PsychotherapyNote.objects.filter(shared_with_supervisor=True).count() == 0


def test_the_supervisor_reads_the_appointment_page_without_write_forms(
    client: Client, supervisor: User, world: World
) -> None:
    login(client, supervisor)

    page = text(client.get(reverse("appointment_detail", args=[world.held.pk])))

    assert world.note.content_hash in page
    assert "I did not say I was angry." in page
    assert "<form" not in page.split("<main")[1]


# The monitor -----------------------------------------------------------------------------------


def test_a_monitor_sees_only_their_visits(
    client: Client, monitor: User, world: World, clock: Any
) -> None:
    unassigned = make_visit(world.case.therapist, world.family, when=world.visit.starts_at + DAY)
    login(client, monitor)

    page = text(client.get(reverse("monitor_visits")))

    assert reverse("appointment_detail", args=[world.visit.pk]) in page
    assert reverse("appointment_detail", args=[unassigned.pk]) not in page
    assert "Mia Rivers" in page
    assert client.get(reverse("appointment_detail", args=[unassigned.pk])).status_code == 404
    assert client.get(reverse("appointment_detail", args=[world.session.pk])).status_code == 404
    assert client.get(reverse("case_detail", args=[world.case.pk])).status_code == 404
    assert client.get(reverse("psychotherapy_notes", args=[world.case.pk])).status_code == 404


def test_a_monitor_records_their_own_visit_and_nothing_else(
    client: Client, monitor: User, world: World, clock: Any
) -> None:
    go_past(clock, client, monitor, world.visit)
    visit_page = reverse("appointment_detail", args=[world.visit.pk])

    page = text(client.get(visit_page))
    assert reverse("contact_record", args=[world.visit.pk]) in page
    assert reverse("appointment_cancel", args=[world.visit.pk]) not in page
    assert reverse("note_new", args=[world.visit.pk]) not in page
    assert "Progress notes" not in page

    response = client.post(reverse("contact_record", args=[world.visit.pk]), record_data())

    assert response.status_code == 302
    record = ContactRecord.objects.get(appointment=world.visit)
    assert (record.comfort_before, record.comfort_after, record.recorded_by) == (7, 8, monitor)
    assert last_event().action == "contact.record"
    for name in ("appointment_reschedule", "appointment_cancel", "note_new"):
        assert client.post(reverse(name, args=[world.visit.pk])).status_code == 403
    assert client.post(reverse("ladder_step_up", args=[world.case.pk])).status_code == 404


def test_the_monitor_is_pointed_to_their_visits(client: Client, monitor: User) -> None:
    login(client, monitor)

    page = text(client.get(reverse("caseload")))

    assert reverse("monitor_visits") in page


# Scheduling ------------------------------------------------------------------------------------


def schedule_data(family: Family, when: dt.datetime, **overrides: Any) -> dict[str, Any]:
    day, time = local(when)
    data: dict[str, Any] = {
        "kind": AppointmentKind.INDIVIDUAL,
        "day": day,
        "time": time,
        "duration_minutes": "50",
        "modality": "office",
        "location": "Room 2",
        "participants": [family.estranged.pk],
    }
    data.update(overrides)
    return data


def test_the_schedule_page_works(
    client: Client, therapist: User, family: Family, monitor: User
) -> None:
    in_contact(therapist, family)
    login(client, therapist)

    response = client.get(reverse("appointment_new", args=[family.case.pk]))

    assert response.status_code == 200
    page = text(response)
    for party in (family.child, family.estranged, family.other):
        assert f'value="{party.pk}"' in page
    assert 'type="time"' in page
    assert monitor.username in page or monitor.display_name in page
    assert "Letters and messages" in page
    assert '<legend>Participants <span class="required">(required)</span></legend>' in page
    prefilled = text(
        client.get(reverse("appointment_new", args=[family.case.pk]) + "?kind=contact_supervised")
    )
    assert '<option value="contact_supervised" selected>' in prefilled


def test_it_schedules_a_session(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)
    when = timezone.now() + DAY

    response = client.post(
        reverse("appointment_new", args=[family.case.pk]), schedule_data(family, when)
    )

    appointment = Appointment.objects.get(case=family.case)
    assert response.status_code == 302
    assert response["Location"] == reverse("appointment_detail", args=[appointment.pk])
    assert appointment.starts_at == when.replace(second=0, microsecond=0)
    assert list(appointment.participants.all()) == [family.estranged]
    assert events("appointment.schedule", family.case) == 1
    page = text(client.get(response["Location"]))
    assert "Scheduled: Individual session" in page
    assert "Room 2" in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"participants": []}, "Tick at least one participant."),
        ({"time": "25:00"}, "Enter a valid time."),
        ({"duration_minutes": "3"}, "A session lasts between 5 and 600 minutes."),
        ({"kind": "intake", "participants": "both"}, "An intake interview is held with one party"),
    ],
)
def test_scheduling_with_bad_input_changes_nothing(
    client: Client, therapist: User, family: Family, overrides: dict[str, Any], message: str
) -> None:
    login(client, therapist)
    if overrides.get("participants") == "both":
        overrides["participants"] = [family.estranged.pk, family.other.pk]

    response = client.post(
        reverse("appointment_new", args=[family.case.pk]),
        schedule_data(family, timezone.now() + DAY, **overrides),
    )

    assert response.status_code == 400
    assert message in text(response)
    assert 'role="alert"' in text(response)
    assert not Appointment.objects.exists()


def _contact_data(family: Family, **overrides: Any) -> dict[str, Any]:
    return schedule_data(
        family,
        timezone.now() + DAY,
        kind=AppointmentKind.CONTACT_SUPERVISED,
        participants=[family.child.pk, family.estranged.pk],
        **overrides,
    )


def test_it_schedules_a_supervised_contact_visit_with_a_monitor(
    client: Client, therapist: User, family: Family, monitor: User
) -> None:
    in_contact(therapist, family)
    login(client, therapist)

    response = client.post(
        reverse("appointment_new", args=[family.case.pk]),
        _contact_data(family, monitor=monitor.pk),
    )

    assert response.status_code == 302
    visit = Appointment.objects.get(case=family.case)
    assert (visit.monitor, visit.rung) == (monitor, rung(family, 1))


def test_scheduling_above_the_current_rung_is_refused_with_the_reason(
    client: Client, therapist: User, family: Family
) -> None:
    in_contact(therapist, family)
    login(client, therapist)

    response = client.post(
        reverse("appointment_new", args=[family.case.pk]),
        _contact_data(family, rung=rung(family, 3).pk),
    )

    assert response.status_code == 400
    page = text(response)
    assert "is above the current rung" in page
    assert "step up the ladder first" in page
    assert not Appointment.objects.exists()


def test_scheduling_contact_on_a_paused_case_is_refused_with_the_reason(
    client: Client, therapist: User, family: Family
) -> None:
    in_contact(therapist, family)
    transitions.case_pause(actor=therapist, case=family.case, reason="Allegation under review")
    login(client, therapist)

    response = client.post(reverse("appointment_new", args=[family.case.pk]), _contact_data(family))

    assert response.status_code == 400
    assert "The case is paused (Allegation under review)" in text(response)
    assert not Appointment.objects.exists()


# The appointment page and its status actions ---------------------------------------------------


def test_the_appointment_page_works(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)
    before = events("case.view", world.case)

    response = client.get(reverse("appointment_detail", args=[world.visit.pk]))

    assert response.status_code == 200
    page = text(response)
    assert "Therapeutic contact (supervised)" in page
    assert "Mia Rivers" in page and "Daniel Rivers" in page
    assert "Letters and messages" in page
    assert reverse("appointment_reschedule", args=[world.visit.pk]) in page
    assert reverse("appointment_cancel", args=[world.visit.pk]) in page
    assert "record it once it has begun" in page
    assert events("case.view", world.case) == before + 1


def test_every_clinical_page_has_landmarks_and_no_inline_script_or_style(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    go_past(clock, client, therapist, world.visit)
    pages = [
        reverse("appointment_new", args=[world.case.pk]),
        reverse("appointment_detail", args=[world.visit.pk]),
        reverse("appointment_detail", args=[world.session.pk]),
        reverse("ladder_edit", args=[world.case.pk]),
        reverse("psychotherapy_notes", args=[world.case.pk]),
        reverse("monitor_visits"),
        reverse("case_detail", args=[world.case.pk]),
    ]
    for page_address in pages:
        page = text(client.get(page_address))
        for landmark in ("<header", "<nav", '<main id="main"', "<footer"):
            assert landmark in page, (page_address, landmark)
        assert page.count("<h1>") == 1, page_address
        assert "<script" not in page, page_address
        assert "style=" not in page, page_address


def test_a_party_cancels_late_and_the_page_says_so(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    clock.move_to(world.visit.starts_at - 3 * HOUR)
    login(client, therapist)

    response = client.post(
        reverse("appointment_cancel", args=[world.visit.pk]),
        {"cancel-cancelled_by": "party", "cancel-party": world.family.other.pk, "cancel-note": ""},
        follow=True,
    )

    visit = Appointment.objects.get(pk=world.visit.pk)
    assert (visit.status, visit.cancelled_by_party, visit.notice_hours) == (
        AppointmentStatus.CANCELLED,
        world.family.other,
        3,
    )
    page = text(response)
    assert "Cancelled by Laura Rivers, 3 hours before the start" in page
    assert "Late" in page
    assert events("appointment.cancel", world.case) == 1


def test_a_cancellation_by_a_party_names_the_party(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    response = client.post(
        reverse("appointment_cancel", args=[world.visit.pk]), {"cancel-cancelled_by": "party"}
    )

    assert response.status_code == 400
    assert "Name the party who cancelled." in text(response)
    assert Appointment.objects.get(pk=world.visit.pk).status == AppointmentStatus.SCHEDULED


def test_it_reschedules(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)
    later = world.session.starts_at + 2 * DAY
    day, time = local(later)

    response = client.post(
        reverse("appointment_reschedule", args=[world.session.pk]),
        {"reschedule-day": day, "reschedule-time": time, "reschedule-duration_minutes": "80"},
    )

    assert response.status_code == 302
    session = Appointment.objects.get(pk=world.session.pk)
    assert (session.starts_at, session.duration_minutes) == (later, 80)
    assert events("appointment.reschedule", world.case) == 1


def test_a_held_intake_counts_for_the_assessment_gate(
    client: Client, therapist: User, family: Family, clock: Any
) -> None:
    intake = make_appointment(therapist, family, AppointmentKind.INTAKE)
    go_past(clock, client, therapist, intake)

    page = text(client.get(reverse("appointment_detail", args=[intake.pk])))
    assert "counts towards the assessment gate" in page
    response = client.post(reverse("appointment_complete", args=[intake.pk]), {})

    assert response.status_code == 302
    assert Appointment.objects.get(pk=intake.pk).status == AppointmentStatus.COMPLETED
    assert Intake.objects.filter(case=family.case, party=family.estranged).exists()
    case_page = case_text(client, family.case.pk)
    assert "no separate intake with the estranged parent" not in case_page


def test_completing_a_session_before_it_starts_is_refused(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    response = client.post(reverse("appointment_complete", args=[world.session.pk]), {})

    assert response.status_code == 400
    assert "This session has not started yet." in text(response)
    assert Appointment.objects.get(pk=world.session.pk).status == AppointmentStatus.SCHEDULED


def test_a_no_show_names_who_did_not_come(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    go_past(clock, client, therapist, world.session)
    url = reverse("appointment_no_show", args=[world.session.pk])

    missing = client.post(url, {"no_show-note": "no call"})
    assert missing.status_code == 400
    assert "Name the party who did not come." in text(missing)

    response = client.post(url, {"no_show-party": world.family.estranged.pk}, follow=True)

    session = Appointment.objects.get(pk=world.session.pk)
    assert (session.status, session.no_show_party) == (
        AppointmentStatus.NO_SHOW,
        world.family.estranged,
    )
    assert "No-show: Daniel Rivers" in text(response)


# The contact record ----------------------------------------------------------------------------


def test_it_records_a_visit_with_comfort_ratings(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    go_past(clock, client, therapist, world.visit)

    response = client.post(
        reverse("contact_record", args=[world.visit.pk]),
        record_data(**{"contact-brought_by": world.family.other.pk}),
        follow=True,
    )

    assert response.status_code == 200
    record = ContactRecord.objects.get(appointment=world.visit)
    assert (record.brought_by, record.duration_minutes) == (world.family.other, 55)
    assert Appointment.objects.get(pk=world.visit.pk).status == AppointmentStatus.COMPLETED
    page = text(response)
    assert "The visit is recorded." in page
    assert "7/10 before, 8/10 after" in page
    assert reverse("contact_record", args=[world.visit.pk]) not in page
    assert events("contact.record", world.case) == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"contact-comfort_after": "11"}, "Rate the child&#x27;s comfort from 0 to 10."),
        ({"contact-comfort_before": ""}, "Rate the child&#x27;s comfort from 0 to 10."),
        ({"contact-safety_concern": "on"}, "Describe the safety concern."),
        ({"contact-duration_minutes": "0"}, "Give how long the visit lasted, in minutes."),
    ],
)
def test_a_bad_contact_record_changes_nothing(
    client: Client,
    therapist: User,
    world: World,
    clock: Any,
    overrides: dict[str, Any],
    message: str,
) -> None:
    go_past(clock, client, therapist, world.visit)

    response = client.post(
        reverse("contact_record", args=[world.visit.pk]), record_data(**overrides)
    )

    assert response.status_code == 400
    assert message in text(response)
    assert not ContactRecord.objects.exists()
    assert not fresh(world.case).is_paused


def test_opinion_words_are_warned_about_then_saved_on_confirmation(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    go_past(clock, client, therapist, world.visit)
    url = reverse("contact_record", args=[world.visit.pk])
    opinion = "Mia said: 'Dad should have full custody.'"

    warned = client.post(url, record_data(**{"contact-observations": opinion}))

    assert warned.status_code == 400
    page = text(warned)
    assert "words of a custody opinion" in page
    assert "should have full custody" in page
    assert 'id="id_contact-observations_error"' in page
    assert 'name="contact-confirm_facts"' in page
    assert not ContactRecord.objects.exists()

    confirmed = client.post(
        url, record_data(**{"contact-observations": opinion, "contact-confirm_facts": "on"})
    )

    assert confirmed.status_code == 302
    assert ContactRecord.objects.get().observations == opinion
    assert "should have full custody" in last_event().detail["opinion_words_confirmed"]


def test_the_confirmation_is_offered_only_after_a_warning(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    go_past(clock, client, therapist, world.visit)

    page = text(client.get(reverse("appointment_detail", args=[world.visit.pk])))

    assert 'name="contact-comfort_before"' in page
    assert 'name="contact-confirm_facts"' not in page


def test_a_safety_concern_pauses_the_case_and_lists_whom_to_tell(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    upcoming = make_visit(therapist, world.family, when=world.visit.starts_at + 7 * DAY)
    go_past(clock, client, therapist, world.visit)

    response = client.post(
        reverse("contact_record", args=[world.visit.pk]),
        record_data(
            **{
                "contact-safety_concern": "on",
                "contact-safety_concern_note": "Mia said her father threatened her.",
            }
        ),
        follow=True,
    )

    assert fresh(world.case).is_paused
    assert "The case is now paused" in text(response)
    assert Appointment.objects.get(pk=upcoming.pk).status == AppointmentStatus.HELD
    page = case_text(client, world.case.pk)
    held = page.split('id="held-heading"')[1].split("</div>")[0]
    assert "Mia Rivers (child)" in held
    assert "Daniel Rivers (estranged parent)" in held


def test_a_visit_ended_early_says_why(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    go_past(clock, client, therapist, world.visit)

    client.post(
        reverse("contact_record", args=[world.visit.pk]),
        record_data(**{"contact-ended_early_reason": "acute_distress"}),
    )

    assert Appointment.objects.get(pk=world.visit.pk).status == AppointmentStatus.ENDED_EARLY
    page = case_text(client, world.case.pk)
    assert "Ended early: acute distress" in page
    assert not fresh(world.case).is_paused


# Progress notes, addenda and amendment requests ------------------------------------------------


def test_it_writes_signs_and_locks_a_note(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    go_past(clock, client, therapist, world.visit)
    pausing.contact_record(actor=therapist, appointment=world.visit, facts=facts())
    page_url = reverse("appointment_detail", args=[world.visit.pk])
    signed_before = events("note.sign", world.case)

    response = client.post(reverse("note_new", args=[world.visit.pk]), DAP_DATA)

    assert response.status_code == 302
    note = ProgressNote.objects.get(appointment=world.visit)
    assert note.body["data"] == "Mia described her week at school."
    page = text(client.get(page_url))
    assert "Draft" in page
    assert reverse("note_edit", args=[note.pk]) in page

    client.post(reverse("note_edit", args=[note.pk]), {**DAP_DATA, "note-plan": "Two weeks."})
    assert ProgressNote.objects.get(pk=note.pk).body["plan"] == "Two weeks."

    response = client.post(reverse("note_sign", args=[note.pk]), follow=True)

    note = ProgressNote.objects.get(pk=note.pk)
    assert note.is_signed
    page = text(response)
    assert "Signed and locked" in page
    assert note.content_hash in page
    assert reverse("note_edit", args=[note.pk]) not in page
    assert reverse("note_sign", args=[note.pk]) not in page
    assert events("note.sign", world.case) == signed_before + 1


def test_a_soap_note_has_its_four_sections(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)

    page = text(client.get(reverse("appointment_detail", args=[world.visit.pk]) + "?format=soap"))

    for field in ("subjective", "objective", "assessment", "plan"):
        assert f'name="note-{field}"' in page
    assert 'name="note-data"' not in page


def test_a_signed_note_cannot_be_changed(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)
    before = ProgressNote.objects.get(pk=world.note.pk)

    page = text(client.get(reverse("appointment_detail", args=[world.held.pk])))
    assert reverse("note_edit", args=[world.note.pk]) not in page
    assert "can never be edited" in page

    response = client.post(
        reverse("note_edit", args=[world.note.pk]), {**DAP_DATA, "note-data": "Rewritten."}
    )

    assert response.status_code == 400
    assert "This note is signed and locked; add an addendum instead." in text(response)
    after = ProgressNote.objects.get(pk=world.note.pk)
    assert (after.body, after.content_hash) == (before.body, before.content_hash)
    assert events("note.update", world.case) == 0


def test_an_empty_note_cannot_be_signed(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)
    note = make_note(therapist, world.held, body={})

    response = client.post(reverse("note_sign", args=[note.pk]))

    assert response.status_code == 400
    assert "An empty note cannot be signed." in text(response)
    assert not ProgressNote.objects.get(pk=note.pk).is_signed


def test_signing_signs_what_is_on_the_screen(client: Client, therapist: User, world: World) -> None:
    """The sign button sends the boxes as they are: an edit never saved is what is signed."""
    login(client, therapist)
    draft = make_note(therapist, world.held)
    typed = {**DAP_DATA, "note-plan": "Typed, never saved: a letter to Mia next week."}

    response = client.post(reverse("note_sign", args=[draft.pk]), typed, follow=True)

    note = ProgressNote.objects.get(pk=draft.pk)
    assert note.is_signed
    assert note.body["plan"] == "Typed, never saved: a letter to Mia next week."
    assert note.content_hash == services.note_hash(note)
    assert "Typed, never saved" in text(response)
    assert [e.action for e in Event.objects.filter(case_id=world.case.pk)].count("note.sign") == 2


def test_signing_with_a_safety_concern_ticked_pauses_the_case_and_holds_its_visits(
    client: Client, therapist: User, world: World
) -> None:
    """A concern first raised on the sign screen is a safety signal like any other."""
    login(client, therapist)
    draft = make_note(therapist, world.held)
    typed = {
        **DAP_DATA,
        "note-safety_concern": "on",
        "note-safety_concern_note": "Mia said she is scared to go home on Sunday.",
    }

    response = client.post(reverse("note_sign", args=[draft.pk]), typed, follow=True)

    assert ProgressNote.objects.get(pk=draft.pk).is_signed
    case = Case.objects.get(pk=world.case.pk)
    assert case.is_paused and case.paused_for_safety
    assert case.pause_reason.endswith("Mia said she is scared to go home on Sunday.")
    assert "The case is now paused" in text(response)


def test_a_note_of_a_session_still_to_come_is_not_signed(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)
    draft = make_note(therapist, world.session)
    before = writes()

    response = client.post(
        reverse("note_sign", args=[draft.pk]), {**DAP_DATA, "note-data": "Written ahead."}
    )

    assert response.status_code == 400
    page = text(response)
    assert "This session has not started yet" in page
    assert "Written ahead." in page  # the words typed stay on the screen, unsaved
    note = ProgressNote.objects.get(pk=draft.pk)
    assert not note.is_signed and note.body["data"] != "Written ahead."
    assert writes() == before


def test_a_note_of_a_session_still_scheduled_is_not_signed(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    draft = make_note(therapist, world.session)
    go_past(clock, client, therapist, world.session)

    response = client.post(reverse("note_sign", args=[draft.pk]), DAP_DATA)

    assert response.status_code == 400
    assert "This session is still scheduled; record it as held" in text(response)
    assert not ProgressNote.objects.get(pk=draft.pk).is_signed


def test_a_note_with_an_empty_section_is_not_signed(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)
    draft = make_note(therapist, world.held)
    before = writes()

    response = client.post(reverse("note_sign", args=[draft.pk]), {**DAP_DATA, "note-plan": " "})

    assert response.status_code == 400
    assert "still empty: Plan" in text(response)
    note = ProgressNote.objects.get(pk=draft.pk)
    assert not note.is_signed and note.body["plan"]
    assert writes() == before


def test_a_safety_concern_in_a_note_pauses_the_case(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    response = client.post(
        reverse("note_new", args=[world.visit.pk]),
        {
            **DAP_DATA,
            "note-safety_concern": "on",
            "note-safety_concern_note": "Bruise on the arm.",
        },
        follow=True,
    )

    assert fresh(world.case).is_paused
    assert Appointment.objects.get(pk=world.visit.pk).status == AppointmentStatus.HELD
    assert "The case is now paused" in text(response)


def test_an_addendum_shows_under_the_note(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)

    response = client.post(
        reverse("addendum_new", args=[world.note.pk]),
        {f"addendum-{world.note.pk}-text": "Correction: the session ran ten minutes long."},
        follow=True,
    )

    addendum = Addendum.objects.get(note=world.note)
    assert addendum.prev_hash == world.note.content_hash
    page = text(response)
    note_part = page.split(f'id="note-{world.note.pk}"')[1]
    assert "Correction: the session ran ten minutes long." in note_part
    assert addendum.content_hash in note_part
    assert page.index(world.note.content_hash) < page.index(addendum.content_hash)
    assert events("note.addendum", world.case) == 1


def test_an_empty_addendum_is_refused(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)

    response = client.post(
        reverse("addendum_new", args=[world.note.pk]), {f"addendum-{world.note.pk}-text": " "}
    )

    assert response.status_code == 400
    assert f'id="id_addendum-{world.note.pk}-text_error"' in text(response)
    assert not Addendum.objects.exists()


def test_an_amendment_request_is_recorded_and_accepted(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)
    prefix = f"amendment-{world.note.pk}"

    response = client.post(
        reverse("amendment_new", args=[world.note.pk]),
        {
            f"{prefix}-party": world.family.other.pk,
            f"{prefix}-received_on": timezone.localdate().isoformat(),
            f"{prefix}-request_text": "The school is Oak Street, not Elm Street.",
        },
    )
    assert response.status_code == 302
    request = AmendmentRequest.objects.get(party=world.family.other)

    decide = f"decide-{request.pk}"
    response = client.post(
        reverse("amendment_decide", args=[request.pk]),
        {
            f"{decide}-decision": "accept",
            f"{decide}-reason": "A factual error.",
            f"{decide}-amendment_text": "The school is Oak Street.",
        },
        follow=True,
    )

    assert AmendmentRequest.objects.get(pk=request.pk).status == AmendmentStatus.ACCEPTED
    amendment = Addendum.objects.get(kind=AddendumKind.AMENDMENT)
    assert "The school is Oak Street." in amendment.text
    assert "Amendment at a party&#x27;s request" in text(response)
    assert events("amendment.accept", world.case) == 1


def test_a_denied_amendment_appends_the_denial_and_the_disagreement(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)
    decide = f"decide-{world.request.pk}"
    url = reverse("amendment_decide", args=[world.request.pk])

    undecided = client.post(url, {f"{decide}-reason": "x"})
    assert undecided.status_code == 400
    assert "Choose to accept or to deny the request." in text(undecided)

    response = client.post(
        url,
        {
            f"{decide}-decision": "deny",
            f"{decide}-reason": "The note records what was said.",
            f"{decide}-disagreement_statement": "I maintain I was calm.",
        },
        follow=True,
    )

    assert AmendmentRequest.objects.get(pk=world.request.pk).status == AmendmentStatus.DENIED
    kinds = list(Addendum.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [AddendumKind.DENIAL, AddendumKind.DISAGREEMENT]
    page = text(response)
    assert "I maintain I was calm." in page
    assert "Party&#x27;s statement of disagreement" in page


def test_an_amendment_needs_the_amended_text(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)
    decide = f"decide-{world.request.pk}"

    response = client.post(
        reverse("amendment_decide", args=[world.request.pk]),
        {f"{decide}-decision": "accept", f"{decide}-reason": "ok"},
    )

    assert response.status_code == 400
    assert "The amended text is required." in text(response)
    assert AmendmentRequest.objects.get(pk=world.request.pk).status == AmendmentStatus.PENDING
    assert not Addendum.objects.exists()


# The ladder on the case page -------------------------------------------------------------------


def case_page(client: Client, case: Case) -> str:
    return case_text(client, case.pk)


def test_the_case_page_shows_the_ladder_and_its_gate(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    page = case_page(client, world.case)

    ladder = page.split('id="ladder-heading"')[1]
    assert 'aria-current="step"' in ladder
    assert "Next rung: Short supervised visit in the office" in ladder
    assert "0 of 3 consecutive completed contact visits" in ladder
    assert "has not given their assent" in ladder
    # The way up is closed: the button says so, and no step-up form is offered.
    assert "Closed: 2 reasons — step up" in ladder
    assert reverse("ladder_step_up", args=[world.case.pk]) not in ladder
    assert reverse("assent_new", args=[world.case.pk]) in ladder
    assert reverse("ladder_edit", args=[world.case.pk]) in ladder
    assert "Upcoming" in page and "Therapeutic contact (supervised)" in page


def test_a_step_up_is_refused_with_the_gate_reasons(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    response = client.post(reverse("ladder_step_up", args=[world.case.pk]))

    assert response.status_code == 409
    refusal = text(response).split('id="ladder-refused-heading"')[1].split("</div>")[0]
    assert "0 of 3 consecutive completed contact visits" in refusal
    assert "has not given their assent" in refusal
    assert ladder_of(world.family).current_rung == rung(world.family, 1)
    assert events("ladder.step_refused", world.case) == 1


def test_it_steps_up_when_the_gate_is_open(
    client: Client, therapist: User, family: Family, clock: Any
) -> None:
    in_contact(therapist, family)
    for _ in range(3):
        make_visit(therapist, family, clock=clock, record=facts(8))
    assent(therapist, family, rung(family, 2))
    screen(therapist, family.case)
    login(client, therapist)
    assert "Nothing stands in the way" in case_page(client, family.case)

    response = client.post(
        reverse("ladder_step_up", args=[family.case.pk]), {"step_up-rationale": "Calm."}
    )

    assert response.status_code == 302
    assert ladder_of(family).current_rung == rung(family, 2)
    assert events("ladder.step_up", family.case) == 1


def test_a_recorded_visit_moves_the_gate_count(
    client: Client, therapist: User, world: World, clock: Any
) -> None:
    go_past(clock, client, therapist, world.visit)
    client.post(reverse("contact_record", args=[world.visit.pk]), record_data())

    page = case_page(client, world.case)

    assert "1 of 3 consecutive completed contact visits" in page
    assert "1 of 1 held" in page


def test_a_step_down_is_immediate_and_holds_the_visits_above(
    client: Client, therapist: User, family: Family, clock: Any
) -> None:
    in_contact(therapist, family)
    for _ in range(3):
        make_visit(therapist, family, clock=clock, record=facts(8))
    assent(therapist, family, rung(family, 2))
    screen(therapist, family.case)
    services.ladder_step_up(actor=therapist, case=family.case)
    above = make_visit(therapist, family)
    login(client, therapist)

    response = client.post(
        reverse("ladder_step_down", args=[family.case.pk]),
        {"step_down-on_word_of": "child", "step_down-reason": "Mia asked to slow down."},
        follow=True,
    )

    assert ladder_of(family).current_rung == rung(family, 1)
    assert Appointment.objects.get(pk=above.pk).status == AppointmentStatus.HELD
    page = text(response)
    assert "Stepped down the ladder to “Letters and messages”" in page
    assert "Tell: Mia Rivers (child); Daniel Rivers (estranged parent)." in page
    assert "Mia asked to slow down." in page
    assert events("ladder.step_down", family.case) == 1


def test_a_step_down_needs_whose_word_and_why(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    response = client.post(reverse("ladder_step_down", args=[world.case.pk]), {})

    assert response.status_code == 400
    page = text(response)
    assert 'id="id_step_down-on_word_of_error"' in page
    assert 'id="id_step_down-reason_error"' in page
    assert events("ladder.step_down", world.case) == 0


def test_it_records_the_childs_assent(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)

    response = client.post(
        reverse("assent_new", args=[world.case.pk]),
        {
            "assent-child": world.family.child.pk,
            "assent-rung": rung(world.family, 2).pk,
            "assent-given": "no",
            "assent-recorded_on": timezone.localdate().isoformat(),
            "assent-note": "Not yet, I want more letters first.",
        },
        follow=True,
    )

    assert ChildAssent.objects.get().given is False
    page = text(response)
    assert "does not agree" in page
    assert "Not yet, I want more letters first." in page
    assert events("ladder.assent", world.case) == 1


def test_an_assent_in_the_future_is_refused(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)

    response = client.post(
        reverse("assent_new", args=[world.case.pk]),
        {
            "assent-child": world.family.child.pk,
            "assent-rung": rung(world.family, 2).pk,
            "assent-given": "yes",
            "assent-recorded_on": (timezone.localdate() + DAY).isoformat(),
        },
    )

    assert response.status_code == 400
    assert "is in the future" in text(response)
    assert not ChildAssent.objects.exists()


# The ladder editor ------------------------------------------------------------------------------


def ladder_form_data(family: Family, **overrides: Any) -> dict[str, Any]:
    ladder = ladder_of(family)
    data: dict[str, Any] = {
        "min_sessions": str(ladder.min_sessions),
        "min_comfort": str(ladder.min_comfort),
    }
    above = ContactRung.objects.filter(ladder=ladder, position__gt=1).order_by("position")
    for n, existing in enumerate(above, start=1):
        data[f"rung-{n}-name"] = existing.name
        if existing.supervised:
            data[f"rung-{n}-supervised"] = "on"
        if existing.in_therapy:
            data[f"rung-{n}-in_therapy"] = "on"
    data.update(overrides)
    return data


def test_the_ladder_editor_changes_the_thresholds(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)
    url = reverse("ladder_edit", args=[world.case.pk])

    page = text(client.get(url))
    assert 'value="Regular parenting time"' in page

    response = client.post(url, ladder_form_data(world.family, min_sessions="2"))

    assert response.status_code == 302
    assert Ladder.objects.get(case=world.case).min_sessions == 2
    assert last_event().action == "ladder.configure"
    assert "0 of 2 consecutive completed contact visits" in case_page(client, world.case)


def test_the_ladder_editor_redraws_the_rungs_above(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)
    data = ladder_form_data(world.family, **{"rung-2-name": "", "rung-6-name": "Overnights"})

    response = client.post(reverse("ladder_edit", args=[world.case.pk]), data)

    assert response.status_code == 302
    names = list(
        ContactRung.objects.filter(ladder__case=world.case)
        .order_by("position")
        .values_list("name", flat=True)
    )
    assert names[0] == "Letters and messages"
    assert "Longer supervised visit in the office" not in names
    assert names[-1] == "Overnights"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({}, "Nothing to change."),
        ({"min_comfort": "12"}, "The comfort threshold is between 0 and 10."),
        ({"min_sessions": "many"}, "Enter a whole number."),
    ],
)
def test_the_ladder_editor_refuses_bad_input(
    client: Client, therapist: User, world: World, overrides: dict[str, Any], message: str
) -> None:
    login(client, therapist)
    before = writes()

    response = client.post(
        reverse("ladder_edit", args=[world.case.pk]), ladder_form_data(world.family, **overrides)
    )

    assert response.status_code == 400
    assert message in text(response)
    assert writes() == before
    assert Ladder.objects.get(case=world.case).min_comfort == 6


def test_a_case_without_a_ladder_has_no_ladder_editor(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    response = client.get(reverse("ladder_edit", args=[family.case.pk]), follow=True)

    assert "has no contact ladder yet" in text(response)
    assert 'aria-current="step"' not in text(response)


# Integration ------------------------------------------------------------------------------------


def test_the_arrangement_is_recorded_in_integration(
    client: Client, therapist: User, family: Family
) -> None:
    in_contact(therapist, family)
    climb_to_integration(therapist, family)
    transitions.case_advance(actor=therapist, case=family.case)
    login(client, therapist)
    url = reverse("arrangement_new", args=[family.case.pk])
    assert reverse("arrangement_new", args=[family.case.pk]) in case_page(client, family.case)

    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "description": "Alternate weekends, Friday 5pm to Sunday 5pm.",
            "effective_on": timezone.localdate().isoformat(),
        },
        follow=True,
    )

    assert ParentingArrangement.objects.filter(case=family.case).count() == 1
    assert "Alternate weekends, Friday 5pm to Sunday 5pm." in text(response)
    assert events("arrangement.record", family.case) == 1


def test_the_arrangement_waits_for_integration(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    response = client.post(
        reverse("arrangement_new", args=[world.case.pk]),
        {"description": "Weekends.", "effective_on": timezone.localdate().isoformat()},
    )

    assert response.status_code == 400
    assert "recorded in integration and maintenance" in text(response)
    assert not ParentingArrangement.objects.exists()


# Psychotherapy notes ---------------------------------------------------------------------------


def test_psychotherapy_notes_are_kept_to_their_own_page(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    own_page = text(client.get(reverse("psychotherapy_notes", args=[world.case.pk])))
    assert SECRET in own_page
    for elsewhere in (
        *(section_url(world.case.pk, slug) for slug in SLUGS),
        reverse("appointment_detail", args=[world.session.pk]),
        reverse("appointment_detail", args=[world.visit.pk]),
        reverse("caseload"),
    ):
        page = text(client.get(elsewhere))
        assert "countertransference" not in page, elsewhere
    assert reverse("psychotherapy_notes", args=[world.case.pk]) in case_page(client, world.case)


def test_it_writes_a_psychotherapy_note(client: Client, therapist: User, world: World) -> None:
    login(client, therapist)
    url = reverse("psychotherapy_notes", args=[world.case.pk])

    response = client.post(
        url, {"text": "Second note about my own reactions.", "appointment": world.session.pk}
    )

    assert response.status_code == 302
    note = PsychotherapyNote.objects.get(appointment=world.session)
    assert note.author == therapist
    assert not note.shared_with_supervisor
    event = last_event()
    assert event.action == "psychotherapy_note.create"
    assert "reactions" not in str(event.detail)


def test_an_empty_psychotherapy_note_is_refused(
    client: Client, therapist: User, world: World
) -> None:
    login(client, therapist)

    response = client.post(reverse("psychotherapy_notes", args=[world.case.pk]), {"text": ""})

    assert response.status_code == 400
    assert 'id="id_text_error"' in text(response)
    assert PsychotherapyNote.objects.count() == 1


def test_the_supervisor_sees_a_psychotherapy_note_only_once_shared(
    client: Client, therapist: User, supervisor: User, world: World
) -> None:
    url = reverse("psychotherapy_notes", args=[world.case.pk])
    login(client, supervisor)
    assert SECRET not in text(client.get(url))

    login(client, therapist)
    response = client.post(
        reverse("psychotherapy_note_share", args=[world.pnote.pk]), {"shared": "yes"}
    )
    assert response.status_code == 302
    assert events("psychotherapy_note.share", world.case) == 1

    login(client, supervisor)
    page = text(client.get(url))
    assert SECRET in page
    assert reverse("psychotherapy_note_share", args=[world.pnote.pk]) not in page
    assert 'name="text"' not in page
    assert client.post(url, {"text": "A supervisor's note."}).status_code == 403
    shared_page = text(client.get(reverse("appointment_detail", args=[world.session.pk])))
    assert "countertransference" not in shared_page


def test_another_therapist_never_sees_a_psychotherapy_note(
    client: Client, outsider: User, world: World
) -> None:
    services.psychotherapy_note_share(actor=world.case.therapist, note=world.pnote, shared=True)
    login(client, outsider)

    assert client.get(reverse("psychotherapy_notes", args=[world.case.pk])).status_code == 404
    assert (
        client.post(
            reverse("psychotherapy_note_share", args=[world.pnote.pk]), {"shared": "no"}
        ).status_code
        == 404
    )
    assert "countertransference" not in text(client.get(reverse("caseload")))


# The caseload ----------------------------------------------------------------------------------


def test_the_caseload_shows_held_against_due_and_overdue_checkins(
    client: Client, therapist: User, family: Family, clock: Any
) -> None:
    in_contact(therapist, family)
    climb_to_integration(therapist, family)  # 18 contact visits held on the way up
    transitions.case_advance(actor=therapist, case=family.case)
    clock.move_to(timezone.now() + 3 * 7 * DAY)
    login(client, therapist)

    page = text(client.get(reverse("caseload")))

    row = page.split(reverse("case_detail", args=[family.case.pk]))[1].split("</tr>")[0]
    assert "Mia Rivers: 18 of 19 held" in row
    assert "Laura Rivers: 0 of 1 held" in row
    assert "1 check-in overdue" in row


def test_the_caseload_query_count_does_not_grow_with_the_appointments(
    client: Client, therapist: User, clock: Any
) -> None:
    families = [make_family(therapist, title=f"Family {n}", last=f"N{n}") for n in range(2)]
    for family in families:
        make_appointment(therapist, family)
    login(client, therapist)
    with CaptureQueriesContext(connection) as small:
        client.get(reverse("caseload"))

    for n in range(2, 5):
        family = make_family(therapist, title=f"Family {n}", last=f"N{n}")
        for hours in range(3):
            make_appointment(therapist, family, when=timezone.now() - DAY + (3 * n + hours) * HOUR)
    with CaptureQueriesContext(connection) as large:
        client.get(reverse("caseload"))

    assert len(small.captured_queries) == len(large.captured_queries)


# The case page stays flat as the clinical record grows ------------------------------------------


def _grow(therapist: User, family: Family, clock: Any, count: int) -> None:
    for _ in range(count):
        visit = make_visit(therapist, family, clock=clock, record=facts(7))
        note = make_note(therapist, visit, sign=True)
        services.addendum_add(actor=therapist, note=note, text="Later detail.")
        make_note(therapist, make_appointment(therapist, family))
        assent(therapist, family, rung(family, 2))
        services.appointment_cancel(
            actor=therapist,
            appointment=make_appointment(therapist, family),
            cancelled_by="party",
            party=family.other,
        )
        services.psychotherapy_note_write(actor=therapist, case=family.case, text=SECRET)


def test_the_case_page_query_count_does_not_grow_with_the_clinical_record(
    client: Client, therapist: User, family: Family, clock: Any
) -> None:
    in_contact(therapist, family)
    addresses = [section_url(family.case.pk, slug) for slug in ("sessions", "ladder")]
    _grow(therapist, family, clock, 1)
    login(client, therapist)
    small = []
    for address in addresses:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(address).status_code == 200
        small.append(len(captured.captured_queries))

    _grow(therapist, family, clock, 4)
    login(client, therapist)
    for address, before in zip(addresses, small, strict=True):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(address)
        assert len(captured.captured_queries) == before, address
        assert "countertransference" not in text(response)


def test_the_appointment_page_is_for_the_case_phase_it_is_in(
    client: Client, therapist: User, family: Family
) -> None:
    """A closed case keeps its sessions readable and offers no write form."""
    session = make_appointment(therapist, family, when=now() - 3 * HOUR)
    services.appointment_complete(actor=therapist, appointment=session)
    make_note(therapist, session, sign=True)
    transitions.case_close(
        actor=therapist, case=family.case, outcome="withdrawn", reason="Moved away."
    )
    login(client, therapist)

    page = text(client.get(reverse("appointment_detail", args=[session.pk])))

    assert "Signed and locked" in page
    assert "<form" not in page.split("<main")[1]
    assert fresh(family.case).phase == Phase.CLOSED
