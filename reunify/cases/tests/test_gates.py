"""The gates between phases: every reason closes the gate, and resolving it opens it again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases import services
from reunify.cases.models import Case, ConsentKind, Party, PartyRole, Phase, ResumeConditions
from reunify.cases.services import TermInput
from reunify.conftest import (
    Family,
    add_party,
    advance_to,
    climb_to_integration,
    complete_modules,
    make_case,
    rate_all_ready,
    release_by,
    screen,
    sign_releases,
)
from reunify.process import pausing, transitions
from reunify.process.gates import Gate, gate_for, screen_due_on, with_gate_facts
from reunify.safety.models import Contraindication

DAY = dt.timedelta(days=1)
PARTIES = {
    "estranged": "the estranged parent (Daniel Rivers)",
    "other": "the other parent (Laura Rivers)",
    "child": "the child (Mia Rivers)",
}
CONSENT_WORDS = {
    ConsentKind.INFORMED_CONSENT: "informed consent",
    ConsentKind.LIMITS_OF_CONFIDENTIALITY: "limits of confidentiality",
    ConsentKind.SERVICE_AGREEMENT: "service agreement",
}


def today() -> dt.date:
    return timezone.localdate()


def gate_on(case: Case, day: dt.date | None = None) -> Gate:
    """The gate as it stands, on a chosen day (today when none is given)."""
    return gate_for(with_gate_facts(Case.objects.filter(pk=case.pk)).get(), today=day)


def texts(case: Case, day: dt.date | None = None) -> list[str]:
    return gate_on(case, day).texts()


def intake(therapist: User, case: Case, party: Party, days_ago: int) -> None:
    services.intake_record(
        actor=therapist, case=case, party=party, held_on=today() - dt.timedelta(days=days_ago)
    )


def sign(therapist: User, case: Case, party: Party, *kinds: str) -> None:
    for kind in kinds or ConsentKind.values:
        services.consent_record(
            actor=therapist, case=case, party=party, kind=kind, signed_on=today()
        )


def review(therapist: User, case: Case) -> None:
    services.document_review_record(
        actor=therapist, case=case, reviewed_on=today(), none_provided=True
    )


def record_assessment(
    therapist: User, family: Family, *, skip: frozenset[str] = frozenset()
) -> None:
    """Everything the assessment gate asks for, except the items named in `skip`.

    Items: "intake:<who>", "<consent kind>:<who>", "releases", "review", "screen".
    """
    case = family.case
    for days_ago, who in ((6, "estranged"), (5, "other"), (4, "child")):
        if f"intake:{who}" not in skip:
            intake(therapist, case, getattr(family, who), days_ago)
    for who in ("estranged", "other"):
        kinds = [k for k in ConsentKind.values if f"{k}:{who}" not in skip]
        if kinds:
            sign(therapist, case, getattr(family, who), *kinds)
    if "releases" not in skip:
        sign_releases(therapist, family)
    if "review" not in skip:
        review(therapist, case)
    if "screen" not in skip:
        screen(therapist, case)


def resume(therapist: User, case: Case) -> None:
    screen(therapist, case)
    transitions.case_resume(
        actor=therapist, case=case, conditions=[ResumeConditions.FAMILY_STABILISATION]
    )


@pytest.fixture
def ready_for_contact(therapist: User, family: Family) -> Family:
    """A case in individual work whose every party is rated ready: the gate is open."""
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    rate_all_ready(therapist, family)
    return family


@pytest.fixture
def on_threshold(therapist: User, family: Family) -> Family:
    """A case in therapeutic contact whose ladder stands on its integration threshold, with
    the visits and the child's assent the gate into integration asks for."""
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)
    climb_to_integration(therapist, family)
    return family


# --- the assessment gate -------------------------------------------------------------------


def test_a_complete_assessment_opens_the_way_to_psychoeducation(therapist, family):
    record_assessment(therapist, family)

    gate = transitions.case_gate(family.case)

    assert gate.phase == Phase.ASSESSMENT
    assert gate.next_phase == Phase.PSYCHOEDUCATION
    assert gate.is_open
    assert gate.reasons == []


def test_an_empty_case_lists_everything_it_still_needs_in_plain_words(therapist, family):
    gate = transitions.case_gate(family.case)

    assert not gate.is_open
    assert not gate.overridable
    assert "no safety screen recorded yet" in gate.texts()
    assert f"no separate intake with {PARTIES['child']} yet" in gate.texts()
    assert f"service agreement not signed by {PARTIES['other']}" in gate.texts()
    for text in gate.texts():
        assert "_" not in text, text
        assert "None" not in text, text
        assert text == text.strip() and text[0].islower(), text


