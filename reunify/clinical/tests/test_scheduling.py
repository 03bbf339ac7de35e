"""Scheduling sessions: every type, who may take part, when contact is allowed, and what
happens to a session afterwards (held, rescheduled, cancelled, missed)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from reunify.accounts.models import Role, User
from reunify.audit.models import Event
from reunify.cases.models import CourtOrder, CourtTerm, Intake, Outcome, PartyRole, Phase, TermKind
from reunify.cases.services import TermInput
from reunify.clinical import services
from reunify.clinical.models import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    CancelledBy,
    EarlyEndReason,
    Modality,
)
from reunify.clinical.services import RungInput
from reunify.clinical.tests.factories import (
    DAY,
    HOUR,
    facts,
    held_session,
    in_contact,
    make_appointment,
    make_visit,
    now,
    ready_to_step_up,
    rung,
    stopped_clock,
)
from reunify.conftest import Family, add_party, advance_to, fresh, last_event, make_user
from reunify.process import pausing, transitions
from reunify.process.transitions import case_gate

NON_CONTACT = [
    AppointmentKind.INTAKE,
    AppointmentKind.INDIVIDUAL,
    AppointmentKind.PSYCHOEDUCATION,
    AppointmentKind.FAMILY,
    AppointmentKind.CHECKIN,
    AppointmentKind.COLLATERAL,
]


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


def codes(family: Family) -> set[str]:
    return {r.code for r in case_gate(family.case).reasons}


def schedule(therapist: User, family: Family, kind: str, **overrides: Any) -> Appointment:
    return make_appointment(therapist, family, kind, **overrides)


# --- every type of session ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", NON_CONTACT)
def test_it_schedules_each_kind_of_session(therapist, family, kind):
    attorney = add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Jo", "Lee", represents=family.other
    )
    who = [attorney] if kind == AppointmentKind.COLLATERAL else None
    starts = now() + 3 * DAY

    appointment = schedule(
        therapist,
        family,
        kind,
        when=starts,
        participants=who,
        duration_minutes=45,
        modality=Modality.TELEHEALTH,
        location="  Video room 2 ",
    )

    appointment = Appointment.objects.get(pk=appointment.pk)
    assert appointment.kind == kind
    assert appointment.starts_at == starts
    assert appointment.duration_minutes == 45
    assert appointment.modality == Modality.TELEHEALTH
    assert appointment.location == "Video room 2"
    assert appointment.status == AppointmentStatus.SCHEDULED
    assert appointment.therapist == therapist
    assert appointment.rung is None and appointment.monitor is None
    expected = who or (
        [family.estranged]
        if kind in (AppointmentKind.INTAKE, AppointmentKind.INDIVIDUAL)
        else [family.child, family.estranged, family.other]
    )
    assert set(appointment.participants.all()) == set(expected)
    event = last_event()
    assert (event.action, event.object_id) == ("appointment.schedule", str(appointment.pk))
    assert event.detail["kind"] == kind and event.detail["rung"] is None


def test_it_schedules_a_supervised_contact_visit_on_the_current_rung(therapist, family, monitor):
    in_contact(therapist, family)

    visit = make_visit(therapist, family, monitor=monitor)

    assert visit.kind == AppointmentKind.CONTACT_SUPERVISED
    assert visit.rung == rung(family, 1)
    assert visit.monitor == monitor
    assert set(visit.participants.all()) == {family.child, family.estranged}
    assert last_event().detail["rung"] == 1


def test_it_schedules_an_unsupervised_visit_once_the_ladder_reaches_an_unsupervised_rung(
    therapist, family, clock
):
    in_contact(therapist, family)
    services.ladder_configure(
        actor=therapist,
        case=family.case,
        rungs_above=[RungInput("Afternoon at the park", supervised=False, in_therapy=False)],
    )
    ready_to_step_up(therapist, family, clock)
    services.ladder_step_up(actor=therapist, case=family.case)

    visit = make_visit(therapist, family)

    assert visit.kind == AppointmentKind.CONTACT_UNSUPERVISED
    assert visit.rung.name == "Afternoon at the park"


# --- who takes part ----------------------------------------------------------------------------


def test_a_participant_from_another_case_is_refused(therapist, family, other_family):
    with pytest.raises(ValidationError, match="does not belong to this case"):
        schedule(therapist, family, AppointmentKind.INDIVIDUAL, participants=[other_family.child])
    assert not Appointment.objects.exists()


def test_a_session_needs_a_participant(therapist, family):
    with pytest.raises(ValidationError, match="at least one participant"):
        schedule(therapist, family, AppointmentKind.FAMILY, participants=[])


def test_an_intake_is_held_with_one_party_at_a_time(therapist, family):
    with pytest.raises(ValidationError, match="one party at a time"):
        schedule(
            therapist,
            family,
            AppointmentKind.INTAKE,
            participants=[family.estranged, family.other],
        )
    assert not Appointment.objects.exists()


def test_an_intake_is_held_with_a_family_member_not_a_professional(therapist, family):
    attorney = add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Jo", "Lee", represents=family.other
    )
    with pytest.raises(ValidationError, match="family members"):
        schedule(therapist, family, AppointmentKind.INTAKE, participants=[attorney])
    assert not Appointment.objects.exists()


def test_a_completed_intake_counts_for_the_assessment_gate(therapist, family, clock):
    assert f"no_intake_{family.estranged.pk}" in codes(family)

    appointment = held_session(therapist, family, clock, AppointmentKind.INTAKE)

    intake = Intake.objects.get(case=family.case)
    assert intake.party == family.estranged
    assert intake.appointment_id == appointment.pk
    assert intake.held_on == timezone.localdate(appointment.starts_at)
    remaining = codes(family)
    assert f"no_intake_{family.estranged.pk}" not in remaining
    assert f"no_intake_{family.other.pk}" in remaining
    assert f"no_intake_{family.child.pk}" in remaining
    assert Event.objects.filter(action="intake.record", case_id=family.case.pk).count() == 1


def test_other_sessions_record_no_intake(therapist, family, clock):
    held_session(therapist, family, clock, AppointmentKind.INDIVIDUAL)
    assert not Intake.objects.exists()


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"kind": "massage"}, "Unknown session type"),
        ({"modality": "carrier pigeon"}, "Unknown modality"),
        ({"when": dt.datetime(2030, 6, 5, 10, 0)}, "needs a time zone"),  # noqa: DTZ001
        ({"duration_minutes": 4}, "between 5 and 600"),
        ({"duration_minutes": 601}, "between 5 and 600"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(therapist, family, overrides, message):
    kind = overrides.pop("kind", AppointmentKind.INDIVIDUAL)
    with pytest.raises(ValidationError, match=message):
        schedule(therapist, family, kind, **overrides)
    assert not Appointment.objects.exists()


def test_only_contact_visits_have_a_rung_or_a_monitor(therapist, family, monitor):
    ladder = in_contact(therapist, family)
    with pytest.raises(ValidationError, match="Only contact visits"):
        schedule(therapist, family, AppointmentKind.FAMILY, monitor=monitor)
    with pytest.raises(ValidationError, match="Only contact visits"):
        schedule(therapist, family, AppointmentKind.FAMILY, rung=ladder.current_rung)


def test_a_visit_monitor_must_be_an_active_monitor(therapist, family, supervisor):
    in_contact(therapist, family)
    with pytest.raises(ValidationError, match="not an active visit monitor"):
        make_visit(therapist, family, monitor=supervisor)
    retired = make_user("retired_monitor", Role.MONITOR)
    User.objects.filter(pk=retired.pk).update(is_active=False)
    retired.refresh_from_db()
    with pytest.raises(ValidationError, match="not an active visit monitor"):
        make_visit(therapist, family, monitor=retired)


# --- when contact visits are refused -------------------------------------------------------------


def contact(therapist: User, family: Family, **overrides: Any) -> Appointment:
    fields: dict[str, Any] = {"participants": [family.child, family.estranged]}
    fields.update(overrides)
    return schedule(therapist, family, AppointmentKind.CONTACT_SUPERVISED, **fields)


@pytest.mark.parametrize("phase", [Phase.ASSESSMENT, Phase.PSYCHOEDUCATION, Phase.INDIVIDUAL_WORK])
def test_contact_visits_wait_for_therapeutic_contact(therapist, family, phase):
    advance_to(therapist, family, phase)
    with pytest.raises(ValidationError, match="only once the case is in therapeutic contact"):
        contact(therapist, family)
    assert not Appointment.objects.exists()


def test_contact_visits_are_refused_on_a_paused_case(therapist, family):
    in_contact(therapist, family)
    transitions.case_pause(actor=therapist, case=family.case, reason="the child is unwell")

    with pytest.raises(ValidationError, match="paused"):
        contact(therapist, family)
    assert not Appointment.objects.exists()


def test_contact_visits_are_refused_above_the_current_rung(therapist, family):
    in_contact(therapist, family)
    with pytest.raises(ValidationError, match="above the current rung"):
        contact(therapist, family, rung=rung(family, 2))


def test_a_rung_of_another_case_is_refused(therapist, family, outsider, other_family):
    in_contact(therapist, family)
    in_contact(outsider, other_family)
    with pytest.raises(ValidationError, match="another case's ladder"):
        contact(therapist, family, rung=rung(other_family, 1))


def test_a_supervised_rung_is_scheduled_as_supervised_contact(therapist, family):
    in_contact(therapist, family)
    with pytest.raises(ValidationError, match="is supervised contact"):
        schedule(
            therapist,
            family,
            AppointmentKind.CONTACT_UNSUPERVISED,
            participants=[family.child, family.estranged],
        )


@pytest.mark.parametrize("who", [["child"], ["estranged"], ["child", "other"]])
def test_a_contact_visit_needs_the_child_and_the_estranged_parent(therapist, family, who):
    in_contact(therapist, family)
    with pytest.raises(ValidationError, match="the child and the estranged parent"):
        contact(therapist, family, participants=[getattr(family, w) for w in who])


def test_a_no_contact_order_pauses_the_case_and_refuses_contact_visits(therapist, family):
    in_contact(therapist, family)
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=timezone.localdate(),
        terms=[TermInput(kind=TermKind.NO_CONTACT)],
    )

    with pytest.raises(ValidationError, match="paused"):
        contact(therapist, family)


def test_a_no_contact_term_in_force_refuses_contact_even_on_an_unpaused_case(therapist, family):
    # The pause is the first line; the scheduling check stands on its own behind it.
    in_contact(therapist, family)
    order = CourtOrder.objects.create(
        case=family.case,
        number=1,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=timezone.localdate(),
        recorded_at=timezone.now(),
    )
    CourtTerm.objects.create(order=order, kind=TermKind.NO_CONTACT)
    assert not fresh(family.case).is_paused

    with pytest.raises(ValidationError, match="court term forbids it: court order 1 forbids"):
        contact(therapist, family)


def test_a_supervised_only_term_allows_supervised_visits(therapist, family):
    in_contact(therapist, family)
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=timezone.localdate(),
        terms=[
            TermInput(kind=TermKind.SUPERVISED_UNTIL, until=timezone.localdate() + 90 * DAY),
            TermInput(kind=TermKind.THERAPEUTIC_ONLY),
        ],
    )
    assert contact(therapist, family).status == AppointmentStatus.SCHEDULED


# --- rescheduling, cancelling, missing --------------------------------------------------------


def test_it_reschedules_and_logs_from_and_to(therapist, family):
    appointment = schedule(therapist, family, AppointmentKind.INDIVIDUAL)
    before = appointment.starts_at
    later = before + 2 * DAY

    services.appointment_reschedule(
        actor=therapist, appointment=appointment, starts_at=later, duration_minutes=80
    )

    appointment.refresh_from_db()
    assert (appointment.starts_at, appointment.duration_minutes) == (later, 80)
    event = last_event()
    assert event.action == "appointment.reschedule"
    assert dt.datetime.fromisoformat(event.detail["from"]) == before
    assert dt.datetime.fromisoformat(event.detail["to"]) == later


def test_rescheduling_refuses_a_naive_time_or_a_bad_length(therapist, family):
    appointment = schedule(therapist, family, AppointmentKind.INDIVIDUAL)
    with pytest.raises(ValidationError, match="time zone"):
        services.appointment_reschedule(
            actor=therapist,
            appointment=appointment,
            starts_at=dt.datetime(2030, 7, 1, 9, 0),  # noqa: DTZ001
        )
    with pytest.raises(ValidationError, match="between 5 and 600"):
        services.appointment_reschedule(
            actor=therapist,
            appointment=appointment,
            starts_at=appointment.starts_at + DAY,
            duration_minutes=2,
        )
    assert Appointment.objects.get(pk=appointment.pk).starts_at == appointment.starts_at


def test_a_held_contact_visit_stays_held_while_the_case_is_paused(therapist, family):
    in_contact(therapist, family)
    visit = make_visit(therapist, family)
    transitions.case_pause(actor=therapist, case=family.case, reason="the child is unwell")
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.HELD

    with pytest.raises(ValidationError, match="paused"):
        services.appointment_reschedule(
            actor=therapist, appointment=visit, starts_at=visit.starts_at + DAY
        )
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.HELD


def test_a_visit_held_by_a_step_down_cannot_be_rescheduled_above_the_rung(therapist, family, clock):
    in_contact(therapist, family)
    ready_to_step_up(therapist, family, clock)
    services.ladder_step_up(actor=therapist, case=family.case)
    visit = make_visit(therapist, family)
    services.ladder_step_down(
        actor=therapist, case=family.case, on_word_of="child", reason="Mia asked to slow down."
    )
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.HELD

    with pytest.raises(ValidationError, match="above the current rung"):
        services.appointment_reschedule(
            actor=therapist, appointment=visit, starts_at=visit.starts_at + DAY
        )
    assert Appointment.objects.get(pk=visit.pk).status == AppointmentStatus.HELD


def test_a_party_cancels_with_notice(therapist, family, clock):
    appointment = schedule(therapist, family, AppointmentKind.INDIVIDUAL, when=now() + 3 * DAY)

    services.appointment_cancel(
        actor=therapist,
        appointment=appointment,
        cancelled_by=CancelledBy.PARTY,
        party=family.estranged,
        note=" Car trouble. ",
    )

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.CANCELLED
    assert appointment.cancelled_by == CancelledBy.PARTY
    assert appointment.cancelled_by_party == family.estranged
    assert appointment.cancelled_at == timezone.now()
    assert appointment.notice_hours == 72
    assert not appointment.late_cancellation
    assert appointment.status_note == "Car trouble."
    event = last_event()
    assert event.action == "appointment.cancel"
    assert event.detail == {"by": "party", "party": family.estranged.pk, "notice_hours": 72}


def test_a_cancellation_less_than_a_day_ahead_is_late(therapist, family, clock):
    appointment = schedule(therapist, family, AppointmentKind.INDIVIDUAL, when=now() + 3 * DAY)
    clock.move_to(appointment.starts_at - 10 * HOUR)

    services.appointment_cancel(
        actor=therapist, appointment=appointment, cancelled_by=CancelledBy.PARTY, party=family.other
    )

    appointment.refresh_from_db()
    assert appointment.notice_hours == 10
    assert appointment.late_cancellation


@pytest.mark.parametrize("by", [CancelledBy.THERAPIST, CancelledBy.COURT])
def test_the_therapist_or_the_court_cancels_without_naming_a_party(therapist, family, by):
    appointment = schedule(therapist, family, AppointmentKind.FAMILY)
    with pytest.raises(ValidationError, match="Only a cancellation by a party"):
        services.appointment_cancel(
            actor=therapist, appointment=appointment, cancelled_by=by, party=family.child
        )

    services.appointment_cancel(actor=therapist, appointment=appointment, cancelled_by=by)

    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == (AppointmentStatus.CANCELLED, by)
    assert appointment.cancelled_by_party is None


def test_a_cancellation_by_a_party_names_a_party_of_this_case(therapist, family, other_family):
    appointment = schedule(therapist, family, AppointmentKind.FAMILY)
    with pytest.raises(ValidationError, match="Name the party"):
        services.appointment_cancel(
            actor=therapist, appointment=appointment, cancelled_by=CancelledBy.PARTY
        )
    with pytest.raises(ValidationError, match="does not belong to this case"):
        services.appointment_cancel(
            actor=therapist,
            appointment=appointment,
            cancelled_by=CancelledBy.PARTY,
            party=other_family.other,
        )
    with pytest.raises(ValidationError, match="Unknown canceller"):
        services.appointment_cancel(actor=therapist, appointment=appointment, cancelled_by="fate")
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED


def test_a_no_show_names_who_did_not_come(therapist, family, clock):
    appointment = schedule(therapist, family, AppointmentKind.FAMILY)
    with pytest.raises(ValidationError, match="not started yet"):
        services.appointment_no_show(actor=therapist, appointment=appointment, party=family.other)
    clock.move_to(appointment.starts_at + HOUR)

    services.appointment_no_show(
        actor=therapist, appointment=appointment, party=family.other, note="No answer by phone."
    )

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW
    assert appointment.no_show_party == family.other
    assert appointment.status_note == "No answer by phone."
    assert last_event().detail == {"party": family.other.pk}


def test_a_no_show_is_someone_who_was_expected(therapist, family, other_family, clock):
    appointment = schedule(
        therapist, family, AppointmentKind.INDIVIDUAL, participants=[family.child]
    )
    clock.move_to(appointment.starts_at + HOUR)
    with pytest.raises(ValidationError, match="was not expected"):
        services.appointment_no_show(actor=therapist, appointment=appointment, party=family.other)
    with pytest.raises(ValidationError, match="does not belong"):
        services.appointment_no_show(
            actor=therapist, appointment=appointment, party=other_family.child
        )


def test_a_session_is_completed_only_after_it_starts(therapist, family, clock):
    appointment = schedule(therapist, family, AppointmentKind.INDIVIDUAL)
    with pytest.raises(ValidationError, match="not started yet"):
        services.appointment_complete(actor=therapist, appointment=appointment)
    assert Appointment.objects.get(pk=appointment.pk).status == AppointmentStatus.SCHEDULED

    clock.move_to(appointment.starts_at)
    services.appointment_complete(actor=therapist, appointment=appointment, note="Went well.")

    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.COMPLETED
    assert appointment.was_held
    assert last_event().action == "appointment.complete"


def test_a_contact_visit_is_completed_by_recording_it(therapist, family, clock):
    in_contact(therapist, family)
    visit = make_visit(therapist, family)
    clock.move_to(visit.starts_at + HOUR)
    with pytest.raises(ValidationError, match="completed by recording it"):
        services.appointment_complete(actor=therapist, appointment=visit)


def finish(how: str, therapist: User, family: Family, appointment: Appointment) -> None:
    if how == "completed":
        services.appointment_complete(actor=therapist, appointment=appointment)
    elif how == "cancelled":
        services.appointment_cancel(
            actor=therapist, appointment=appointment, cancelled_by=CancelledBy.THERAPIST
        )
    else:
        services.appointment_no_show(actor=therapist, appointment=appointment, party=family.child)


@pytest.mark.parametrize("how", ["completed", "cancelled", "no_show"])
def test_a_finished_sessions_outcome_cannot_be_changed(therapist, family, clock, how):
    appointment = schedule(therapist, family, AppointmentKind.FAMILY)
    clock.move_to(appointment.starts_at + HOUR)
    finish(how, therapist, family, appointment)
    appointment = Appointment.objects.get(pk=appointment.pk)
    status = appointment.status
    events = Event.objects.count()

    for again in ("completed", "cancelled", "no_show"):
        with pytest.raises(ValidationError, match="its outcome cannot be changed"):
            finish(again, therapist, family, appointment)
    with pytest.raises(ValidationError, match="its outcome cannot be changed"):
        services.appointment_reschedule(
            actor=therapist, appointment=appointment, starts_at=appointment.starts_at + DAY
        )

    assert Appointment.objects.get(pk=appointment.pk).status == status
    assert Event.objects.count() == events


def test_a_recorded_visit_cannot_be_cancelled_afterwards(therapist, family, clock):
    in_contact(therapist, family)
    visit = make_visit(
        therapist,
        family,
        clock=clock,
        record=facts(ended_early_reason=EarlyEndReason.ACUTE_DISTRESS),
    )
    assert visit.status == AppointmentStatus.ENDED_EARLY
    with pytest.raises(ValidationError, match="ended early; its outcome cannot be changed"):
        services.appointment_cancel(
            actor=therapist, appointment=visit, cancelled_by=CancelledBy.THERAPIST
        )


# --- a closed case -----------------------------------------------------------------------------


def test_a_closed_case_refuses_every_scheduling_change(therapist, family, clock):
    appointment = schedule(therapist, family, AppointmentKind.FAMILY)
    transitions.case_close(
        actor=therapist, case=family.case, outcome=Outcome.WITHDRAWN, reason="Family moved away."
    )
    clock.move_to(appointment.starts_at + HOUR)
    appointment = Appointment.objects.get(pk=appointment.pk)
    case = fresh(family.case)
    events = Event.objects.count()

    attempts = [
        lambda: services.appointment_schedule(
            actor=therapist,
            case=case,
            kind=AppointmentKind.FAMILY,
            starts_at=now() + DAY,
            participants=[family.child],
        ),
        lambda: services.appointment_reschedule(
            actor=therapist, appointment=appointment, starts_at=now() + DAY
        ),
        lambda: services.appointment_cancel(
            actor=therapist, appointment=appointment, cancelled_by=CancelledBy.THERAPIST
        ),
        lambda: services.appointment_complete(actor=therapist, appointment=appointment),
        lambda: services.appointment_no_show(
            actor=therapist, appointment=appointment, party=family.child
        ),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationError, match="closed"):
            attempt()

    assert Appointment.objects.count() == 1
    assert Appointment.objects.get().status == AppointmentStatus.SCHEDULED
    assert Event.objects.count() == events


def test_another_therapist_cannot_schedule_on_the_case(outsider, family):
    with pytest.raises(Http404):
        schedule(outsider, family, AppointmentKind.INDIVIDUAL)
    assert not Appointment.objects.exists()
