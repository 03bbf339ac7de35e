"""The gate into therapeutic contact reads willingness and the support system's alignment:
each new reason closes the gate, is a readiness reason (a supervisor may co-sign past it), and
resolving it opens the gate again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reunify.accounts.models import User
from reunify.cases import services
from reunify.cases.models import Case, ConsentKind, PartyRole, Phase
from reunify.cases.selectors import caseload
from reunify.conftest import (
    Family,
    add_party,
    advance_to,
    complete_modules,
    make_family,
    rate_all_ready,
    screen,
    sign_releases,
)
from reunify.measures.services import alignment_record, willingness_record
from reunify.process import transitions
from reunify.process.gates import Gate, GateClosed, gate_for, with_gate_facts

DAY = dt.timedelta(days=1)
PARTIES = {
    "estranged": "the estranged parent (Daniel Rivers)",
    "other": "the other parent (Laura Rivers)",
    "child": "the child (Mia Rivers)",
}


def today() -> dt.date:
    return timezone.localdate()


def gate(case: Case) -> Gate:
    return gate_for(with_gate_facts(Case.objects.filter(pk=case.pk)).get())


def willing(therapist: User, family: Family, who: str, level: str, days_ago: int = 0) -> None:
    willingness_record(
        actor=therapist,
        case=family.case,
        party=getattr(family, who),
        level=level,
        rated_on=today() - days_ago * DAY,
    )


def ready_without_willingness(therapist: User) -> Family:
    """A family in individual work, everyone rated ready, nobody's willingness rated yet."""
    family = make_family(therapist, title="Larch family", last="Larch")
    case = family.case
    for n, party in enumerate((family.estranged, family.other, family.child)):
        services.intake_record(actor=therapist, case=case, party=party, held_on=today() - n * DAY)
    for party in (family.estranged, family.other):
        for kind in ConsentKind.values:
            services.consent_record(
                actor=therapist, case=case, party=party, kind=kind, signed_on=today()
            )
    services.document_review_record(
        actor=therapist, case=case, reviewed_on=today(), none_provided=True
    )
    sign_releases(therapist, family)
    screen(therapist, case)
    transitions.case_advance(actor=therapist, case=case)
    complete_modules(therapist, family)
    transitions.case_advance(actor=therapist, case=case)
    for party in (family.child, family.estranged, family.other):
        services.readiness_record(
            actor=therapist, case=case, party=party, level="ready", rated_on=today()
        )
    return family


@pytest.fixture
def ready_for_contact(therapist: User, family: Family) -> Family:
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    rate_all_ready(therapist, family)
    assert gate(family.case).is_open
    return family


@pytest.mark.parametrize("who", ["estranged", "other", "child"])
def test_an_unwilling_party_holds_the_gate_and_may_be_overridden(
    therapist: User, ready_for_contact: Family, who: str
) -> None:
    willing(therapist, ready_for_contact, who, "unwilling")

    closed = gate(ready_for_contact.case)
    assert closed.texts() == [f"the willingness of {PARTIES[who]} is 'unwilling' ({today()})"]
    party = getattr(ready_for_contact, who)
    assert [r.code for r in closed.reasons] == [f"willingness_unwilling_{party.pk}"]
    assert closed.reasons[0].kind == "readiness"
    assert closed.overridable

    willing(therapist, ready_for_contact, who, "open")

    assert gate(ready_for_contact.case).is_open


def test_the_other_parents_unwillingness_blocks_the_move_and_is_logged(
    therapist: User, ready_for_contact: Family
) -> None:
    willing(therapist, ready_for_contact, "other", "unwilling")

    with pytest.raises(GateClosed) as refused:
        transitions.case_advance(actor=therapist, case=ready_for_contact.case)

    assert "the willingness of the other parent (Laura Rivers) is 'unwilling'" in str(refused.value)
    assert ready_for_contact.case.phase == Phase.INDIVIDUAL_WORK


def test_ambivalence_is_shown_but_does_not_hold_the_gate(
    therapist: User, ready_for_contact: Family
) -> None:
    willing(therapist, ready_for_contact, "child", "ambivalent")
    assert gate(ready_for_contact.case).is_open