def test_without_a_safety_screen_the_gate_stays_closed_until_one_is_recorded(therapist, family):
    record_assessment(therapist, family, skip=frozenset({"screen"}))
    assert texts(family.case) == ["no safety screen recorded yet"]
    assert transitions.case_gate(family.case).reasons[0].kind == "safety"

    screen(therapist, family.case)

    assert transitions.case_gate(family.case).is_open


@pytest.mark.parametrize("contraindication", Contraindication.values)
def test_a_present_contraindication_closes_the_gate_and_cannot_be_overridden(
    therapist, family, contraindication
):
    record_assessment(therapist, family, skip=frozenset({"screen"}))

    screen(therapist, family.case, **{contraindication: "present"})

    gate = transitions.case_gate(family.case)
    label = Contraindication(contraindication).label.lower()
    assert f"the safety screen of {today()} found {label}" in gate.texts()
    assert not gate.overridable
    assert not [r for r in gate.reasons if r.overridable]


def test_a_contraindication_stops_closing_the_gate_once_a_clear_screen_follows(therapist, family):
    record_assessment(therapist, family, skip=frozenset({"screen"}))
    screen(therapist, family.case, ongoing_abuse="present")
    assert any("found ongoing abuse" in t for t in texts(family.case))

    screen(therapist, family.case)
    # The finding is resolved; only the pause it caused remains, and resuming lifts that.
    assert [r.code for r in gate_on(family.case).reasons] == ["paused"]
    transitions.case_resume(
        actor=therapist, case=family.case, conditions=[ResumeConditions.LEGAL_INTERVENTION]
    )

    assert transitions.case_gate(family.case).is_open


def test_an_unknown_finding_closes_the_gate_until_it_is_screened_again(therapist, family):
    record_assessment(therapist, family, skip=frozenset({"screen"}))
    screen(therapist, family.case, child_distress="unknown")

    assert texts(family.case) == [
        f"the safety screen of {today()} leaves severe emotional distress in the child unknown"
    ]
    assert not family.case.is_paused

    screen(therapist, family.case)

    assert transitions.case_gate(family.case).is_open


def test_a_stale_screen_does_not_hold_up_assessment_or_preparation(therapist, family):
    record_assessment(therapist, family, skip=frozenset({"screen"}))
    screen(therapist, family.case, days_ago=34)

    assert transitions.case_gate(family.case).is_open
    transitions.case_advance(actor=therapist, case=family.case)
    complete_modules(therapist, family)
    assert transitions.case_gate(family.case).is_open
    transitions.case_advance(actor=therapist, case=family.case)
    assert family.case.phase == Phase.INDIVIDUAL_WORK


def test_a_stale_screen_closes_the_way_into_therapeutic_contact(therapist, family):
    record_assessment(therapist, family, skip=frozenset({"screen"}))
    screen(therapist, family.case, days_ago=34)
    transitions.case_advance(actor=therapist, case=family.case)
    complete_modules(therapist, family)
    transitions.case_advance(actor=therapist, case=family.case)
    rate_all_ready(therapist, family)

    assert texts(family.case) == ["safety screen is 34 days old (re-screen at least every 30 days)"]

    screen(therapist, family.case)

    assert transitions.case_gate(family.case).is_open


def test_a_screen_stays_current_for_thirty_days_and_no_longer(therapist, ready_for_contact):
    case = ready_for_contact.case

    assert gate_on(case, today() + 30 * DAY).is_open
    assert texts(case, today() + 31 * DAY) == [
        "safety screen is 31 days old (re-screen at least every 30 days)"
    ]
    assert screen_due_on(with_gate_facts(Case.objects.filter(pk=case.pk)).get()) == (
        today() + 30 * DAY
    )


def test_a_stale_screen_closes_the_way_into_integration(therapist, on_threshold):
    assert gate_on(on_threshold.case).is_open

    assert texts(on_threshold.case, today() + 34 * DAY) == [
        "safety screen is 34 days old (re-screen at least every 30 days)"
    ]


