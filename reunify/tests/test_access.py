"""The authorisation module as a matrix: every role x every action x own case / another family's.

A case out of sight answers 404 (its existence is not confirmed); a case in sight but not the
user's to change answers 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from reunify import access
from reunify.access import Action
from reunify.accounts.models import Role, User
from reunify.cases.models import Case, Party, PartyRole
from reunify.conftest import add_party, make_case, make_user

ALLOWED, FORBIDDEN, HIDDEN = "allowed", "403", "404"
PEOPLE = [
    "therapist",
    "co_therapist",
    "evaluator",
    "supervisor",
    "other_supervisor",
    "outsider",
    "monitor",
    "admin",
    "inactive",
    "anonymous",
]
# Who may do what to the Rivers case.
OWN_CASE = {
    "therapist": {
        Action.VIEW: ALLOWED,
        Action.EDIT: ALLOWED,
        Action.COSIGN: FORBIDDEN,
        Action.RECORD: ALLOWED,
    },
    "co_therapist": {
        Action.VIEW: ALLOWED,
        Action.EDIT: ALLOWED,
        Action.COSIGN: FORBIDDEN,
        Action.RECORD: ALLOWED,
    },
    "evaluator": {
        Action.VIEW: ALLOWED,
        Action.EDIT: FORBIDDEN,
        Action.COSIGN: FORBIDDEN,
        Action.RECORD: FORBIDDEN,
    },
    "supervisor": {
        Action.VIEW: ALLOWED,
        Action.EDIT: FORBIDDEN,
        Action.COSIGN: ALLOWED,
        Action.RECORD: FORBIDDEN,
    },
    **{
        who: dict.fromkeys(Action, HIDDEN)
        for who in ("other_supervisor", "outsider", "monitor", "admin", "inactive", "anonymous")
    },
}
# Everyone with a link to the Rivers case, and everyone with none: the Okafor case is hidden.
STRANGERS_TO_OTHER_FAMILY = [p for p in PEOPLE if p not in ("outsider", "other_supervisor")]


@pytest.fixture
def people(
    therapist: User, supervisor: User, outsider: User, monitor: User, admin_user: User
) -> dict[str, Any]:
    inactive = make_user("former")
    inactive.is_active = False
    inactive.save(update_fields=["is_active"])  # no deactivation service yet
    return {
        "therapist": therapist,
        "co_therapist": make_user("cotherapist", supervisor=supervisor),
        "evaluator": make_user("evaluator"),
        "supervisor": supervisor,
        "other_supervisor": outsider.supervisor,
        "outsider": outsider,
        "monitor": monitor,
        "admin": admin_user,
        "inactive": inactive,
        "anonymous": AnonymousUser(),
    }


@pytest.fixture
def own_case(people: dict[str, Any]) -> Case:
    case = make_case(people["therapist"], evaluator=people["evaluator"])
    # No service assigns co-therapists yet; the relation is what access reads.
    case.co_therapists.add(people["co_therapist"], people["inactive"])
    return case


def check(user: Any, action: Action, case: Case, expected: str) -> None:
    assert access.can(user, action, case) is (expected == ALLOWED)
    if expected == ALLOWED:
        access.require(user, action, case)
        assert access.case_get(user, case.pk, action) == case
        return
    error = Http404 if expected == HIDDEN else PermissionDenied
    with pytest.raises(error):
        access.require(user, action, case)
    with pytest.raises(error):
        access.case_get(user, case.pk, action)


@pytest.mark.parametrize(
    ("who", "action", "expected"),
    [(who, action, OWN_CASE[who][action]) for who in PEOPLE for action in Action],
    ids=[f"{who}-{action}" for who in PEOPLE for action in Action],
)
def test_who_may_do_what_to_the_familys_case(people, own_case, who, action, expected):
    check(people[who], action, own_case, expected)


@pytest.mark.parametrize(
    ("who", "action"),
    [(who, action) for who in STRANGERS_TO_OTHER_FAMILY for action in Action],
    ids=[f"{who}-{action}" for who in STRANGERS_TO_OTHER_FAMILY for action in Action],
)
def test_another_familys_case_is_hidden(people, own_case, other_family, who, action):
    check(people[who], action, other_family.case, HIDDEN)


def test_the_other_family_has_its_own_therapist_and_supervisor(people, other_family):
    check(people["outsider"], Action.EDIT, other_family.case, ALLOWED)
    check(people["other_supervisor"], Action.COSIGN, other_family.case, ALLOWED)
    check(people["other_supervisor"], Action.EDIT, other_family.case, FORBIDDEN)


def test_a_case_that_does_not_exist_is_as_hidden_as_one_that_does(people, own_case):
    with pytest.raises(Http404):
        access.case_get(people["therapist"], own_case.pk + 10_000)


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("therapist", ["Rivers family"]),
        ("co_therapist", ["Rivers family"]),
        ("evaluator", ["Rivers family"]),
        ("supervisor", ["Rivers family"]),
        ("other_supervisor", ["Okafor family"]),
        ("outsider", ["Okafor family"]),
        ("monitor", []),
        ("admin", []),
        ("inactive", []),
        ("anonymous", []),
    ],
)
def test_each_person_lists_only_the_cases_they_may_see(people, own_case, other_family, who, sees):
    visible = access.cases_for(people[who])

    assert [c.title for c in visible] == sees
    assert [c.title for c in access.cases_for(people[who]).open()] == sees


@pytest.mark.parametrize("who", STRANGERS_TO_OTHER_FAMILY)
def test_cases_for_never_returns_another_familys_case(people, own_case, other_family, who):
    assert not access.cases_for(people[who]).filter(pk=other_family.case.pk).exists()


def test_a_therapist_with_many_links_to_a_case_sees_it_once(people, own_case):
    own_case.co_therapists.add(people["therapist"])

    assert list(access.cases_for(people["therapist"])) == [own_case]


@pytest.mark.parametrize(
    ("who", "may"),
    [
        ("therapist", True),
        ("supervisor", True),
        ("outsider", True),
        ("monitor", False),
        ("admin", False),
        ("inactive", False),
        ("anonymous", False),
    ],
)
def test_only_active_therapists_and_supervisors_open_cases(people, who, may):
    assert access.may_create_case(people[who]) is may


@pytest.fixture
def mother(people: dict[str, Any], own_case: Case) -> Party:
    return add_party(
        people["therapist"],
        own_case,
        PartyRole.OTHER_PARENT,
        "Laura",
        "Rivers",
        address="17 Quiet Lane",
        protected_address=True,
    )


@pytest.mark.parametrize(
    ("who", "may"),
    [
        ("therapist", True),
        ("co_therapist", True),
        ("evaluator", False),
        ("supervisor", False),
        ("outsider", False),
        ("anonymous", False),
    ],
)
def test_a_protected_address_is_for_the_treating_therapists_only(
    people, own_case, mother, who, may
):
    assert access.may_see_contact(people[who], own_case, mother.person) is may


@pytest.mark.parametrize(
    ("who", "may"),
    [("therapist", True), ("evaluator", True), ("supervisor", True), ("outsider", False)],
)
def test_ordinary_contact_details_go_with_the_case(people, own_case, who, may):
    father = add_party(people["therapist"], own_case, PartyRole.ESTRANGED_PARENT, "Dan", "Rivers")

    assert access.may_see_contact(people[who], own_case, father.person) is may


@pytest.mark.parametrize(
    ("who", "may"),
    [
        ("therapist", True),
        ("co_therapist", True),
        ("evaluator", True),
        ("supervisor", True),
        ("outsider", False),
        ("monitor", False),
        ("admin", False),
        ("anonymous", False),
    ],
)
def test_a_substitute_address_goes_with_the_case(people, own_case, mother, who, may):
    assert access.may_see_substitute_address(people[who], own_case, mother.person) is may


def test_a_supervisor_who_treats_a_case_may_edit_it(people, own_case):
    own_case.co_therapists.add(people["other_supervisor"])

    check(people["other_supervisor"], Action.EDIT, own_case, ALLOWED)
    check(people["other_supervisor"], Action.COSIGN, own_case, FORBIDDEN)


def test_a_deactivated_therapist_of_record_loses_the_case(people, own_case):
    therapist = people["therapist"]
    User.objects.filter(pk=therapist.pk).update(is_active=False)
    therapist.refresh_from_db()

    check(therapist, Action.VIEW, own_case, HIDDEN)
    assert not access.cases_for(therapist).exists()


def test_a_supervisor_role_alone_does_not_open_every_case(people, own_case):
    stranger = make_user("newsupervisor", Role.SUPERVISOR)

    check(stranger, Action.VIEW, own_case, HIDDEN)
