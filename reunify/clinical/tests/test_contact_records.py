"""Recording a contact visit: facts not opinions, the child's comfort, the monitor's narrow
access, and a safety concern that pauses the case at once."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reunify import access
from reunify.accounts.models import Role, User
from reunify.audit.models import Event
from reunify.cases.models import ResumeConditions
from reunify.clinical import services
from reunify.clinical.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CancelledBy,
    ContactRecord,
    EarlyEndReason,
)
from reunify.clinical.selectors import appointment_get, monitor_visits
from reunify.clinical.services import OpinionWarning, opinion_words
from reunify.clinical.tests.factories import (
    DAP,
    DAY,
    HOUR,
    facts,
    in_contact,
    make_appointment,
    make_visit,
    paused,
    stopped_clock,
)
from reunify.conftest import Family, fresh, last_event, make_user, screen
from reunify.process import pausing, transitions


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def contact(therapist: User, family: Family) -> Family:
    in_contact(therapist, family)
    return family


@pytest.fixture
def visit(therapist: User, contact: Family, monitor: User, clock: Any) -> Appointment:
    """A monitored visit on the first rung whose time has come."""
    appointment = make_visit(therapist, contact, monitor=monitor)
    clock.move_to(appointment.starts_at + 2 * HOUR)
    return appointment


def record(actor: User, visit: Appointment, **overrides: Any) -> ContactRecord:
    confirm = overrides.pop("confirm_facts", False)
    return pausing.contact_record(
        actor=actor, appointment=visit, facts=facts(**overrides), confirm_facts=confirm
    )


# --- what is recorded ----------------------------------------------------------------------


def test_the_therapist_records_a_visit_in_facts(therapist, contact, visit):
    saved = record(
        therapist,
        visit,
        comfort=7,
        comfort_after=9,
        brought_by=contact.other,
        observers=" Ms. Park (intern) ",
        critical_incidents="",
        duration_minutes=55,
    )

    saved = ContactRecord.objects.get(pk=saved.pk)
    assert (saved.comfort_before, saved.comfort_after, saved.lowest_comfort) == (7, 9, 7)
    assert (saved.brought_by, saved.observers, saved.duration_minutes) == (
        contact.other,
        "Ms. Park (intern)",
        55,
    )
    assert (saved.recorded_by, saved.recorded_at) == (therapist, timezone.now())
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.COMPLETED
    event = last_event()
    assert (event.action, event.object_id) == ("contact.record", str(saved.pk))
    assert event.detail == {
        "appointment": visit.pk,
        "comfort": [7, 9],
        "ended_early": "",
        "safety_concern": False,
        "opinion_words_confirmed": [],
    }


def test_a_visit_ended_early_says_why(therapist, visit):
    record(therapist, visit, ended_early_reason=EarlyEndReason.IMMINENT_HARM, duration_minutes=12)

    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.ENDED_EARLY
    assert visit.ended_early_reason == EarlyEndReason.IMMINENT_HARM
    assert last_event().detail["ended_early"] == "imminent_harm"
    # Ending a visit ends the visit, not the service.
    assert fresh(visit.case).phase == "therapeutic_contact"


@pytest.mark.parametrize(("before", "after"), [(0, 10), (10, 0)])
def test_comfort_runs_from_zero_to_ten(therapist, visit, before, after):
    saved = record(therapist, visit, comfort_before=before, comfort_after=after)
    assert saved.lowest_comfort == 0


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"comfort_before": -1}, "comfort before the visit is rated 0 to 10"),
        ({"comfort_before": 11}, "comfort before the visit is rated 0 to 10"),
        ({"comfort_after": 11}, "comfort after the visit is rated 0 to 10"),
        ({"duration_minutes": 0}, "how long the visit lasted"),
        ({"ended_early_reason": "boredom"}, "Unknown reason for ending early"),
        ({"safety_concern": True, "safety_concern_note": "  "}, "Describe the safety concern"),
    ],
)
def test_bad_facts_are_refused_and_nothing_is_saved(therapist, visit, overrides, message):
    with pytest.raises(ValidationError, match=message):
        record(therapist, visit, **overrides)
    assert not ContactRecord.objects.exists()
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.SCHEDULED
    assert not paused(visit.case)


def test_the_person_who_brought_the_child_belongs_to_the_case(therapist, visit, other_family):
    with pytest.raises(ValidationError, match="brought the child does not belong"):
        record(therapist, visit, brought_by=other_family.other)


def test_a_visit_is_recorded_once(therapist, visit):
    record(therapist, visit)
    for appointment in (visit, Appointment.objects.get(pk=visit.pk)):
        with pytest.raises(ValidationError, match="already"):
            record(therapist, appointment, comfort=2)
    assert ContactRecord.objects.get().comfort_before == 8


def test_a_held_visit_is_not_recorded_until_it_is_rescheduled(therapist, contact, clock):
    upcoming = make_visit(therapist, contact)
    transitions.case_pause(actor=therapist, case=contact.case, reason="Court hearing pending.")
    assert Appointment.objects.get(pk=upcoming.pk).status == AppointmentStatus.HELD
    clock.move_to(upcoming.starts_at + 2 * HOUR)
    with pytest.raises(ValidationError, match="held"):
        record(therapist, Appointment.objects.get(pk=upcoming.pk))
    assert not ContactRecord.objects.exists()


def test_a_visit_is_recorded_once_it_has_started(therapist, contact):
    upcoming = make_visit(therapist, contact)
    with pytest.raises(ValidationError, match="not started yet"):
        record(therapist, upcoming)


def test_a_cancelled_visit_or_another_session_has_no_contact_record(therapist, contact, clock):
    cancelled = make_visit(therapist, contact)
    services.appointment_cancel(
        actor=therapist, appointment=cancelled, cancelled_by=CancelledBy.PARTY, party=contact.other
    )
    session = make_appointment(therapist, contact, AppointmentKind.FAMILY)
    clock.move_to(session.starts_at + HOUR)

    with pytest.raises(ValidationError, match="already cancelled"):
        record(therapist, cancelled)
    with pytest.raises(ValidationError, match="Only a contact visit"):
        record(therapist, session)


# --- facts, not opinions -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "caught"),
    [
        ("Laura said Daniel should have custody of Mia.", "should have custody"),
        ("I recommend more visits.", "recommend"),
        ("Mother wants sole custody.", "sole custody"),
        ("He is clearly the better parent.", "better parent"),
        ("Longer visits are in the best interest of Mia.", "in the best interest"),
        ("Longer visits are in the child's best interests.", "in the child's best interests"),
        # Phones and word processors type a curly apostrophe.
        (
            "Longer visits are in the child\u2019s best interest.",
            "in the child\u2019s best interest",
        ),
        ("He is an UNFIT father.", "UNFIT"),
        ("Mia should live with her father.", "should live with"),
    ],
)
def test_opinion_words_are_caught(text, caught):
    assert caught in opinion_words(text)


@pytest.mark.parametrize(
    "text",
    [
        "Daniel arrived at 15:02. Mia hugged him and showed him her drawing.",
        "Mia said: 'I want to see Dad again next week.' Daniel cried briefly.",
        "The custody exchange happened in the lobby without incident.",
        "Laura's parenting plan was not discussed.",
    ],
)
def test_factual_text_goes_through(text):
    assert opinion_words(text) == []


def test_an_opinion_is_refused_with_the_words_and_nothing_is_saved(monitor, visit):
    with pytest.raises(OpinionWarning) as warned:
        record(
            monitor,
            visit,
            observations="Daniel is the better parent.",
            critical_incidents="I recommend unsupervised time.",
        )

    assert warned.value.phrases == ["recommend", "better parent"]
    assert "“better parent”" in warned.value.messages[0]
    assert "Monitors record facts" in warned.value.messages[0]
    assert isinstance(warned.value, ValidationError)
    assert not ContactRecord.objects.exists()
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.SCHEDULED


def test_confirmed_quotes_are_saved_and_the_words_logged(monitor, visit):
    quote = "Laura shouted: 'I will get sole custody!' Mia covered her ears."

    saved = record(monitor, visit, observations=quote, confirm_facts=True)

    assert ContactRecord.objects.get(pk=saved.pk).observations == quote
    assert last_event().detail["opinion_words_confirmed"] == ["sole custody"]


# --- the monitor ----------------------------------------------------------------------------


def test_the_assigned_monitor_records_the_visit(monitor, visit):
    assert appointment_get(monitor, visit.pk, access.Action.RECORD) == visit
    assert list(monitor_visits(monitor)) == [visit]

    saved = record(monitor, visit)

    assert saved.recorded_by == monitor
    event = last_event()
    assert (event.actor, event.action) == (monitor, "contact.record")


def test_a_monitor_not_assigned_to_the_visit_gets_404(therapist, contact, visit):
    stranger = make_user("othermonitor", Role.MONITOR)
    with pytest.raises(Http404):
        appointment_get(stranger, visit.pk, access.Action.VIEW)
    with pytest.raises(Http404):
        record(stranger, visit)
    assert not ContactRecord.objects.exists()
    assert list(monitor_visits(stranger)) == []


def test_a_monitor_sees_only_their_own_visits(therapist, contact, monitor, visit):
    unmonitored = make_visit(therapist, contact)
    with pytest.raises(Http404):
        appointment_get(monitor, unmonitored.pk, access.Action.VIEW)
    assert appointment_get(monitor, visit.pk, access.Action.VIEW) == visit


def test_a_monitor_can_do_nothing_else_on_the_case(therapist, contact, monitor, visit):
    case = contact.case
    with pytest.raises(PermissionDenied):
        appointment_get(monitor, visit.pk, access.Action.EDIT)
    refused = [
        lambda: services.appointment_schedule(
            actor=monitor,
            case=case,
            kind=AppointmentKind.CONTACT_SUPERVISED,
            starts_at=timezone.now() + DAY,
            participants=[contact.child, contact.estranged],
        ),
        lambda: services.appointment_cancel(
            actor=monitor, appointment=visit, cancelled_by=CancelledBy.THERAPIST
        ),
        lambda: services.appointment_no_show(
            actor=monitor, appointment=visit, party=contact.estranged
        ),
        lambda: services.appointment_reschedule(
            actor=monitor, appointment=visit, starts_at=visit.starts_at + DAY
        ),
        lambda: pausing.note_write(actor=monitor, appointment=visit, format="dap", body=DAP),
        lambda: services.psychotherapy_note_write(actor=monitor, case=case, text="Hm."),
        lambda: services.ladder_step_up(actor=monitor, case=case),
        lambda: services.ladder_step_down(
            actor=monitor, case=case, on_word_of="child", reason="Mia cried."
        ),
        lambda: transitions.case_pause(actor=monitor, case=case, reason="worried"),
    ]
    events = Event.objects.count()
    for attempt in refused:
        with pytest.raises((Http404, PermissionDenied)):
            attempt()
    assert Event.objects.count() == events
    assert not access.can(monitor, access.Action.VIEW, case)
    assert not access.cases_for(monitor).exists()
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.SCHEDULED


def test_a_monitor_does_not_record_a_visit_of_a_closed_case(therapist, monitor, visit):
    transitions.case_close(
        actor=therapist, case=visit.case, outcome="withdrawn", reason="Family moved."
    )
    with pytest.raises(ValidationError, match="closed"):
        record(monitor, Appointment.objects.get(pk=visit.pk))


# --- a safety concern pauses the case at once ---------------------------------------------------


def test_a_safety_concern_pauses_the_case_and_holds_upcoming_visits(
    therapist, contact, monitor, visit
):
    later = [make_visit(therapist, contact, monitor=monitor) for _ in range(2)]
    individual = make_appointment(therapist, contact, AppointmentKind.INDIVIDUAL)

    record(
        monitor,
        visit,
        safety_concern=True,
        safety_concern_note="Daniel threatened to take Mia away.",
    )

    case = fresh(contact.case)
    assert case.is_paused
    assert case.paused_at == timezone.now()
    assert case.pause_reason == (
        f"safety concern raised in the contact visit of {timezone.localdate(visit.starts_at)}: "
        "Daniel threatened to take Mia away."
    )
    for held in later:
        held.refresh_from_db()
        assert held.status == AppointmentStatus.HELD
        assert held.status_note.startswith("case paused: safety concern")
    individual.refresh_from_db()
    assert individual.status == AppointmentStatus.SCHEDULED
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.COMPLETED
    hold = last_event()
    assert hold.action == "appointment.hold"
    assert sorted(hold.detail["appointments"]) == sorted(a.pk for a in later)
    pause = Event.objects.get(action="case.pause", case_id=case.pk)
    assert pause.actor == monitor
    assert case.transitions.filter(kind="pause").count() == 1


def test_after_a_concern_no_contact_visit_is_scheduled_until_the_case_resumes(
    therapist, contact, visit, clock
):
    record(therapist, visit, safety_concern=True, safety_concern_note="Threat.")

    with pytest.raises(ValidationError, match="paused"):
        make_visit(therapist, contact)
    with pytest.raises(ValidationError, match="fresh safety screen"):
        transitions.case_resume(
            actor=therapist, case=contact.case, conditions=[ResumeConditions.LEGAL_INTERVENTION]
        )

    clock.shift(HOUR)
    screen(therapist, contact.case)
    transitions.case_resume(
        actor=therapist, case=contact.case, conditions=[ResumeConditions.LEGAL_INTERVENTION]
    )
    assert make_visit(therapist, contact).status == AppointmentStatus.SCHEDULED


def test_a_concern_on_an_already_paused_case_does_not_pause_it_twice(therapist, contact, visit):
    transitions.case_pause(actor=therapist, case=contact.case, reason="holiday")
    record(therapist, visit, safety_concern=True, safety_concern_note="Threat.")
    case = fresh(contact.case)
    assert case.pause_reason == "holiday"
    assert case.transitions.filter(kind="pause").count() == 1