def test_a_case_without_a_child_cannot_leave_assessment(therapist):
    case = make_case(therapist)
    estranged = add_party(therapist, case, PartyRole.ESTRANGED_PARENT, "Daniel", "Rivers")
    other = add_party(therapist, case, PartyRole.OTHER_PARENT, "Laura", "Rivers")
    intake(therapist, case, estranged, 6)
    intake(therapist, case, other, 5)
    sign(therapist, case, estranged)
    sign(therapist, case, other)
    release_by(therapist, case, estranged, other)
    review(therapist, case)
    screen(therapist, case)
    assert texts(case) == ["no child has been added to the case"]

    child = add_party(therapist, case, PartyRole.CHILD, "Mia", "Rivers")
    assert texts(case) == [f"no separate intake with {PARTIES['child']} yet"]
    intake(therapist, case, child, 4)

    assert transitions.case_gate(case).is_open


def test_a_case_without_an_estranged_parent_cannot_leave_assessment(therapist):
    case = make_case(therapist)
    child = add_party(therapist, case, PartyRole.CHILD, "Mia", "Rivers")
    other = add_party(therapist, case, PartyRole.OTHER_PARENT, "Laura", "Rivers")
    intake(therapist, case, other, 5)
    intake(therapist, case, child, 4)
    sign(therapist, case, other)
    release_by(therapist, case, other)
    review(therapist, case)
    screen(therapist, case)
    assert texts(case) == ["no estranged parent has been added"]

    estranged = add_party(therapist, case, PartyRole.ESTRANGED_PARENT, "Daniel", "Rivers")
    intake(therapist, case, estranged, 6)
    sign(therapist, case, estranged)
    release_by(therapist, case, estranged)

    assert transitions.case_gate(case).is_open


@pytest.mark.parametrize("who", ["estranged", "other", "child"])
def test_each_parent_and_child_needs_their_own_intake(therapist, family, who):
    record_assessment(therapist, family, skip=frozenset({f"intake:{who}"}))
    assert texts(family.case) == [f"no separate intake with {PARTIES[who]} yet"]

    intake(therapist, family.case, getattr(family, who), 2)

    assert transitions.case_gate(family.case).is_open


def test_parents_seen_on_the_same_day_have_not_had_separate_intakes(therapist, family):
    record_assessment(therapist, family, skip=frozenset({"intake:other"}))
    intake(therapist, family.case, family.other, 6)  # the estranged parent's day too

    assert texts(family.case) == [
        f"the intakes with {PARTIES['estranged']} and {PARTIES['other']} were on the same day "
        f"({today() - 6 * DAY}); they must be held separately"
    ]

    intake(therapist, family.case, family.other, 2)

    assert transitions.case_gate(family.case).is_open


@pytest.mark.parametrize("who", ["estranged", "other"])
@pytest.mark.parametrize("kind", ConsentKind.values)
def test_each_adult_party_signs_each_consent_document(therapist, family, kind, who):
    record_assessment(therapist, family, skip=frozenset({f"{kind}:{who}"}))
    assert texts(family.case) == [f"{CONSENT_WORDS[kind]} not signed by {PARTIES[who]}"]
    assert gate_on(family.case).reasons[0].kind == "record"

    sign(therapist, family.case, getattr(family, who), kind)

    assert transitions.case_gate(family.case).is_open


def test_the_gate_names_the_unsigned_service_agreement_of_the_other_parent(therapist, family):
    record_assessment(therapist, family, skip=frozenset({"service_agreement:other"}))

    assert "service agreement not signed by the other parent" in texts(family.case)[0]


@pytest.mark.parametrize("role", [PartyRole.STEP_PARENT, PartyRole.GUARDIAN])
def test_a_step_parent_or_guardian_signs_every_consent_too(therapist, family, role):
    record_assessment(therapist, family)
    adult = add_party(therapist, family.case, role, "Chris", "Rivers")

    missing = texts(family.case)
    assert len(missing) == 4
    for words in CONSENT_WORDS.values():
        assert any(t.startswith(f"{words} not signed by") and "Chris Rivers" in t for t in missing)
    assert f"no release of information signed by {adult.label}" in missing

    sign(therapist, family.case, adult)
    release_by(therapist, family.case, adult)

    assert transitions.case_gate(family.case).is_open


def test_prior_documents_must_be_reviewed(therapist, family):
    record_assessment(therapist, family, skip=frozenset({"review"}))

    assert texts(family.case) == [
        "prior evaluations, court documents and CPS input not reviewed yet "
        "(record the review, or that none were provided)"
    ]


