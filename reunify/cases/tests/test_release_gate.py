"""The assessment gate asks for a release of information signed by each adult party, or a
court order that compels the disclosure in their stead (PRODUCT.md §2.1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases.models import Case, Party, PartyRole
from reunify.cases.tests.test_gates import record_assessment
from reunify.conftest import Family, add_party, fresh
from reunify.disclosure.models import Category, Release
from reunify.disclosure.services import release_grant, release_revoke
from reunify.process import pausing, transitions
from reunify.process.gates import GateClosed, gate_for, with_gate_facts

DAY = dt.timedelta(days=1)


def texts(case: Case, day: dt.date | None = None) -> list[str]:
    return gate_for(with_gate_facts(Case.objects.filter(pk=case.pk)).get(), today=day).texts()


def attorney(therapist: User, family: Family) -> Party:
    return add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Jo", "Lee", represents=family.estranged
    )


def signed(
    therapist: User, family: Family, recipient: Party, signer: Party, days: int = 90
) -> Release:
    return release_grant(
        actor=therapist,
        case=family.case,
        recipient=recipient,
        granted_by=signer,
        categories=[Category.ATTENDANCE],
        purpose="Representing the father",
        expires_on=timezone.localdate() + days * DAY,
    )


@pytest.fixture
def assessed(therapist: User, family: Family) -> Family:
    """Everything the assessment asks for but the releases."""
    record_assessment(therapist, family, skip=frozenset({"releases"}))
    return family


def test_without_releases_the_assessment_gate_names_each_adult_party(therapist, assessed):
    assert texts(assessed.case) == [
        "no release of information signed by the estranged parent (Daniel Rivers)",
        "no release of information signed by the other parent (Laura Rivers)",
    ]
    gate = transitions.case_gate(assessed.case)
    assert {r.kind for r in gate.reasons} == {"record"}
    assert not gate.overridable
    with pytest.raises(GateClosed):
        transitions.case_advance(actor=therapist, case=assessed.case)
    assert fresh(assessed.case).phase == "assessment"


def test_a_guardian_signs_too_but_not_the_child_or_extended_family(therapist, assessed):
    guardian = add_party(therapist, assessed.case, PartyRole.GUARDIAN, "Ruth", "Rivers")
    add_party(therapist, assessed.case, PartyRole.EXTENDED_FAMILY, "Nan", "Rivers")

    assert f"no release of information signed by {guardian.label}" in texts(assessed.case)
    assert not [t for t in texts(assessed.case) if "Nan Rivers" in t or "Mia Rivers" in t]


def test_each_release_signed_opens_the_gate_for_its_signer(therapist, assessed):
    lawyer = attorney(therapist, assessed)
    signed(therapist, assessed, lawyer, assessed.estranged)
    assert texts(assessed.case) == [
        "no release of information signed by the other parent (Laura Rivers)"
    ]

    signed(therapist, assessed, lawyer, assessed.other)

    assert transitions.case_gate(assessed.case).is_open


def test_a_revoked_or_expired_release_no_longer_counts(therapist, assessed):
    lawyer = attorney(therapist, assessed)
    release = signed(therapist, assessed, lawyer, assessed.estranged, days=10)
    signed(therapist, assessed, lawyer, assessed.other)
    assert texts(assessed.case) == []
    assert texts(assessed.case, timezone.localdate() + 11 * DAY) == [
        "no release of information signed by the estranged parent (Daniel Rivers)"
    ]

    release_revoke(actor=therapist, release=release, reason="Daniel withdrew it.")

    assert texts(assessed.case) == [
        "no release of information signed by the estranged parent (Daniel Rivers)"
    ]


def test_a_court_order_compelling_disclosure_stands_in_for_the_signatures(therapist, assessed):
    court = add_party(therapist, assessed.case, PartyRole.COURT, "Clerk,", "Department 3")
    order = pausing.court_order_record(
        actor=therapist,
        case=assessed.case,
        court="Superior Court",
        court_case_number="FL-7",
        issued_on=timezone.localdate(),
        terms=[],
    )
    release_grant(
        actor=therapist,
        case=assessed.case,
        recipient=court,
        court_order=order,
        categories=[Category.PROGRESS],
        purpose="Progress reports ordered by the court",
        expires_on=timezone.localdate() + 90 * DAY,
    )

    assert transitions.case_gate(assessed.case).is_open