def test_the_latest_willingness_counts_not_an_older_one(
    therapist: User, ready_for_contact: Family
) -> None:
    willing(therapist, ready_for_contact, "estranged", "unwilling", days_ago=3)
    assert gate(ready_for_contact.case).is_open

    willing(therapist, ready_for_contact, "estranged", "unwilling")
    assert not gate(ready_for_contact.case).is_open


def test_willingness_not_yet_rated_holds_the_gate_for_each_parent_and_the_child(
    therapist: User,
) -> None:
    family = ready_without_willingness(therapist)
    names = {"estranged": "the estranged parent", "other": "the other parent", "child": "the child"}

    closed = gate(family.case)

    assert sorted(closed.texts()) == sorted(
        f"willingness of {names[who]} ({first} Larch) not rated yet"
        for who, first in (("child", "Mia"), ("estranged", "Daniel"), ("other", "Laura"))
    )
    assert all(r.code.startswith("willingness_unrated_") for r in closed.reasons)
    assert closed.overridable

    for who in ("child", "estranged", "other"):
        willing(therapist, family, who, "engaged")
    assert gate(family.case).is_open


def test_willingness_does_not_touch_the_earlier_gates(therapist: User, family: Family) -> None:
    willing(therapist, family, "other", "unwilling")
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    assert family.case.phase == Phase.INDIVIDUAL_WORK


def test_a_support_system_not_aligned_holds_the_gate_and_may_be_overridden(
    therapist: User, ready_for_contact: Family
) -> None:
    case = ready_for_contact.case
    alignment_record(
        actor=therapist, case=case, stakeholder="court", status="not_aligned", rated_on=today()
    )

    closed = gate(case)
    assert closed.texts() == [f"the court is not aligned with the treatment plan ({today()})"]
    assert closed.reasons[0].code == "not_aligned_court_0"
    assert closed.overridable

    alignment_record(
        actor=therapist, case=case, stakeholder="court", status="aligned", rated_on=today()
    )
    assert gate(case).is_open


def test_each_attorney_is_rated_apart(therapist: User, ready_for_contact: Family) -> None:
    case = ready_for_contact.case
    lawyers = [
        add_party(
            therapist,
            case,
            PartyRole.ATTORNEY,
            first,
            "Silva",
            represents=getattr(ready_for_contact, who),
        )
        for first, who in (("Ana", "estranged"), ("Rui", "other"))
    ]
    for lawyer, status in zip(lawyers, ("aligned", "not_aligned"), strict=True):
        alignment_record(
            actor=therapist,
            case=case,
            stakeholder="attorney",
            party=lawyer,
            status=status,
            rated_on=today(),
        )

    assert gate(case).texts() == [
        "the attorney for Laura Rivers (Rui Silva) is not aligned with the treatment plan "
        f"({today()})"
    ]


def test_unknown_alignment_does_not_hold_the_gate(
    therapist: User, ready_for_contact: Family
) -> None:
    alignment_record(
        actor=therapist,
        case=ready_for_contact.case,
        stakeholder="school",
        status="unknown",
        rated_on=today(),
    )
    assert gate(ready_for_contact.case).is_open


def test_an_override_passes_willingness_and_alignment_reasons(
    therapist: User, supervisor: User, ready_for_contact: Family
) -> None:
    case = ready_for_contact.case
    willing(therapist, ready_for_contact, "other", "unwilling")
    alignment_record(
        actor=therapist, case=case, stakeholder="gal", status="not_aligned", rated_on=today()
    )
    request = transitions.override_request(
        actor=therapist, case=case, rationale="Letters only; both concerns are about visits."
    )
    transitions.override_decide(actor=supervisor, request=request, approve=True)

    assert Case.objects.get(pk=case.pk).phase == Phase.THERAPEUTIC_CONTACT


def test_the_gate_reads_willingness_without_a_query_per_case(therapist: User) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            caseload(therapist)
        return len(captured.captured_queries)

    first = make_family(therapist, title="A family", last="A")
    willingness_record(
        actor=therapist, case=first.case, party=first.other, level="open", rated_on=today()
    )
    one = count()
    for n in range(3):
        other = make_family(therapist, title=f"B{n} family", last=f"B{n}")
        willingness_record(
            actor=therapist, case=other.case, party=other.child, level="open", rated_on=today()
        )
        alignment_record(
            actor=therapist, case=other.case, stakeholder="cps", status="aligned", rated_on=today()
        )
    assert count() == one
