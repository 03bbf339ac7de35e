"""Recording the case: good input is saved and logged; bad input is refused and changes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases import services
from reunify.cases.models import (
    Case,
    Consent,
    CourtOrder,
    CourtTerm,
    DocumentReview,
    Intake,
    Party,
    PartyRole,
    Person,
    ReadinessRating,
    Transition,
)
from reunify.cases.services import TermInput
from reunify.conftest import Family, make_case
from reunify.process import pausing

DAY = dt.timedelta(days=1)
TRACKED = (
    Case,
    Person,
    Party,
    CourtOrder,
    CourtTerm,
    Intake,
    Consent,
    DocumentReview,
    ReadinessRating,
    Transition,
    Event,
)


def today() -> dt.date:
    return timezone.localdate()


def snapshot() -> dict[str, Any]:
    counts: dict[str, Any] = {model.__name__: model.objects.count() for model in TRACKED}
    counts["cases"] = list(Case.objects.order_by("pk").values_list("phase", "paused_at"))
    return counts


@dataclass
class World:
    therapist: User
    family: Family
    other_family: Family
    attorney: Party

    @property
    def case(self) -> Case:
        return self.family.case


@pytest.fixture
def world(therapist: User, family: Family, other_family: Family) -> World:
    attorney = services.party_add(
        actor=therapist,
        case=family.case,
        role=PartyRole.ATTORNEY,
        first_name="Jo",
        last_name="Lee",
        represents=family.other,
    )
    return World(therapist, family, other_family, attorney)


def open_case(w: World, **fields: Any) -> Case:
    return make_case(w.therapist, **fields)


def add(w: World, **fields: Any) -> Party:
    fields.setdefault("first_name", "Ana")
    fields.setdefault("last_name", "Rivers")
    return services.party_add(actor=w.therapist, case=w.case, **fields)


def intake(w: World, party: Party, held_on: dt.date | None = None) -> Intake:
    return services.intake_record(
        actor=w.therapist, case=w.case, party=party, held_on=held_on or today()
    )


def consent(
    w: World, party: Party, kind: str = "informed_consent", signed_on: dt.date | None = None
) -> Consent:
    return services.consent_record(
        actor=w.therapist, case=w.case, party=party, kind=kind, signed_on=signed_on or today()
    )


def rating(w: World, party: Party, level: str = "ready", rated_on: dt.date | None = None) -> Any:
    return services.readiness_record(
        actor=w.therapist, case=w.case, party=party, level=level, rated_on=rated_on or today()
    )


def order(w: World, *terms: TermInput, **fields: Any) -> CourtOrder:
    values: dict[str, Any] = {
        "court": "Superior Court",
        "court_case_number": "FL-2024-0117",
        "issued_on": today(),
    }
    values.update(fields)
    return pausing.court_order_record(actor=w.therapist, case=w.case, terms=list(terms), **values)


BAD_INPUT: list[tuple[str, Callable[[World], Any], str]] = [
    # opening a case
    (
        "referral-in-the-future",
        lambda w: open_case(w, referral_date=today() + DAY),
        "is in the future",
    ),
    (
        "unknown-referral-source",
        lambda w: open_case(w, referral_source="oracle"),
        "Unknown referral",
    ),
    ("unknown-scenario", lambda w: open_case(w, scenarios=["bad_luck"]), "Unknown presenting"),
    ("case-without-a-name", lambda w: open_case(w, title="  "), "A name for the case is required"),
    ("case-without-a-reason", lambda w: open_case(w, referral_reason=""), "referral reason is"),
    # parties
    ("unknown-party-role", lambda w: add(w, role="uncle"), "Unknown role 'uncle'"),
    ("party-without-first-name", lambda w: add(w, role="guardian", first_name=""), "First name"),
    ("party-without-last-name", lambda w: add(w, role="guardian", last_name=" "), "Last name"),
    (
        "attorney-without-represents",
        lambda w: add(w, role="attorney", organisation="Lee & Co"),
        "Name the party this attorney acts for",
    ),
    (
        "attorney-for-another-familys-party",
        lambda w: add(w, role="attorney", represents=w.other_family.estranged),
        "That party does not belong to this case",
    ),
    (
        "non-attorney-representing",
        lambda w: add(w, role="guardian", represents=w.family.child),
        "Only an attorney acts for another party",
    ),
    (
        "same-role-twice",
        lambda w: services.party_add(
            actor=w.therapist, case=w.case, role="child", person=w.family.child.person
        ),
        "already has that role in this case",
    ),
    (
        "person-from-a-case-out-of-sight",
        lambda w: services.party_add(
            actor=w.therapist, case=w.case, role="guardian", person=w.other_family.child.person
        ),
        "not in any case you can see, or their details",
    ),
    # intakes
    (
        "intake-in-the-future",
        lambda w: intake(w, w.family.child, today() + DAY),
        "The intake date",
    ),
    (
        "intake-with-another-familys-party",
        lambda w: intake(w, w.other_family.child),
        "does not belong to this case",
    ),
    (
        "intake-with-an-attorney",
        lambda w: intake(w, w.attorney),
        "not with professionals",
    ),
    # consents
    ("consent-for-a-child", lambda w: consent(w, w.family.child), "Child is not an adult"),
    ("unknown-consent", lambda w: consent(w, w.family.other, "waiver"), "Unknown consent"),
    (
        "consent-signed-in-the-future",
        lambda w: consent(w, w.family.other, signed_on=today() + DAY),
        "The signature date",
    ),
    (
        "consent-of-another-familys-parent",
        lambda w: consent(w, w.other_family.other),
        "does not belong to this case",
    ),
    # document review
    (
        "review-without-description",
        lambda w: services.document_review_record(
            actor=w.therapist, case=w.case, reviewed_on=today(), none_provided=False
        ),
        "Say which documents were reviewed",
    ),
    (
        "review-in-the-future",
        lambda w: services.document_review_record(
            actor=w.therapist, case=w.case, reviewed_on=today() + DAY, none_provided=True
        ),
        "The review date",
    ),
    # readiness
    ("unknown-readiness", lambda w: rating(w, w.family.child, "eager"), "Unknown readiness"),
    (
        "rating-in-the-future",
        lambda w: rating(w, w.family.child, rated_on=today() + DAY),
        "The rating date",
    ),
    (
        "rating-another-familys-child",
        lambda w: rating(w, w.other_family.child),
        "does not belong to this case",
    ),
    (
        "rating-an-attorney",
        lambda w: rating(w, w.attorney),
        "family members only",
    ),
    # court orders
    (
        "order-issued-in-the-future",
        lambda w: order(w, issued_on=today() + DAY),
        "The order's issue date",
    ),
    ("unknown-term", lambda w: order(w, TermInput("house_arrest")), "Unknown court term"),
    (
        "supervised-without-end-date",
        lambda w: order(w, TermInput("supervised_until")),
        "needs its end date",
    ),
    (
        "reporting-duty-without-due-date",
        lambda w: order(w, TermInput("reporting_duty")),
        "needs its due date",
    ),
    ("other-term-without-words", lambda w: order(w, TermInput("other")), "Describe the term"),
    ("order-without-court", lambda w: order(w, court=""), "The court is required"),
    (
        "order-without-case-number",
        lambda w: order(w, TermInput("no_contact"), court_case_number=" "),
        "The court case number is required",
    ),
]


@pytest.mark.parametrize(
    ("call", "message"), [(c, m) for _, c, m in BAD_INPUT], ids=[i for i, _, _ in BAD_INPUT]
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(world, call, message):
    before = snapshot()

    with pytest.raises(ValidationError) as refused:
        call(world)

    assert message in " ".join(refused.value.messages)
    assert snapshot() == before


def test_an_inactive_therapist_cannot_be_given_a_case(world, therapist):
    therapist.is_active = False
    therapist.save(update_fields=["is_active"])  # no deactivation service yet
    colleague = world.other_family.case.therapist
    before = snapshot()

    with pytest.raises(ValidationError, match="not an active therapist"):
        services.case_open(
            actor=colleague,
            therapist=therapist,
            title="Reyes family",
            referral_source="cps",
            referral_date=today(),
            referral_reason="Long separation.",
            court_ordered=False,
            scenarios=[],
        )

    assert snapshot() == before


# --- what good input records ---------------------------------------------------------------


def test_a_new_case_starts_in_assessment_and_is_logged(therapist):
    case = make_case(
        therapist, scenarios=["loyalty_conflict", "child_resistance", "loyalty_conflict"]
    )

    assert case.phase == "assessment"
    assert case.therapist == therapist
    assert case.scenarios == ["child_resistance", "loyalty_conflict"]
    assert case.scenario_labels() == [
        "Child's resistance or refusal",
        "Loyalty conflict or alienation claims",
    ]
    event = Event.objects.order_by("-id").first()
    assert (event.action, event.case_id, event.actor) == ("case.open", case.pk, therapist)


def test_an_attorney_is_recorded_with_the_party_they_act_for(world):
    assert world.attorney.represents == world.family.other
    assert list(world.family.other.represented_by.all()) == [world.attorney]
    assert world.attorney.label == "attorney (Jo Lee)"


def test_the_same_person_can_have_a_role_in_two_cases(world, therapist):
    second = make_case(therapist, title="Rivers family (half-sibling)")

    party = services.party_add(
        actor=therapist, case=second, role=PartyRole.OTHER_PARENT, person=world.family.other.person
    )

    assert party.person == world.family.other.person
    assert Person.objects.filter(pk=party.person_id).count() == 1


def test_a_protected_address_is_kept_and_can_be_lifted(world):
    assert world.family.other.person.protected_address

    services.party_protect(actor=world.therapist, party=world.family.other, protected=False)

    assert not Person.objects.get(pk=world.family.other.person_id).protected_address
    assert Event.objects.order_by("-id").first().action == "party.unprotect"


def test_a_court_order_keeps_its_terms_in_words(world):
    recorded = order(
        world,
        TermInput("supervised_until", until=dt.date(2027, 1, 15)),
        TermInput("reporting_duty", due_on=dt.date(2026, 9, 1), text="progress letter"),
        judge="Hon. R. Alvarez",
    )

    assert recorded.number == 1
    assert [t.describe() for t in recorded.terms.all()] == [
        "supervised contact only until 2027-01-15",
        "report to the court due 2026-09-01: progress letter",
    ]
    assert order(world).number == 2


def test_someone_outside_the_case_records_nothing(world, outsider, supervisor):
    before = snapshot()

    with pytest.raises(Http404):
        services.intake_record(
            actor=outsider, case=world.case, party=world.family.child, held_on=today()
        )
    with pytest.raises(PermissionDenied):
        services.intake_record(
            actor=supervisor, case=world.case, party=world.family.child, held_on=today()
        )

    assert snapshot() == before
