"""The child's voice: a private check-in, from the portal or recorded in session, seen by the
treating therapists alone; "I want to slow down" raises a task and offers a step down."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.sections import section_url
from reunify.cases.selectors import case_timeline
from reunify.clinical.tests.factories import climb_to, in_contact, ladder_of, stopped_clock
from reunify.conftest import Family, bearer, case_text, last_event, login, make_user
from reunify.measures.models import ChildCheckin, Task
from reunify.portal.tests.factories import portal_user
from reunify.process import pausing

WORDS = "I liked the pancakes but I'm scared of the long visits."


def answers(**overrides: Any) -> dict[str, Any]:
    data = {"ready": "4", "safe": "7", "last_visit": "hard", "slow_down": "on", "words": WORDS}
    data.update(overrides)
    return data


def checkin(therapist: User, family: Family, *, slow_down: bool = True) -> ChildCheckin:
    return pausing.checkin_record(
        actor=therapist,
        case=family.case,
        child=family.child,
        ready=4,
        safe=7,
        last_visit="hard",
        slow_down=slow_down,
        words=WORDS,
    )


@pytest.fixture
def child_user(therapist: User, family: Family) -> User:
    return portal_user(therapist, family.child, "mia@example.invalid")


@pytest.fixture
def parent_user(therapist: User, family: Family) -> User:
    return portal_user(therapist, family.other, "laura@example.invalid")


# The child on the portal ----------------------------------------------------------------------


def test_a_child_checks_in_on_the_portal(client: Client, child_user: User, family: Family) -> None:
    login(client, child_user)
    address = reverse("portal_checkin", args=[family.child.pk])
    page = client.get(address)
    assert page.status_code == 200
    assert "Only your therapist sees what you write here" in page.content.decode()

    response = client.post(address, answers())

    assert response.status_code == 302
    saved = ChildCheckin.objects.get()
    assert (saved.ready, saved.safe, saved.slow_down, saved.source) == (4, 7, True, "portal")
    assert saved.recorded_by == child_user
    event = last_event()
    assert (event.action, event.actor_id, event.case_id) == (
        "child_checkin.record",
        child_user.pk,
        family.case.pk,
    )
    assert WORDS not in str(event.detail)  # the audit says it arrived, never what it says
    assert "only to your therapist" in client.get(address).content.decode()


def test_slow_down_on_the_portal_raises_a_task(
    client: Client, child_user: User, family: Family
) -> None:
    login(client, child_user)
    client.post(reverse("portal_checkin", args=[family.child.pk]), answers())
    task = Task.objects.get()
    assert task.case == family.case
    assert task.text.startswith("Mia asked to slow down (check-in of ")
    assert task.checkin == ChildCheckin.objects.get()


def test_no_task_without_slow_down(client: Client, child_user: User, family: Family) -> None:
    login(client, child_user)
    client.post(reverse("portal_checkin", args=[family.child.pk]), answers(slow_down=""))
    assert ChildCheckin.objects.count() == 1
    assert not Task.objects.exists()


def test_bad_portal_input_is_named_and_nothing_is_saved(
    client: Client, child_user: User, family: Family
) -> None:
    login(client, child_user)
    response = client.post(
        reverse("portal_checkin", args=[family.child.pk]), answers(ready="11", last_visit="")
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Your check-in was not sent" in page
    assert "Choose how the last visit felt, or that there was none." in page
    assert not ChildCheckin.objects.exists()


def test_a_parent_has_no_check_in_page(client: Client, parent_user: User, family: Family) -> None:
    login(client, parent_user)
    for party in (family.other, family.child):
        address = reverse("portal_checkin", args=[party.pk])
        assert client.get(address).status_code == 404
        assert client.post(address, answers()).status_code == 404
    assert not ChildCheckin.objects.exists()


def test_another_familys_child_cannot_check_in_here(
    client: Client, outsider: User, other_family: Family, family: Family
) -> None:
    other_child = portal_user(outsider, other_family.child, "kid@example.invalid")
    login(client, other_child)
    assert (
        client.post(reverse("portal_checkin", args=[family.child.pk]), answers()).status_code == 404
    )
    assert not ChildCheckin.objects.exists()


def test_staff_have_no_portal_check_in(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)
    assert client.get(reverse("portal_checkin", args=[family.child.pk])).status_code == 404


def test_the_portal_page_needs_a_login(client: Client, family: Family) -> None:
    response = client.get(reverse("portal_checkin", args=[family.child.pk]))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_portal_user_cannot_check_in_as_someone_else(parent_user: User, family: Family) -> None:
    with pytest.raises(PermissionDenied):
        pausing.checkin_record(
            actor=parent_user,
            case=family.case,
            child=family.child,
            ready=1,
            safe=1,
            last_visit="none",
            slow_down=True,
        )
    assert not Task.objects.exists()


# Who sees a check-in ------------------------------------------------------------------------


def test_the_therapist_sees_the_check_ins(client: Client, therapist: User, family: Family) -> None:
    checkin(therapist, family)
    login(client, therapist)
    page = client.get(reverse("checkin_list", args=[family.case.pk])).content.decode()
    assert "I liked the pancakes but I&#x27;m scared of the long visits." in page
    assert "Wants to slow down" in page
    assert Event.objects.filter(
        action="case.view", actor=therapist, detail__what="child check-ins"
    ).exists()


def test_a_co_therapist_sees_the_check_ins(client: Client, therapist: User, family: Family) -> None:
    colleague = make_user("colleague")
    family.case.co_therapists.add(colleague)
    checkin(therapist, family)
    login(client, colleague)
    assert client.get(reverse("checkin_list", args=[family.case.pk])).status_code == 200


@pytest.mark.parametrize("who", ["supervisor", "evaluator", "outsider", "monitor", "admin_user"])
def test_nobody_else_on_the_staff_sees_a_check_in(
    client: Client, therapist: User, family: Family, who: str, request: Any
) -> None:
    if who == "evaluator":
        user = make_user("evaluator")
        family.case.evaluator = user
        family.case.save(update_fields=["evaluator"])  # no evaluator service: test set-up only
    else:
        user = request.getfixturevalue(who)
    checkin(therapist, family)
    login(client, user)
    for address in (
        reverse("checkin_list", args=[family.case.pk]),
        reverse("checkin_new", args=[family.case.pk]),
    ):
        assert client.get(address).status_code == 404
    response = client.get(f"/api/v1/cases/{family.case.pk}/checkins", headers=bearer(user))
    assert response.status_code == 404
    case_page = case_text(client, family.case.pk)
    assert WORDS not in case_page
    assert "asked to slow down" not in case_page


def test_the_supervisor_reads_the_case_but_not_the_check_ins(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    checkin(therapist, family)
    login(client, supervisor)
    page = client.get(section_url(family.case.pk, "measures"))
    assert page.status_code == 200
    assert reverse("checkin_list", args=[family.case.pk]) not in page.content.decode()


def test_a_parent_never_sees_a_check_in(
    client: Client, therapist: User, parent_user: User, family: Family
) -> None:
    checkin(therapist, family)
    login(client, parent_user)
    for address in (
        reverse("portal_party", args=[family.other.pk]),
        reverse("checkin_list", args=[family.case.pk]),
    ):
        response = client.get(address)
        assert WORDS not in response.content.decode()
    assert client.get(reverse("checkin_list", args=[family.case.pk])).status_code == 404


def test_the_timeline_does_not_show_check_ins(therapist: User, family: Family) -> None:
    checkin(therapist, family)
    assert not [e for e in case_timeline(family.case) if "checkin" in e.action]


def test_the_check_in_page_answers_404_for_another_family(
    client: Client, therapist: User, other_family: Family
) -> None:
    login(client, therapist)
    assert client.get(reverse("checkin_list", args=[other_family.case.pk])).status_code == 404


def test_access_refuses_everyone_but_the_treating_therapists(
    therapist: User, supervisor: User, family: Family
) -> None:
    from reunify import access

    assert access.checkin_case_get(therapist, family.case.pk) == family.case
    with pytest.raises(Http404):
        access.checkin_case_get(supervisor, family.case.pk)


# The therapist records a check-in in session ----------------------------------------------------


def test_the_therapist_records_a_check_in_in_session(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    response = client.post(
        reverse("checkin_new", args=[family.case.pk]), {**answers(), "child": family.child.pk}
    )
    assert response.status_code == 302
    saved = ChildCheckin.objects.get()
    assert (saved.source, saved.recorded_by) == ("session", therapist)
    assert Task.objects.filter(checkin=saved).exists()


def test_only_a_child_of_the_case_checks_in(therapist: User, family: Family) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="A check-in is the child's own"):
        pausing.checkin_record(
            actor=therapist,
            case=family.case,
            child=family.other,
            ready=5,
            safe=5,
            last_visit="good",
            slow_down=False,
        )


def test_bad_session_input_changes_nothing(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)
    response = client.post(
        reverse("checkin_new", args=[family.case.pk]), {**answers(safe="x"), "child": ""}
    )
    assert response.status_code == 400
    assert not ChildCheckin.objects.exists()


# Slowing down -------------------------------------------------------------------------------


@pytest.fixture
def on_rung_two(therapist: User, family: Family, time_machine: Any) -> Family:
    clock = stopped_clock(time_machine)
    in_contact(therapist, family)
    climb_to(therapist, family, clock, 2)
    return family


def test_slow_down_offers_a_step_down_that_happens_at_once(
    client: Client, therapist: User, on_rung_two: Family
) -> None:
    family = on_rung_two
    saved = checkin(therapist, family)
    login(client, therapist)
    case_page = case_text(client, family.case.pk)
    step_down = reverse("checkin_step_down", args=[family.case.pk, saved.pk])
    assert step_down in case_page
    assert "Mia asked to slow down" in case_page

    response = client.post(step_down)

    assert response.status_code == 302
    assert ladder_of(family).current_rung.position == 1  # type: ignore[union-attr]
    step = Event.objects.filter(action="ladder.step_down").get()
    assert step.detail["on_word_of"] == "child"
    assert Task.objects.get().done_at is not None
    assert "Stepped down the ladder" in client.get(response["Location"]).content.decode()


def test_a_step_down_without_a_rung_below_says_so(
    client: Client, therapist: User, family: Family
) -> None:
    saved = checkin(therapist, family)
    login(client, therapist)
    response = client.post(reverse("checkin_step_down", args=[family.case.pk, saved.pk]))
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "The ladder was not stepped down: The case has no contact ladder yet" in page
    assert Task.objects.get().done_at is None


def test_the_task_shows_on_the_caseload_and_can_be_done(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    saved = checkin(therapist, family)
    login(client, therapist)
    assert "Mia asked to slow down" in client.get(reverse("caseload")).content.decode()
    task = Task.objects.get(checkin=saved)

    response = client.post(reverse("task_done", args=[family.case.pk, task.pk]), {"next": "case"})

    assert response.status_code == 302
    assert Task.objects.get().done_by == therapist
    assert last_event().action == "task.done"
    assert "Mia asked to slow down" not in client.get(reverse("caseload")).content.decode()
    login(client, supervisor)
    assert client.post(reverse("task_done", args=[family.case.pk, task.pk])).status_code == 404


def test_the_supervisor_does_not_see_the_task_on_their_caseload(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    checkin(therapist, family)
    login(client, supervisor)
    assert "asked to slow down" not in client.get(reverse("caseload")).content.decode()