@pytest.mark.parametrize(
    ("none_provided", "description"),
    [(True, ""), (False, "Custody evaluation of 2023 and the CPS closing letter.")],
    ids=["none-provided", "documents-reviewed"],
)
def test_a_review_or_a_note_that_none_were_provided_satisfies_the_gate(
    therapist, family, none_provided, description
):
    record_assessment(therapist, family, skip=frozenset({"review"}))

    services.document_review_record(
        actor=therapist,
        case=family.case,
        reviewed_on=today(),
        none_provided=none_provided,
        description=description,
    )

    assert transitions.case_gate(family.case).is_open


def test_a_paused_case_cannot_move_on_until_it_is_resumed(therapist, family):
    record_assessment(therapist, family)
    transitions.case_pause(
        actor=therapist, case=family.case, reason="the father's new partner threatened the child"
    )

    gate = transitions.case_gate(family.case)
    assert gate.texts() == [
        f"the case is paused since {today()}: the father's new partner threatened the child"
    ]
    assert not gate.overridable

    resume(therapist, family.case)

    assert transitions.case_gate(family.case).is_open


# --- the readiness gate (individual work -> therapeutic contact) ---------------------------


def test_every_party_rated_ready_opens_the_way_into_contact(therapist, ready_for_contact):
    gate = transitions.case_gate(ready_for_contact.case)

    assert gate.next_phase == Phase.THERAPEUTIC_CONTACT
    assert gate.is_open


@pytest.mark.parametrize("who", ["estranged", "other"])
def test_a_parent_whose_readiness_is_unrated_holds_the_gate(therapist, family, who):
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    for name in PARTIES:
        if name != who:
            services.readiness_record(
                actor=therapist,
                case=family.case,
                party=getattr(family, name),
                level="ready",
                rated_on=today(),
            )

    gate = transitions.case_gate(family.case)
    assert gate.texts() == [f"readiness of {PARTIES[who]} not rated yet"]
    assert gate.overridable

    services.readiness_record(
        actor=therapist,
        case=family.case,
        party=getattr(family, who),
        level="ready",
        rated_on=today(),
    )

    assert transitions.case_gate(family.case).is_open


def test_the_child_must_be_heard_and_that_cannot_be_overridden(therapist, family):
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    for parent in (family.estranged, family.other):
        services.readiness_record(
            actor=therapist, case=family.case, party=parent, level="ready", rated_on=today()
        )

    gate = transitions.case_gate(family.case)
    assert gate.texts() == [f"{PARTIES['child']} has not yet been heard on their own readiness"]
    assert not gate.overridable

    services.readiness_record(
        actor=therapist, case=family.case, party=family.child, level="ready", rated_on=today()
    )

    assert transitions.case_gate(family.case).is_open


@pytest.mark.parametrize("who", ["estranged", "other", "child"])
@pytest.mark.parametrize(
    ("level", "words"), [("not_ready", "not ready"), ("partly_ready", "partly ready")]
)
def test_a_party_rated_less_than_ready_holds_the_gate_but_may_be_overridden(
    therapist, ready_for_contact, who, level, words
):
    family = ready_for_contact
    party = getattr(family, who)
    services.readiness_record(
        actor=therapist, case=family.case, party=party, level=level, rated_on=today()
    )

    gate = transitions.case_gate(family.case)
    assert gate.texts() == [f"{PARTIES[who]} is rated '{words}' ({today()})"]
    assert gate.overridable

    services.readiness_record(
        actor=therapist, case=family.case, party=party, level="ready", rated_on=today()
    )

    assert transitions.case_gate(family.case).is_open


def test_the_latest_rating_counts_not_the_first(therapist, family):
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    rate_all_ready(therapist, family)
    services.readiness_record(
        actor=therapist,
        case=family.case,
        party=family.estranged,
        level="not_ready",
        rated_on=today() - 3 * DAY,
    )
    assert transitions.case_gate(family.case).is_open  # an older rating does not count

    services.readiness_record(
        actor=therapist,
        case=family.case,
        party=family.estranged,
        level="partly_ready",
        rated_on=today(),
    )

    assert transitions.case_gate(family.case).texts() == [
        f"{PARTIES['estranged']} is rated 'partly ready' ({today()})"
    ]


# --- court terms ---------------------------------------------------------------------------


def order(therapist: User, case: Case, *terms: TermInput, issued_days_ago: int = 40) -> None:
    pausing.court_order_record(
        actor=therapist,
        case=case,
        court="Superior Court of Alameda County",
        court_case_number="FL-2024-0117",
        issued_on=today() - dt.timedelta(days=issued_days_ago),
        terms=list(terms),
    )


