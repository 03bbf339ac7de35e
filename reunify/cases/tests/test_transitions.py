"""Moving a case: advancing, refusals, overrides with a co-signature, pausing, resuming, closing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reunify.accounts.models import Role, User
from reunify.audit.chain import audit_verify
from reunify.audit.models import Event
from reunify.cases import services
from reunify.cases.models import (
    Case,
    ConsentKind,
    Outcome,
    OverrideRequest,
    OverrideStatus,
    PartyRole,
    Phase,
    ResumeConditions,
    TransitionKind,
)
from reunify.cases.services import TermInput
from reunify.conftest import (
    Family,
    advance_to,
    clear_findings,
    climb_to_integration,
    complete_assessment,
    complete_modules,
    fresh,
    last_event,
    make_case,
    make_family,
    make_user,
    rate_all_ready,
    screen,
)
from reunify.process import pausing, transitions
from reunify.process.gates import GateClosed
from reunify.process.pausing import screening_record

DAY = dt.timedelta(days=1)
OPEN_PHASES = [
    Phase.ASSESSMENT,
    Phase.PSYCHOEDUCATION,
    Phase.INDIVIDUAL_WORK,
    Phase.THERAPEUTIC_CONTACT,
    Phase.INTEGRATION,
]
RATIONALE = "Both parents engage fully; their hesitation is about pace, not safety."


def today() -> dt.date:
    return timezone.localdate()


def kinds(case: Case) -> list[str]:
    return list(case.transitions.order_by("at", "id").values_list("kind", flat=True))


def rate(therapist: User, family: Family, **levels: str) -> None:
    for who, level in levels.items():
        services.readiness_record(
            actor=therapist,
            case=family.case,
            party=getattr(family, who),
            level=level,
            rated_on=today(),
        )


@pytest.fixture
def hesitant(therapist: User, family: Family) -> Family:
    """In individual work; the child is ready, the parents only partly: an overridable gate."""
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    rate(therapist, family, child="ready", estranged="partly_ready", other="not_ready")
    return family


@pytest.fixture
def requested(therapist: User, hesitant: Family) -> OverrideRequest:
    return transitions.override_request(actor=therapist, case=hesitant.case, rationale=RATIONALE)


@pytest.fixture
def paused(therapist: User, family: Family) -> Family:
    complete_assessment(therapist, family)
    transitions.case_pause(actor=therapist, case=family.case, reason="the child disclosed a threat")
    return family


# --- advancing -----------------------------------------------------------------------------


def test_a_case_moves_through_every_phase_and_each_move_is_recorded(therapist, family):
    case = family.case
    complete_assessment(therapist, family)
    transitions.case_advance(actor=therapist, case=case, rationale="Assessment complete.")
    assert fresh(case).phase == Phase.PSYCHOEDUCATION
    complete_modules(therapist, family)
    transitions.case_advance(actor=therapist, case=case)
    assert fresh(case).phase == Phase.INDIVIDUAL_WORK
    rate_all_ready(therapist, family)
    transitions.case_advance(actor=therapist, case=case)
    assert fresh(case).phase == Phase.THERAPEUTIC_CONTACT
    climb_to_integration(therapist, family)
    transitions.case_advance(actor=therapist, case=case)
    assert fresh(case).phase == Phase.INTEGRATION
    transitions.case_close(
        actor=therapist, case=case, outcome=Outcome.RESTORED, reason="Regular parenting time."
    )

    case = fresh(case)
    assert case.phase == Phase.CLOSED
    assert case.outcome == Outcome.RESTORED
    assert case.closed_at is not None
    moves = list(case.transitions.order_by("at", "id"))
    assert [(t.kind, t.from_phase, t.to_phase) for t in moves] == [
        ("open", "", "assessment"),
        ("advance", "assessment", "psychoeducation"),
        ("advance", "psychoeducation", "individual_work"),
        ("advance", "individual_work", "therapeutic_contact"),
        ("advance", "therapeutic_contact", "integration"),
        ("close", "integration", "closed"),
    ]
    assert all(t.actor == therapist and t.at is not None for t in moves)
    assert moves[1].rationale == "Assessment complete."
    logged = Event.objects.filter(case_id=case.pk, action="case.transition")
    assert [e.detail["to"] for e in logged] == [
        "psychoeducation",
        "individual_work",
        "therapeutic_contact",
        "integration",
    ]


def test_a_refused_move_says_why_changes_nothing_and_is_logged(therapist, family):
    case = family.case
    entered = fresh(case).phase_entered_at

    with pytest.raises(GateClosed) as refused:
        transitions.case_advance(actor=therapist, case=case, rationale="Let us begin.")

    reasons = refused.value.gate.texts()
    assert "no safety screen recorded yet" in reasons
    assert "no safety screen recorded yet" in str(refused.value)
    assert fresh(case).phase == Phase.ASSESSMENT
    assert fresh(case).phase_entered_at == entered
    assert kinds(case) == ["open"]
    event = last_event()
    assert event.action == "case.transition_refused"
    assert event.case_id == case.pk
    assert event.actor == therapist
    assert event.detail == {"to": "psychoeducation", "reasons": reasons}
    assert not Event.objects.filter(action="case.transition").exists()
    assert audit_verify().intact


def test_a_case_cannot_advance_while_paused(therapist, paused):
    with pytest.raises(GateClosed) as refused:
        transitions.case_advance(actor=therapist, case=paused.case)

    assert refused.value.gate.texts() == [
        f"the case is paused since {today()}: the child disclosed a threat"
    ]
    assert fresh(paused.case).phase == Phase.ASSESSMENT


def test_integration_does_not_advance_it_is_closed_with_an_outcome(therapist, family):
    advance_to(therapist, family, Phase.INTEGRATION)

    with pytest.raises(ValidationError, match="close the case with its outcome"):
        transitions.case_advance(actor=therapist, case=family.case)

    assert fresh(family.case).phase == Phase.INTEGRATION


def test_only_a_treating_therapist_moves_the_case(therapist, supervisor, outsider, family):
    complete_assessment(therapist, family)

    with pytest.raises(PermissionDenied):
        transitions.case_advance(actor=supervisor, case=family.case)
    with pytest.raises(Http404):
        transitions.case_advance(actor=outsider, case=family.case)

    assert fresh(family.case).phase == Phase.ASSESSMENT


# --- overrides -----------------------------------------------------------------------------


def test_a_readiness_override_is_requested_with_a_written_rationale(therapist, hesitant, requested):
    assert requested.status == OverrideStatus.PENDING
    assert requested.requested_by == therapist
    assert requested.from_phase == Phase.INDIVIDUAL_WORK
    assert requested.to_phase == Phase.THERAPEUTIC_CONTACT
    assert requested.rationale == RATIONALE
    assert [r["text"] for r in requested.reasons] == transitions.case_gate(hesitant.case).texts()
    assert last_event().action == "override.request"
    assert fresh(hesitant.case).phase == Phase.INDIVIDUAL_WORK


def test_the_therapists_supervisor_cosigns_and_the_case_moves_on(
    therapist, supervisor, hesitant, requested
):
    reasons = transitions.case_gate(hesitant.case).texts()

    decided = transitions.override_decide(
        actor=supervisor, request=requested, approve=True, note="Agreed; review in two weeks."
    )

    assert decided.status == OverrideStatus.COSIGNED
    assert decided.decided_by == supervisor
    case = fresh(hesitant.case)
    assert case.phase == Phase.THERAPEUTIC_CONTACT
    move = case.transitions.order_by("at", "id").last()
    assert move.kind == TransitionKind.OVERRIDE
    assert move.actor == therapist
    assert move.cosigned_by == supervisor
    assert move.rationale == RATIONALE
    assert [r["text"] for r in move.overridden_reasons] == reasons
    assert all(r["overridable"] for r in move.overridden_reasons)
    actions = list(Event.objects.filter(case_id=case.pk).values_list("action", flat=True))
    # Entering therapeutic contact starts the contact ladder in the same move.
    assert actions[-4:] == [
        "override.request",
        "case.transition",
        "ladder.start",
        "override.cosign",
    ]


def test_an_override_is_refused_when_any_reason_is_not_about_readiness(therapist, family):
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    rate(therapist, family, estranged="partly_ready", other="ready")  # the child is not heard

    with pytest.raises(GateClosed, match="Only readiness reasons can be overridden"):
        transitions.override_request(actor=therapist, case=family.case, rationale=RATIONALE)

    assert not OverrideRequest.objects.exists()


def test_a_paused_case_cannot_be_moved_on_by_override(therapist, hesitant):
    transitions.case_pause(actor=therapist, case=hesitant.case, reason="mother hospitalised")

    with pytest.raises(GateClosed, match="safety, court and record reasons must be resolved"):
        transitions.override_request(actor=therapist, case=hesitant.case, rationale=RATIONALE)


def test_an_open_gate_needs_no_override(therapist, family):
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    rate_all_ready(therapist, family)

    with pytest.raises(ValidationError, match="no override is needed"):
        transitions.override_request(actor=therapist, case=family.case, rationale=RATIONALE)


def test_an_override_needs_a_written_rationale(therapist, hesitant):
    with pytest.raises(ValidationError, match="A written clinical rationale is required"):
        transitions.override_request(actor=therapist, case=hesitant.case, rationale="   ")

    assert not OverrideRequest.objects.exists()


def test_only_one_override_awaits_cosignature_at_a_time(therapist, hesitant, requested):
    with pytest.raises(ValidationError, match="already awaiting co-signature"):
        transitions.override_request(actor=therapist, case=hesitant.case, rationale=RATIONALE)

    assert OverrideRequest.objects.count() == 1


def test_an_override_needs_a_supervisor_who_can_cosign_it(db):
    solo = make_user("solo")
    family = make_family(solo)
    advance_to(solo, family, Phase.INDIVIDUAL_WORK)
    rate(solo, family, child="ready", estranged="partly_ready", other="ready")

    with pytest.raises(ValidationError, match="No clinical supervisor"):
        transitions.override_request(actor=solo, case=family.case, rationale=RATIONALE)


def test_a_cotherapists_own_supervisor_cannot_stand_in_for_the_case_therapists(db):
    # Only the supervisor of the therapist of record co-signs, so a request the case's own
    # therapist has no supervisor for could never be decided and would block the case.
    solo = make_user("solo")
    their_supervisor = make_user("theirsupervisor", Role.SUPERVISOR)
    co = make_user("co", supervisor=their_supervisor)
    family = make_family(solo)
    family.case.co_therapists.add(co)
    advance_to(solo, family, Phase.INDIVIDUAL_WORK)
    rate(solo, family, child="ready", estranged="partly_ready", other="ready")

    with pytest.raises(ValidationError, match="No clinical supervisor"):
        transitions.override_request(actor=co, case=family.case, rationale=RATIONALE)

    assert not OverrideRequest.objects.exists()


def test_another_supervisor_cannot_cosign(outsider, hesitant, requested):
    with pytest.raises(Http404):
        transitions.override_decide(actor=outsider.supervisor, request=requested, approve=True)

    assert fresh(hesitant.case).phase == Phase.INDIVIDUAL_WORK
    requested.refresh_from_db()
    assert requested.status == OverrideStatus.PENDING


def test_a_supervisor_who_sees_the_case_but_does_not_supervise_its_therapist_cannot_cosign(
    outsider, hesitant, requested
):
    other_supervisor = outsider.supervisor
    hesitant.case.co_therapists.add(other_supervisor)

    with pytest.raises(PermissionDenied):
        transitions.override_decide(actor=other_supervisor, request=requested, approve=True)

    assert fresh(hesitant.case).phase == Phase.INDIVIDUAL_WORK


def test_the_therapist_cannot_cosign_their_own_request(therapist, hesitant, requested):
    with pytest.raises(PermissionDenied):
        transitions.override_decide(actor=therapist, request=requested, approve=True)

    assert fresh(hesitant.case).phase == Phase.INDIVIDUAL_WORK


def test_a_supervisor_who_asked_cannot_cosign_their_own_request(supervisor, hesitant):
    hesitant.case.co_therapists.add(supervisor)
    request = transitions.override_request(
        actor=supervisor, case=hesitant.case, rationale=RATIONALE
    )

    with pytest.raises(ValidationError, match="cannot be the one who asked"):
        transitions.override_decide(actor=supervisor, request=request, approve=True)

    assert fresh(hesitant.case).phase == Phase.INDIVIDUAL_WORK


def test_declining_needs_a_note_and_leaves_the_case_where_it_is(supervisor, hesitant, requested):
    with pytest.raises(ValidationError, match="Say why the override is declined"):
        transitions.override_decide(actor=supervisor, request=requested, approve=False, note=" ")
    requested.refresh_from_db()
    assert requested.status == OverrideStatus.PENDING

    decided = transitions.override_decide(
        actor=supervisor, request=requested, approve=False, note="The mother is not ready."
    )

    assert decided.status == OverrideStatus.DECLINED
    assert decided.decision_note == "The mother is not ready."
    assert fresh(hesitant.case).phase == Phase.INDIVIDUAL_WORK
    assert last_event().action == "override.decline"
    with pytest.raises(ValidationError, match="already been decided"):
        transitions.override_decide(actor=supervisor, request=requested, approve=True)


def test_a_safety_reason_that_appears_after_the_request_blocks_the_cosignature(
    therapist, supervisor, hesitant, requested
):
    screen(therapist, hesitant.case, child_distress="unknown")

    with pytest.raises(GateClosed, match="cannot be overridden"):
        transitions.override_decide(actor=supervisor, request=requested, approve=True)

    assert fresh(hesitant.case).phase == Phase.INDIVIDUAL_WORK
    requested.refresh_from_db()
    assert requested.status == OverrideStatus.PENDING


# --- pausing -------------------------------------------------------------------------------


@pytest.mark.parametrize("phase", OPEN_PHASES)
def test_a_case_can_be_paused_from_any_open_phase(therapist, family, phase):
    advance_to(therapist, family, phase)

    pause = transitions.case_pause(actor=therapist, case=family.case, reason="father arrested")

    case = fresh(family.case)
    assert case.is_paused
    assert case.pause_reason == "father arrested"
    assert case.phase == phase
    assert (pause.kind, pause.from_phase, pause.to_phase) == ("pause", phase, phase)
    assert last_event().action == "case.pause"
    assert last_event().detail == {
        "reason": "father arrested",
        "effective_on": str(timezone.localdate()),
    }


def test_a_pause_needs_a_reason_and_happens_once(therapist, family):
    with pytest.raises(ValidationError, match="The reason for the pause is required"):
        transitions.case_pause(actor=therapist, case=family.case, reason="")
    assert not fresh(family.case).is_paused

    transitions.case_pause(actor=therapist, case=family.case, reason="court hearing pending")
    with pytest.raises(ValidationError, match="already paused"):
        transitions.case_pause(actor=therapist, case=family.case, reason="again")

    assert kinds(family.case) == ["open", "pause"]


def test_a_present_contraindication_pauses_the_case_at_once(therapist, family):
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)

    screen(therapist, family.case, ongoing_abuse="present", child_self_harm="present")

    case = fresh(family.case)
    assert case.is_paused
    assert case.pause_reason == (
        f"safety screen of {today()} found child self-harm risk; ongoing abuse or safety concerns"
    )
    assert kinds(case)[-1] == "pause"
    actions = list(Event.objects.filter(case_id=case.pk).values_list("action", flat=True))
    assert actions[-2:] == ["screening.record", "case.pause"]


def test_an_unknown_finding_does_not_pause(therapist, family):
    screen(therapist, family.case, coercion="unknown")

    assert not fresh(family.case).is_paused


@pytest.mark.parametrize(
    ("until", "reason"),
    [(None, "court order 1: no contact"), (10, "court order 1: no contact until {until}")],
    ids=["open-ended", "until-a-date"],
)
def test_a_court_order_forbidding_contact_pauses_the_case(therapist, family, until, reason):
    last_day = today() + dt.timedelta(days=until) if until else None

    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=today(),
        terms=[TermInput("no_contact", until=last_day)],
    )

    case = fresh(family.case)
    assert case.is_paused
    assert case.pause_reason == reason.format(until=last_day)


@pytest.mark.parametrize(
    "term",
    [
        TermInput("no_contact", until=dt.date(2020, 1, 31)),
        TermInput("supervised_until", until=dt.date(2099, 1, 31)),
        TermInput("therapeutic_only"),
    ],
    ids=["expired-no-contact", "supervised", "therapeutic-only"],
)
def test_other_court_terms_do_not_pause(therapist, family, term):
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=dt.date(2020, 1, 1),
        terms=[term],
    )

    assert not fresh(family.case).is_paused


# --- resuming ------------------------------------------------------------------------------


def test_resuming_names_the_conditions_met_after_a_fresh_clear_screen(therapist, paused):
    screen(therapist, paused.case)

    resumed = transitions.case_resume(
        actor=therapist,
        case=paused.case,
        conditions=[ResumeConditions.LEGAL_INTERVENTION, ResumeConditions.FAMILY_STABILISATION],
        note="Protective order lifted.",
    )

    case = fresh(paused.case)
    assert not case.is_paused
    assert case.pause_reason == ""
    assert resumed.kind == TransitionKind.RESUME
    assert resumed.conditions == ["family_stabilisation", "legal_intervention"]
    assert resumed.rationale == "Protective order lifted."
    assert last_event().action == "case.resume"
    assert transitions.case_gate(case).is_open


@pytest.mark.parametrize(
    ("conditions", "note", "message"),
    [
        ([], "", "Name the conditions that have been met"),
        (["feels_better"], "", "Unknown condition: feels_better"),
        (["other"], "", "Describe the other condition in the note"),
    ],
    ids=["no-conditions", "unknown-condition", "other-without-note"],
)
def test_resuming_needs_named_conditions(therapist, paused, conditions, note, message):
    screen(therapist, paused.case)

    with pytest.raises(ValidationError, match=message):
        transitions.case_resume(actor=therapist, case=paused.case, conditions=conditions, note=note)

    assert fresh(paused.case).is_paused
    assert kinds(paused.case)[-1] == "pause"


def test_resuming_needs_a_screen_recorded_after_the_pause(therapist, paused):
    # complete_assessment screened the family before the pause.
    with pytest.raises(ValidationError, match="Record a fresh safety screen before resuming"):
        transitions.case_resume(
            actor=therapist, case=paused.case, conditions=[ResumeConditions.LEGAL_INTERVENTION]
        )

    assert fresh(paused.case).is_paused


@pytest.mark.parametrize(
    ("finding", "words"),
    [
        ("unknown", "leaves severe emotional distress in the child unknown"),
        ("present", "found severe emotional distress in the child"),
    ],
)
def test_resuming_needs_a_clear_screen(therapist, paused, finding, words):
    screen(therapist, paused.case, child_distress=finding)

    with pytest.raises(ValidationError, match=f"The fresh screen is not clear: .*{words}"):
        transitions.case_resume(
            actor=therapist,
            case=paused.case,
            conditions=[ResumeConditions.FURTHER_INDIVIDUAL_THERAPY],
        )

    assert fresh(paused.case).is_paused


def test_resuming_is_refused_while_a_no_contact_term_is_in_force(therapist, paused):
    pausing.court_order_record(
        actor=therapist,
        case=paused.case,
        court="Superior Court",
        court_case_number="FL-1",
        issued_on=today(),
        terms=[TermInput("no_contact")],
    )
    screen(therapist, paused.case)

    with pytest.raises(ValidationError, match="A court term still applies: court order 1 forbids"):
        transitions.case_resume(
            actor=therapist, case=paused.case, conditions=[ResumeConditions.LEGAL_INTERVENTION]
        )

    assert fresh(paused.case).is_paused


def test_a_case_that_is_not_paused_cannot_be_resumed(therapist, family):
    screen(therapist, family.case)

    with pytest.raises(ValidationError, match="not paused"):
        transitions.case_resume(
            actor=therapist, case=family.case, conditions=[ResumeConditions.OTHER], note="x"
        )


# --- closing -------------------------------------------------------------------------------


def every_write(therapist: User, supervisor: User, family: Family) -> dict[str, object]:
    """One call of every service that changes a case, for checking a closed case refuses all."""
    case, day = family.case, today()
    return {
        "party_add": lambda: services.party_add(
            actor=therapist, case=case, role=PartyRole.GUARDIAN, first_name="A", last_name="B"
        ),
        "party_protect": lambda: services.party_protect(
            actor=therapist, party=family.child, protected=True
        ),
        "court_order_record": lambda: pausing.court_order_record(
            actor=therapist,
            case=case,
            court="Court",
            court_case_number="1",
            issued_on=day,
            terms=[],
        ),
        "intake_record": lambda: services.intake_record(
            actor=therapist, case=case, party=family.child, held_on=day
        ),
        "consent_record": lambda: services.consent_record(
            actor=therapist,
            case=case,
            party=family.other,
            kind=ConsentKind.INFORMED_CONSENT,
            signed_on=day,
        ),
        "document_review_record": lambda: services.document_review_record(
            actor=therapist, case=case, reviewed_on=day, none_provided=True
        ),
        "readiness_record": lambda: services.readiness_record(
            actor=therapist, case=case, party=family.child, level="ready", rated_on=day
        ),
        "screening_record": lambda: screening_record(
            actor=therapist, case=case, screened_on=day, findings=clear_findings()
        ),
        "case_advance": lambda: transitions.case_advance(actor=therapist, case=case),
        "override_request": lambda: transitions.override_request(
            actor=therapist, case=case, rationale=RATIONALE
        ),
        "case_pause": lambda: transitions.case_pause(actor=therapist, case=case, reason="x"),
        "case_resume": lambda: transitions.case_resume(
            actor=therapist, case=case, conditions=[ResumeConditions.FAMILY_STABILISATION]
        ),
        "case_close": lambda: transitions.case_close(
            actor=therapist, case=case, outcome=Outcome.WITHDRAWN, reason="again"
        ),
    }


@pytest.mark.parametrize("outcome", Outcome.values)
def test_a_closed_case_is_read_only(therapist, supervisor, family, outcome):
    transitions.case_close(actor=therapist, case=family.case, outcome=outcome, reason="Ended.")
    case = fresh(family.case)
    assert case.phase == Phase.CLOSED
    assert case.outcome == outcome
    assert case.outcome_reason == "Ended."
    closed = Event.objects.filter(action="case.close").latest("id")  # the notices follow it
    assert closed.detail == {"outcome": outcome, "effective_on": str(timezone.localdate())}
    events = Event.objects.count()

    for name, write in every_write(therapist, supervisor, family).items():
        with pytest.raises(ValidationError, match="closed; its record is read-only"):
            write()
        assert fresh(family.case).phase == Phase.CLOSED, name

    assert Event.objects.count() == events
    assert kinds(case) == ["open", "close"]


def test_closing_needs_a_known_outcome_and_a_reason(therapist, family):
    with pytest.raises(ValidationError, match="Unknown outcome 'happy'"):
        transitions.case_close(actor=therapist, case=family.case, outcome="happy", reason="x")
    with pytest.raises(ValidationError, match="The reason for closing is required"):
        transitions.case_close(actor=therapist, case=family.case, outcome="withdrawn", reason="")

    assert fresh(family.case).phase == Phase.ASSESSMENT


def test_closing_ends_a_pause_and_declines_a_waiting_override(
    therapist, supervisor, hesitant, requested
):
    transitions.case_pause(actor=therapist, case=hesitant.case, reason="family moved away")

    transitions.case_close(
        actor=therapist, case=hesitant.case, outcome=Outcome.WITHDRAWN, reason="Moved away."
    )

    case = fresh(hesitant.case)
    assert not case.is_paused
    requested.refresh_from_db()
    assert requested.status == OverrideStatus.DECLINED
    with pytest.raises(ValidationError, match="read-only"):
        transitions.override_decide(actor=supervisor, request=requested, approve=True)


# --- who treats and who evaluates ----------------------------------------------------------


def test_the_evaluator_cannot_be_the_treating_therapist(therapist):
    with pytest.raises(ValidationError, match="both the evaluator and the treating therapist"):
        make_case(therapist, evaluator=therapist)

    assert not Case.objects.exists()


def test_another_therapist_may_evaluate(therapist, outsider):
    case = make_case(therapist, evaluator=outsider)

    assert case.evaluator == outsider
    assert case.therapist == therapist
