"""The contact ladder: its default rungs, every reason the way up is closed, stepping up and
down, and the therapist's settings."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Phase, ResumeConditions, TermKind
from reunify.cases.services import TermInput
from reunify.clinical import services
from reunify.clinical.models import AppointmentStatus, EarlyEndReason, Ladder, LadderStep
from reunify.clinical.services import RungInput, ladder_gate_for
from reunify.clinical.tests.factories import (
    DAY,
    HOUR,
    START,
    assent,
    climb_to,
    facts,
    in_contact,
    ladder_of,
    make_visit,
    ready_to_step_up,
    rung,
    stopped_clock,
)
from reunify.conftest import Family, advance_to, climb_to_integration, last_event, screen
from reunify.process import pausing, transitions
from reunify.process.gates import Gate, GateClosed
from reunify.process.ladder import DEFAULT_RUNGS


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def contact(therapist: User, family: Family) -> Family:
    in_contact(therapist, family)
    return family


def gate(family: Family) -> Gate:
    return ladder_gate_for(family.case)


def codes(family: Family) -> set[str]:
    return {r.code for r in gate(family).reasons}


def visit(therapist: User, family: Family, clock: Any, **overrides: Any) -> Any:
    comfort = overrides.pop("comfort", 8)
    return make_visit(therapist, family, clock=clock, record=facts(comfort, **overrides))


def order(therapist: User, family: Family, *terms: TermInput) -> None:
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=timezone.localdate(),
        terms=list(terms),
    )


def resume(therapist: User, family: Family) -> None:
    screen(therapist, family.case)
    transitions.case_resume(
        actor=therapist,
        case=family.case,
        conditions=[ResumeConditions.FAMILY_STABILISATION],
    )


# --- the ladder starts ------------------------------------------------------------------------


def test_entering_therapeutic_contact_starts_the_ladder_on_its_default_rungs(therapist, family):
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    assert not Ladder.objects.filter(case=family.case).exists()

    ladder = in_contact(therapist, family)

    rungs = list(ladder.rungs.order_by("position"))
    assert [(r.position, r.name, r.supervised, r.in_therapy) for r in rungs] == [
        (i, *rung_) for i, rung_ in enumerate(DEFAULT_RUNGS, start=1)
    ]
    assert ladder.current_rung == rungs[0]
    assert (ladder.min_sessions, ladder.min_comfort) == (3, 6)
    assert ladder.rung_entered_at == timezone.now()
    start = LadderStep.objects.get(ladder=ladder)
    assert (start.direction, start.to_rung, start.actor) == ("start", rungs[0], therapist)
    assert Event.objects.filter(action="ladder.start", case_id=family.case.pk).count() == 1


def test_a_new_ladder_is_closed_for_want_of_visits_and_assent(therapist, contact):
    result = gate(contact)
    assert (result.phase, result.next_phase) == (
        "Letters and messages",
        "Short supervised visit in the office",
    )
    assert codes(contact) == {"too_few_visits", f"no_assent_{contact.child.pk}"}
    assert (
        "0 of 3 consecutive completed contact visits on 'Letters and messages'"
        in (result.texts()[0])
    )


# --- every reason the way up is closed, and how it opens ----------------------------------------


def test_three_calm_visits_and_the_childs_yes_open_the_way_up(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock)
    assert gate(contact).is_open

    step = services.ladder_step_up(actor=therapist, case=contact.case, rationale=" Calm visits. ")

    ladder = ladder_of(contact)
    assert ladder.current_rung == rung(contact, 2)
    assert ladder.rung_entered_at == timezone.now()
    assert (step.direction, step.from_rung, step.to_rung) == (
        "up",
        rung(contact, 1),
        rung(contact, 2),
    )
    assert (step.on_word_of, step.reason, step.actor) == ("therapist", "Calm visits.", therapist)
    event = last_event()
    assert event.action == "ladder.step_up"
    assert event.detail == {
        "from": 1,
        "to": 2,
        "on_word_of": "therapist",
        "reason": "Calm visits.",
        "effective_on": str(timezone.localdate()),
    }


def test_fewer_visits_than_the_minimum_keep_it_closed(therapist, contact, clock):
    assent(therapist, contact, rung(contact, 2))
    visit(therapist, contact, clock)
    visit(therapist, contact, clock)
    assert codes(contact) == {"too_few_visits"}
    assert "2 of 3 consecutive" in gate(contact).texts()[0]

    visit(therapist, contact, clock)
    assert gate(contact).is_open


def test_visits_still_scheduled_cancelled_or_missed_do_not_count(therapist, contact, clock):
    assent(therapist, contact, rung(contact, 2))
    visit(therapist, contact, clock)
    visit(therapist, contact, clock)
    cancelled = make_visit(therapist, contact)
    services.appointment_cancel(actor=therapist, appointment=cancelled, cancelled_by="therapist")
    missed = make_visit(therapist, contact)
    clock.move_to(missed.starts_at + HOUR)
    services.appointment_no_show(actor=therapist, appointment=missed, party=contact.estranged)
    make_visit(therapist, contact)

    assert codes(contact) == {"too_few_visits"}


def test_a_visit_ended_early_restarts_the_count(therapist, contact, clock):
    assent(therapist, contact, rung(contact, 2))
    visit(therapist, contact, clock)
    visit(therapist, contact, clock)
    visit(therapist, contact, clock, ended_early_reason=EarlyEndReason.RULE_BREACH)
    visit(therapist, contact, clock)
    visit(therapist, contact, clock)
    assert codes(contact) == {"too_few_visits"}
    assert "2 of 3 consecutive" in gate(contact).texts()[0]

    visit(therapist, contact, clock)
    assert gate(contact).is_open


def test_only_visits_since_stepping_onto_the_rung_count(therapist, contact, clock):
    climb_to(therapist, contact, clock, 2)
    services.ladder_step_down(
        actor=therapist, case=contact.case, on_word_of="therapist", reason="Too fast."
    )
    assent(therapist, contact, rung(contact, 2))

    # The three calm visits on the first rung were before the step down: they count no more.
    assert codes(contact) == {"too_few_visits"}
    assert "0 of 3 consecutive" in gate(contact).texts()[0]


def test_low_comfort_at_a_counted_visit_keeps_it_closed(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock, visits=2)
    uneasy = visit(therapist, contact, clock, comfort_before=8, comfort_after=4)

    assert codes(contact) == {f"low_comfort_{uneasy.pk}"}
    text = gate(contact).texts()[0]
    assert "the child's comfort was 4/10" in text and "(at least 6 needed)" in text

    # Three calm visits later the uneasy one is no longer among those counted.
    for _ in range(3):
        visit(therapist, contact, clock)
    assert gate(contact).is_open


def test_comfort_is_the_lower_of_before_and_after(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock, visits=2)
    nervous = visit(therapist, contact, clock, comfort_before=5, comfort_after=9)
    assert codes(contact) == {f"low_comfort_{nervous.pk}"}
    assert "5/10" in gate(contact).texts()[0]


def test_comfort_at_the_threshold_is_enough(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock, comfort=6)
    assert gate(contact).is_open


def test_a_safety_concern_on_this_rung_keeps_it_closed_after_the_case_resumes(
    therapist, contact, clock
):
    ready_to_step_up(therapist, contact, clock, visits=1)
    visit(
        therapist,
        contact,
        clock,
        safety_concern=True,
        safety_concern_note="Daniel whispered a threat about Laura.",
    )
    assert {"paused", "safety_concern", "too_few_visits"} <= codes(contact)

    resume(therapist, contact)
    for _ in range(3):
        visit(therapist, contact, clock)

    assert codes(contact) == {"safety_concern"}
    assert "a safety concern was raised at the visit of" in gate(contact).texts()[0]


def test_a_supervised_only_term_forbids_the_first_unsupervised_rung(therapist, contact, clock):
    until = timezone.localdate() + 60 * DAY
    order(therapist, contact, TermInput(kind=TermKind.SUPERVISED_UNTIL, until=until))
    climb_to(therapist, contact, clock, 4)
    screen(therapist, contact.case)
    ready_to_step_up(therapist, contact, clock)

    result = gate(contact)
    assert result.next_phase == "Short unsupervised visit"
    assert [r.text for r in result.reasons] == [
        f"court order 1 allows supervised contact only until {until}"
    ]
    assert [r.kind for r in result.reasons] == ["court"]

    # The day after the term ends, nothing stands in the way (with a fresh screen).
    clock.move_to(timezone.now() + (until - timezone.localdate() + DAY))
    screen(therapist, contact.case)
    assert gate(contact).is_open


def test_a_therapeutic_only_term_forbids_the_first_rung_outside_therapy(therapist, contact, clock):
    order(therapist, contact, TermInput(kind=TermKind.THERAPEUTIC_ONLY))
    climb_to(therapist, contact, clock, 3)
    ready_to_step_up(therapist, contact, clock)

    result = gate(contact)
    assert result.next_phase == "Supervised outing in the community"
    assert result.texts() == ["court order 1 allows therapeutic contact only"]


def test_a_no_contact_term_forbids_every_rung(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock)
    order(therapist, contact, TermInput(kind=TermKind.NO_CONTACT))

    found = codes(contact)
    assert "paused" in found
    assert any(code.startswith("court_no_contact_") for code in found)
    assert "court order 1 forbids contact" in gate(contact).texts()


def test_the_childs_assent_is_needed_and_the_latest_word_counts(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock)
    assert gate(contact).is_open

    assent(therapist, contact, rung(contact, 2), given=False, note="Not yet, I'm scared.")
    assert codes(contact) == {f"assent_withheld_{contact.child.pk}"}
    reason = gate(contact).reasons[0]
    assert reason.kind == "safety" and not reason.overridable
    assert "does not agree to 'Short supervised visit in the office'" in reason.text

    assent(therapist, contact, rung(contact, 2), given=True, note="OK, let's try.")
    assert gate(contact).is_open


def test_assent_to_another_rung_is_not_assent_to_the_next(therapist, contact, clock):
    for _ in range(3):
        visit(therapist, contact, clock)
    assent(therapist, contact, rung(contact, 3))
    assert codes(contact) == {f"no_assent_{contact.child.pk}"}


def test_a_screen_older_than_thirty_days_keeps_it_closed(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock)
    clock.move_to(START + 30 * DAY + 3 * HOUR)  # the screen of START is 30 days old
    assert gate(contact).is_open

    clock.shift(DAY)
    assert codes(contact) == {"stale_screen"}
    assert "safety screen is 31 days old" in gate(contact).texts()[0]

    screen(therapist, contact.case)
    assert gate(contact).is_open


def test_a_paused_case_keeps_it_closed(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock)
    transitions.case_pause(actor=therapist, case=contact.case, reason="family emergency")

    assert codes(contact) == {"paused"}
    assert gate(contact).texts() == ["the case is paused: family emergency"]


# --- the therapist's settings --------------------------------------------------------------------


def test_fewer_visits_are_enough_when_the_therapist_asks_for_fewer(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock, visits=2)
    assert codes(contact) == {"too_few_visits"}

    services.ladder_configure(actor=therapist, case=contact.case, min_sessions=2)

    assert gate(contact).is_open
    event = last_event()
    assert (event.action, event.detail) == ("ladder.configure", {"min_sessions": 2})


def test_a_higher_comfort_threshold_closes_the_way_for_visits_below_it(therapist, contact, clock):
    ready_to_step_up(therapist, contact, clock, comfort=8)
    services.ladder_configure(actor=therapist, case=contact.case, min_comfort=9)

    assert len(codes(contact)) == 3
    assert all(code.startswith("low_comfort_") for code in codes(contact))
    assert "(at least 9 needed)" in gate(contact).texts()[0]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"min_sessions": 0}, "between 1 and 20"),
        ({"min_sessions": 21}, "between 1 and 20"),
        ({"min_comfort": 11}, "between 0 and 10"),
        ({}, "Nothing to change"),
        ({"rungs_above": [RungInput(" ", True, True)]}, "Each rung's name is required"),
    ],
)
def test_bad_settings_are_refused_and_change_nothing(therapist, contact, setting, message):
    with pytest.raises(ValidationError, match=message):
        services.ladder_configure(actor=therapist, case=contact.case, **setting)
    ladder = ladder_of(contact)
    assert (ladder.min_sessions, ladder.min_comfort, ladder.rungs.count()) == (3, 6, 6)


def test_the_rungs_above_can_be_redrawn_while_unused(therapist, contact):
    services.ladder_configure(
        actor=therapist,
        case=contact.case,
        rungs_above=[
            RungInput("Video call", supervised=True, in_therapy=True),
            RungInput("Lunch together", supervised=False, in_therapy=False),
        ],
    )

    ladder = ladder_of(contact)
    assert [(r.position, r.name) for r in ladder.rungs.order_by("position")] == [
        (1, "Letters and messages"),
        (2, "Video call"),
        (3, "Lunch together"),
    ]
    assert last_event().detail == {"rungs_above": ["Video call", "Lunch together"]}


def test_rungs_with_assents_or_visits_are_not_redrawn(therapist, contact, clock):
    assent(therapist, contact, rung(contact, 2))
    redraw = [RungInput("Video call", supervised=True, in_therapy=True)]

    with pytest.raises(ValidationError, match="already has visits or assents"):
        services.ladder_configure(actor=therapist, case=contact.case, rungs_above=redraw)
    assert ladder_of(contact).rungs.count() == 6

    climb_to(therapist, contact, clock, 2)
    make_visit(therapist, contact)  # scheduled on rung 2
    services.ladder_step_down(
        actor=therapist, case=contact.case, on_word_of="therapist", reason="Slow down."
    )
    with pytest.raises(ValidationError, match="already has visits or assents"):
        services.ladder_configure(actor=therapist, case=contact.case, rungs_above=redraw)


# --- stepping up and down ----------------------------------------------------------------------


def test_a_refused_step_up_raises_with_the_reasons_changes_nothing_and_is_logged(
    therapist, contact, clock
):
    visit(therapist, contact, clock)
    steps = LadderStep.objects.count()

    with pytest.raises(GateClosed) as refused:
        services.ladder_step_up(actor=therapist, case=contact.case, rationale="Try.")

    assert "1 of 3 consecutive" in str(refused.value)
    assert set(refused.value.gate.texts()) == set(gate(contact).texts())
    assert ladder_of(contact).current_rung == rung(contact, 1)
    assert LadderStep.objects.count() == steps
    event = last_event()
    assert event.action == "ladder.step_refused"
    assert event.case_id == contact.case.pk
    assert event.detail["to"] == "Short supervised visit in the office"
    assert event.detail["reasons"] == refused.value.gate.texts()


def test_the_ladder_is_climbed_only_in_therapeutic_contact(therapist, contact, clock):
    climb_to_integration(therapist, contact)
    transitions.case_advance(actor=therapist, case=contact.case)
    assert contact.case.phase == Phase.INTEGRATION

    with pytest.raises(ValidationError, match="climbed during therapeutic contact"):
        services.ladder_step_up(actor=therapist, case=contact.case)


def test_only_the_treating_therapist_steps_the_ladder(outsider, contact, clock):
    with pytest.raises(Http404):
        services.ladder_step_up(actor=outsider, case=contact.case)
    with pytest.raises(Http404):
        services.ladder_step_down(
            actor=outsider, case=contact.case, on_word_of="therapist", reason="No."
        )
    assert not Event.objects.filter(action="ladder.step_refused").exists()


def test_a_step_down_on_the_childs_word_is_immediate_whatever_the_gate_says(
    therapist, contact, clock
):
    climb_to(therapist, contact, clock, 3)
    clock.shift(40 * DAY)  # the screen is stale now
    transitions.case_pause(actor=therapist, case=contact.case, reason="holiday")

    step, _ = services.ladder_step_down(
        actor=therapist,
        case=contact.case,
        on_word_of="child",
        reason=" Mia said she wants to slow down. ",
        to=rung(contact, 1),
    )

    ladder = ladder_of(contact)
    assert ladder.current_rung == rung(contact, 1)
    assert ladder.rung_entered_at == timezone.now()
    assert (step.direction, step.from_rung, step.to_rung) == (
        "down",
        rung(contact, 3),
        rung(contact, 1),
    )
    assert (step.on_word_of, step.reason) == ("child", "Mia said she wants to slow down.")


def test_a_step_down_holds_only_the_visits_above_the_new_rung(therapist, contact, clock):
    climb_to(therapist, contact, clock, 3)
    on_third = [make_visit(therapist, contact) for _ in range(2)]
    on_second = make_visit(therapist, contact, rung=rung(contact, 2))
    on_first = make_visit(therapist, contact, rung=rung(contact, 1))

    step, to_tell = services.ladder_step_down(
        actor=therapist, case=contact.case, on_word_of="therapist", reason="Rule breach."
    )

    assert step.to_rung == rung(contact, 2)
    assert set(to_tell) == {contact.child, contact.estranged}
    for held in on_third:
        held.refresh_from_db()
        assert held.status == AppointmentStatus.HELD
        assert held.status_note == "ladder stepped down: Rule breach."
    on_second.refresh_from_db()
    on_first.refresh_from_db()
    assert on_second.status == on_first.status == AppointmentStatus.SCHEDULED
    event = last_event()
    assert event.action == "appointment.hold"
    assert sorted(event.detail["appointments"]) == sorted(a.pk for a in on_third)
    step_event = Event.objects.filter(action="ladder.step_down").get()
    assert step_event.detail == {
        "from": 3,
        "to": 2,
        "on_word_of": "therapist",
        "reason": "Rule breach.",
        "effective_on": str(timezone.localdate()),
    }


def test_a_step_down_with_nothing_above_tells_nobody(therapist, contact, clock):
    climb_to(therapist, contact, clock, 2)
    _, to_tell = services.ladder_step_down(
        actor=therapist, case=contact.case, on_word_of="child", reason="Scared."
    )
    assert to_tell == []
    assert not Event.objects.filter(action="appointment.hold").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"on_word_of": "mother", "reason": "She says so."}, "child's or the therapist's word"),
        ({"on_word_of": "child", "reason": "  "}, "reason for stepping down is required"),
    ],
)
def test_a_step_down_names_whose_word_and_why(therapist, contact, clock, kwargs, message):
    climb_to(therapist, contact, clock, 2)
    with pytest.raises(ValidationError, match=message):
        services.ladder_step_down(actor=therapist, case=contact.case, **kwargs)
    assert ladder_of(contact).current_rung == rung(contact, 2)


def test_a_step_down_goes_down(therapist, contact, clock):
    with pytest.raises(ValidationError, match="already on its first rung"):
        services.ladder_step_down(
            actor=therapist, case=contact.case, on_word_of="child", reason="Scared."
        )
    climb_to(therapist, contact, clock, 2)
    for target in (rung(contact, 2), rung(contact, 3)):
        with pytest.raises(ValidationError, match="below the current one"):
            services.ladder_step_down(
                actor=therapist, case=contact.case, on_word_of="child", reason="x", to=target
            )


def test_there_is_no_way_up_from_the_top_rung(therapist, contact, clock):
    services.ladder_configure(actor=therapist, case=contact.case, rungs_above=[])
    ready = [visit(therapist, contact, clock) for _ in range(3)]
    assert len(ready) == 3
    assert gate(contact).next_phase is None

    with pytest.raises(ValidationError, match="at its top rung"):
        services.ladder_step_up(actor=therapist, case=contact.case)


def test_assent_is_the_childs_own_for_a_rung_of_this_ladder(
    therapist, contact, outsider, other_family
):
    in_contact(outsider, other_family)
    today = timezone.localdate()
    attempts = [
        ({"child": contact.estranged, "rung": rung(contact, 2)}, "Assent is the child's to give"),
        ({"child": other_family.child, "rung": rung(contact, 2)}, "does not belong"),
        ({"child": contact.child, "rung": rung(other_family, 2)}, "another case's ladder"),
        (
            {"child": contact.child, "rung": rung(contact, 2), "recorded_on": today + DAY},
            "in the future",
        ),
    ]
    for fields, message in attempts:
        fields.setdefault("recorded_on", today)
        with pytest.raises(ValidationError, match=message):
            services.assent_record(actor=therapist, case=contact.case, given=True, **fields)
    assert not ladder_of(contact).assents.exists()

    services.assent_record(
        actor=therapist,
        case=contact.case,
        child=contact.child,
        rung=rung(contact, 2),
        given=True,
        recorded_on=today,
        note="  Mia: 'I'm ready to see him in the office.' ",
    )
    saved = ladder_of(contact).assents.get()
    assert saved.note == "Mia: 'I'm ready to see him in the office.'"
    event = last_event()
    assert (event.action, event.detail) == (
        "ladder.assent",
        {"child": contact.child.pk, "rung": 2, "given": True},
    )