@pytest.mark.parametrize(
    "phase",
    [Phase.INDIVIDUAL_WORK, Phase.THERAPEUTIC_CONTACT],
    ids=["into-contact", "into-integration"],
)
def test_a_no_contact_term_closes_the_way_into_contact_while_it_is_in_force(
    therapist, family, phase
):
    advance_to(therapist, family, phase)
    rate_all_ready(therapist, family)
    if phase == Phase.THERAPEUTIC_CONTACT:
        climb_to_integration(therapist, family)
    last_day = today() - 3 * DAY
    order(therapist, family.case, TermInput("no_contact", until=last_day))

    assert texts(family.case, last_day) == [f"court order 1 forbids contact until {last_day}"]
    assert gate_on(family.case, last_day).reasons[0].kind == "court"
    assert not gate_on(family.case, last_day).overridable
    assert gate_on(family.case, last_day + DAY).is_open
    assert transitions.case_gate(family.case).is_open


def test_a_no_contact_term_does_not_hold_up_assessment(therapist, family):
    record_assessment(therapist, family)
    last_day = today() - 3 * DAY
    order(therapist, family.case, TermInput("no_contact", until=last_day))

    assert gate_on(family.case, last_day).is_open


def test_a_supervised_only_term_closes_the_way_into_integration_until_its_date(
    therapist, on_threshold
):
    until = today() + 5 * DAY
    order(therapist, on_threshold.case, TermInput("supervised_until", until=until))

    assert texts(on_threshold.case) == [
        f"court order 1 allows supervised contact only until {until}"
    ]
    assert texts(on_threshold.case, until) != []
    assert gate_on(on_threshold.case, until + DAY).is_open


def test_a_supervised_only_term_that_has_ended_closes_nothing(therapist, on_threshold):
    order(therapist, on_threshold.case, TermInput("supervised_until", until=today() - DAY))

    assert transitions.case_gate(on_threshold.case).is_open


def test_a_supervised_only_term_does_not_hold_up_supervised_contact(therapist, ready_for_contact):
    order(
        therapist, ready_for_contact.case, TermInput("supervised_until", until=today() + 90 * DAY)
    )

    assert transitions.case_gate(ready_for_contact.case).is_open


def test_a_therapeutic_only_term_closes_the_way_into_integration(therapist, on_threshold):
    order(therapist, on_threshold.case, TermInput("therapeutic_only"))

    assert texts(on_threshold.case) == ["court order 1 allows therapeutic contact only"]


def test_a_therapeutic_only_term_with_an_end_date_lifts_after_it(therapist, on_threshold):
    until = today() + 5 * DAY
    order(therapist, on_threshold.case, TermInput("therapeutic_only", until=until))

    assert texts(on_threshold.case) == [
        f"court order 1 allows therapeutic contact only until {until}"
    ]
    assert gate_on(on_threshold.case, until + DAY).is_open


def test_a_therapeutic_only_term_does_not_hold_up_therapeutic_contact(therapist, ready_for_contact):
    order(therapist, ready_for_contact.case, TermInput("therapeutic_only"))

    assert transitions.case_gate(ready_for_contact.case).is_open


def test_each_order_is_named_by_its_number(therapist, on_threshold):
    order(therapist, on_threshold.case, TermInput("reporting_duty", due_on=today() + 60 * DAY))
    order(therapist, on_threshold.case, TermInput("therapeutic_only"), issued_days_ago=10)

    assert texts(on_threshold.case) == ["court order 2 allows therapeutic contact only"]


def test_reporting_duties_and_other_terms_close_no_gate(therapist, on_threshold):
    order(
        therapist,
        on_threshold.case,
        TermInput("reporting_duty", due_on=today() + 30 * DAY, text="progress letter"),
        TermInput("other", text="Exchanges take place at the police station."),
    )

    assert transitions.case_gate(on_threshold.case).is_open


# --- the last phases -----------------------------------------------------------------------


def test_integration_has_no_next_phase_only_closing(therapist, family):
    advance_to(therapist, family, Phase.INTEGRATION)

    gate = transitions.case_gate(family.case)

    assert gate.next_phase is None
    assert not gate.is_open
    assert gate.reasons == []


def test_a_paused_case_in_contact_names_the_pause_and_nothing_is_overridable(
    therapist, on_threshold
):
    transitions.case_pause(
        actor=therapist, case=on_threshold.case, reason="child asked to slow down"
    )

    gate = transitions.case_gate(on_threshold.case)

    assert [r.code for r in gate.reasons] == ["paused"]
    assert not gate.overridable
