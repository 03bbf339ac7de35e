"""The gate into integration and maintenance: the ladder has reached the case's threshold, the
last visits on it were calm, the child agrees, and no court term in force forbids it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Case, Phase, ResumeConditions, TermKind, Transition, TransitionKind
from reunify.cases.services import TermInput
from reunify.clinical import services as clinical
from reunify.clinical.models import Appointment, ContactRung, Ladder
from reunify.clinical.services import ladder_gate_for
from reunify.clinical.tests.test_pages import ladder_form_data
from reunify.conftest import (
    Family,
    advance_to,
    bearer,
    climb_to_integration,
    fresh,
    last_event,
    login,
    screen,
)
from reunify.process import pausing, transitions
from reunify.process.gates import Gate, GateClosed, gate_for, integration_threshold, with_gate_facts
from reunify.process.ladder import ladder_gate

API = "/api/v1"


def gate(case: Case) -> Gate:
    return transitions.case_gate(case)


def codes(case: Case) -> dict[str, str]:
    return {r.code: r.kind for r in gate(case).reasons}


def rung(family: Family, position: int) -> ContactRung:
    return ContactRung.objects.get(ladder__case=family.case, position=position)


def ladder(family: Family) -> Ladder:
    return Ladder.objects.select_related("current_rung").get(case=family.case)


def order(therapist: User, family: Family, kind: str, until: dt.date | None = None) -> None:
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number="FL-9",
        issued_on=timezone.localdate(),
        terms=[TermInput(kind, until=until)],
    )


def visit(therapist: User, family: Family, **facts: Any) -> Appointment:
    """One more visit on the current rung, held in the last hour, recorded at once."""
    current = ladder(family).current_rung
    assert current is not None
    appointment = clinical.appointment_schedule(
        actor=therapist,
        case=family.case,
        kind="contact_supervised" if current.supervised else "contact_unsupervised",
        starts_at=timezone.now() - dt.timedelta(minutes=55),
        duration_minutes=50,
        participants=[family.child, family.estranged],
    )
    pausing.contact_record(
        actor=therapist,
        appointment=appointment,
        facts=clinical.ContactFacts(
            duration_minutes=50, comfort_before=8, comfort_after=8, **facts
        ),
    )
    return appointment


@pytest.fixture
def contact(therapist: User, family: Family) -> Family:
    advance_to(therapist, family, Phase.THERAPEUTIC_CONTACT)
    return family


@pytest.fixture
def on_threshold(therapist: User, contact: Family) -> Family:
    climb_to_integration(therapist, contact)
    return contact


def test_on_the_first_rung_the_way_into_integration_is_closed_with_its_reasons(therapist, contact):
    with pytest.raises(GateClosed) as refused:
        transitions.case_advance(actor=therapist, case=contact.case)

    assert refused.value.gate.texts() == [
        "the contact ladder stands on 'Letters and messages'; integration needs 'Regular "
        "parenting time' reached first, with 3 completed visits there",
        "the child (Mia Rivers) has not given their assent to 'Regular parenting time'",
    ]
    assert [r.kind for r in refused.value.gate.reasons] == ["readiness", "record"]
    assert fresh(contact.case).phase == Phase.THERAPEUTIC_CONTACT
    event = last_event()
    assert event.action == "case.transition_refused"
    assert event.detail["reasons"] == refused.value.gate.texts()


def test_a_ladder_on_its_threshold_with_calm_visits_and_the_childs_yes_opens_the_gate(
    therapist, on_threshold
):
    assert ladder(on_threshold).current_rung == rung(on_threshold, 6)
    assert gate(on_threshold.case).is_open

    transitions.case_advance(actor=therapist, case=on_threshold.case)

    assert fresh(on_threshold.case).phase == Phase.INTEGRATION


def test_too_few_visits_on_the_threshold_is_a_readiness_reason_a_supervisor_may_co_sign(
    therapist, supervisor, on_threshold
):
    clinical.ladder_configure(actor=therapist, case=on_threshold.case, min_sessions=4)
    assert codes(on_threshold.case) == {"too_few_visits": "readiness"}
    assert gate(on_threshold.case).texts() == [
        "3 of 4 consecutive completed contact visits on 'Regular parenting time' so far"
    ]

    request = transitions.override_request(
        actor=therapist, case=on_threshold.case, rationale="Weekly weekends have gone well."
    )
    assert fresh(on_threshold.case).phase == Phase.THERAPEUTIC_CONTACT
    transitions.override_decide(actor=supervisor, request=request, approve=True)

    assert fresh(on_threshold.case).phase == Phase.INTEGRATION
    moved = Transition.objects.filter(case=on_threshold.case).latest("at", "id")
    assert (moved.kind, moved.cosigned_by) == (TransitionKind.OVERRIDE, supervisor)
    assert [r["code"] for r in moved.overridden_reasons] == ["too_few_visits"]


def test_a_safety_concern_at_a_visit_on_the_threshold_cannot_be_overridden(therapist, on_threshold):
    visit(
        therapist,
        on_threshold,
        safety_concern=True,
        safety_concern_note="Orla's partner arrived unannounced.",
    )
    screen(therapist, on_threshold.case)
    transitions.case_resume(
        actor=therapist,
        case=on_threshold.case,
        conditions=[ResumeConditions.FAMILY_STABILISATION],
    )

    reasons = codes(on_threshold.case)
    assert reasons["safety_concern"] == "safety"
    assert reasons["too_few_visits"] == "readiness"
    with pytest.raises(GateClosed, match="Only readiness reasons can be overridden"):
        transitions.override_request(
            actor=therapist, case=on_threshold.case, rationale="It was a one-off."
        )
    assert fresh(on_threshold.case).phase == Phase.THERAPEUTIC_CONTACT


def test_the_childs_no_to_the_threshold_rung_is_a_safety_reason(therapist, on_threshold):
    clinical.assent_record(
        actor=therapist,
        case=on_threshold.case,
        child=on_threshold.child,
        rung=rung(on_threshold, 6),
        given=False,
        recorded_on=timezone.localdate(),
        note="I want to keep it like it is for a while.",
    )

    assert codes(on_threshold.case) == {f"assent_withheld_{on_threshold.child.pk}": "safety"}
    assert not gate(on_threshold.case).overridable


def test_a_supervised_only_term_makes_the_threshold_unreachable_a_court_reason(
    therapist, on_threshold
):
    until = timezone.localdate() + dt.timedelta(days=30)
    order(therapist, on_threshold, TermKind.SUPERVISED_UNTIL, until=until)

    assert gate(on_threshold.case).texts() == [
        f"court order 1 allows supervised contact only until {until}"
    ]
    assert not gate(on_threshold.case).overridable
    with pytest.raises(GateClosed):
        transitions.override_request(actor=therapist, case=on_threshold.case, rationale="Please.")


def test_a_visits_only_term_makes_the_short_unsupervised_visit_the_threshold(therapist, contact):
    order(therapist, contact, TermKind.VISITS_ONLY)
    facts = with_gate_facts(Case.objects.filter(pk=contact.case.pk)).get()
    assert integration_threshold(facts, ladder(contact), today=timezone.localdate()) == rung(
        contact, 5
    )

    climb_to_integration(therapist, contact)

    assert ladder(contact).current_rung == rung(contact, 5)
    assert gate(contact.case).is_open
    # The ladder itself goes no higher while the term is in force.
    court = [r for r in ladder_gate_for(contact.case).reasons if r.kind == "court"]
    assert [r.text for r in court] == [
        "court order 1 allows unsupervised visits, not regular parenting time"
    ]


def test_a_threshold_chosen_above_what_the_court_allows_is_a_court_reason(therapist, contact):
    order(therapist, contact, TermKind.VISITS_ONLY)
    climb_to_integration(therapist, contact)
    clinical.ladder_configure(actor=therapist, case=contact.case, integration_position=6)

    reasons = codes(contact.case)
    assert reasons["below_integration_threshold"] == "readiness"
    assert any(kind == "court" for kind in reasons.values())


def test_the_therapist_can_choose_a_lower_unsupervised_threshold(therapist, contact):
    clinical.ladder_configure(actor=therapist, case=contact.case, integration_position=5)
    event = last_event()
    assert (event.action, event.detail) == ("ladder.configure", {"integration_position": 5})

    climb_to_integration(therapist, contact)

    assert ladder(contact).current_rung == rung(contact, 5)
    assert gate(contact.case).is_open


@pytest.mark.parametrize("position", [3, 9])
def test_a_supervised_or_missing_rung_is_no_threshold(therapist, contact, position):
    events = Event.objects.count()
    with pytest.raises(ValidationError, match="choose an unsupervised rung"):
        clinical.ladder_configure(actor=therapist, case=contact.case, integration_position=position)
    assert ladder(contact).integration_position is None
    assert Event.objects.count() == events


def test_the_gate_reads_the_ladder_in_a_fixed_number_of_queries(
    therapist, on_threshold, django_assert_num_queries
):
    facts = with_gate_facts(Case.objects.filter(pk=on_threshold.case.pk)).get()
    with django_assert_num_queries(0):
        gate_for(facts)
        ladder_gate(facts, facts.ladder, facts.contact_visits)


# The API --------------------------------------------------------------------------------------


def test_the_api_refuses_the_move_with_the_same_reasons(client: Client, therapist, contact):
    response = client.post(
        f"{API}/cases/{contact.case.pk}/transitions",
        {"to_phase": "integration"},
        content_type="application/json",
        headers=bearer(therapist),
    )

    assert response.status_code == 409
    data = response.json()
    assert [r["text"] for r in data["reasons"]] == gate(contact.case).texts()
    assert [(r["kind"], r["overridable"]) for r in data["reasons"]] == [
        ("readiness", True),
        ("record", False),
    ]
    assert fresh(contact.case).phase == Phase.THERAPEUTIC_CONTACT


def test_the_api_sets_and_clears_the_threshold(client: Client, therapist, contact):
    url = f"{API}/cases/{contact.case.pk}/ladder"
    headers = bearer(therapist)

    response = client.put(
        url, {"integration_position": 5}, content_type="application/json", headers=headers
    )
    assert response.status_code == 200
    assert response.json()["integration_position"] == 5
    assert response.json()["integration_threshold"]["name"] == "Short unsupervised visit"

    response = client.put(url, {"min_comfort": 7}, content_type="application/json", headers=headers)
    assert response.json()["integration_position"] == 5

    response = client.put(
        url, {"integration_position": None}, content_type="application/json", headers=headers
    )
    assert response.json()["integration_position"] is None
    assert response.json()["integration_threshold"]["name"] == "Regular parenting time"

    response = client.put(
        url, {"integration_position": 2}, content_type="application/json", headers=headers
    )
    assert response.status_code == 400
    assert "choose an unsupervised rung" in response.json()["detail"]
    assert ladder(contact).integration_position is None


# The page -------------------------------------------------------------------------------------


def test_the_ladder_page_sets_the_threshold(client: Client, therapist, contact):
    login(client, therapist)
    url = reverse("ladder_edit", args=[contact.case.pk])
    page = client.get(url).content.decode()
    assert "The rung to reach before integration and maintenance" in page
    assert "5. Short unsupervised visit (unsupervised)" in page
    assert "2. Short supervised visit in the office" not in page.split("integration_position")[1]

    response = client.post(url, ladder_form_data(contact, integration_position="5"))

    assert response.status_code == 302
    assert ladder(contact).integration_position == 5
    assert last_event().detail == {"integration_position": 5}


def test_the_ladder_page_refuses_a_supervised_threshold(client: Client, therapist, contact):
    login(client, therapist)

    response = client.post(
        reverse("ladder_edit", args=[contact.case.pk]),
        ladder_form_data(contact, integration_position="2"),
    )

    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert ladder(contact).integration_position is None
    assert not Event.objects.filter(action="ladder.configure").exists()
