"""The first rung, letters and messages: letters recorded (date, direction, the therapist's
review) instead of timed visits, and the way up counting the letters passed on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.clinical import services
from reunify.clinical.models import Letter
from reunify.clinical.services import ladder_gate_for
from reunify.clinical.tests.factories import (
    DAY,
    assent,
    in_contact,
    ladder_of,
    rung,
    stopped_clock,
)
from reunify.conftest import Family, bearer, last_event, login

SECRET = "Dear Mia, I think of you every day when I walk the dog."


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def letters(therapist: User, family: Family) -> Family:
    in_contact(therapist, family, letters=True)
    return family


def write(therapist: User, family: Family, decision: str = "passed_on", **extra: Any) -> Letter:
    fields: dict[str, Any] = {
        "written_on": timezone.localdate(),
        "direction": "parent_to_child",
        "content": SECRET,
        "reviewed_on": timezone.localdate(),
        "decision": decision,
    }
    return services.letter_record(actor=therapist, case=family.case, **(fields | extra))


def form(**extra: str) -> dict[str, str]:
    today = str(timezone.localdate())
    return {
        "written_on": today,
        "direction": "child_to_parent",
        "content": SECRET,
        "reviewed_on": today,
        "decision": "passed_on",
        "held_back_reason": "",
        **extra,
    }


def codes(family: Family) -> set[str]:
    return {r.code for r in ladder_gate_for(family.case).reasons}


def test_the_default_first_rung_is_a_letters_rung(letters: Family) -> None:
    assert rung(letters, 1).letters
    assert not rung(letters, 2).letters


def test_a_letter_is_recorded_with_its_review_and_audited_without_its_content(
    therapist: User, letters: Family
) -> None:
    letter = write(therapist, letters)

    assert letter.rung == rung(letters, 1)
    assert letter.reviewed_by == therapist
    event = last_event()
    assert event.action == "letter.record"
    assert event.detail["decision"] == "passed_on"
    assert SECRET not in str(event.detail)


def test_held_back_without_a_reason_is_refused_and_nothing_is_saved(
    therapist: User, letters: Family
) -> None:
    with pytest.raises(ValidationError, match="held back"):
        write(therapist, letters, decision="held_back")
    assert not Letter.objects.exists()
    held = write(therapist, letters, decision="held_back", held_back_reason="Blames the mother.")
    assert held.held_back_reason == "Blames the mother."


def test_a_date_in_the_future_or_before_the_rung_started_is_refused(
    therapist: User, letters: Family
) -> None:
    with pytest.raises(ValidationError, match="in the future"):
        write(therapist, letters, written_on=timezone.localdate() + dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="before the ladder"):
        write(therapist, letters, written_on=timezone.localdate() - dt.timedelta(days=30))
    assert not Letter.objects.exists()


def test_letters_only_on_a_letters_rung(therapist: User, family: Family) -> None:
    in_contact(therapist, family)  # the first rung made a rung of visits
    with pytest.raises(ValidationError, match="letters rung"):
        write(therapist, family)


def test_a_monitor_the_supervisor_and_another_familys_therapist_are_refused(
    therapist: User, letters: Family, monitor: User, outsider: User, supervisor: User
) -> None:
    with pytest.raises(Http404):
        write(monitor, letters)  # a monitor sees only the visits assigned to them
    with pytest.raises(PermissionDenied):
        write(supervisor, letters)
    with pytest.raises(Http404):
        write(outsider, letters)
    assert not Letter.objects.exists()


def test_three_letters_passed_on_open_the_way_a_held_back_one_restarts_the_count(
    therapist: User, letters: Family, clock: Any
) -> None:
    assent(therapist, letters, rung(letters, 2))
    assert "too_few_letters" in codes(letters)
    assert "only 0 of 3 letters" in " ".join(ladder_gate_for(letters.case).texts())

    write(therapist, letters)
    write(therapist, letters)
    clock.shift(DAY)
    write(therapist, letters, decision="held_back", held_back_reason="Pressures the child.")
    write(therapist, letters)
    assert "only 1 of 3 letters" in " ".join(ladder_gate_for(letters.case).texts())

    clock.shift(DAY)
    write(therapist, letters)
    write(therapist, letters)
    assert "too_few_letters" not in codes(letters)
    assert ladder_gate_for(letters.case).is_open
    services.ladder_step_up(actor=therapist, case=letters.case, rationale="Letters went well.")
    assert ladder_of(letters).current_rung == rung(letters, 2)


def test_the_letters_page_records_a_letter(
    client: Client, therapist: User, letters: Family
) -> None:
    login(client, therapist)
    address = reverse("letter_new", args=[letters.case.pk])
    assert client.get(address).status_code == 200

    response = client.post(address, form())

    assert response.status_code == 302
    letter = Letter.objects.get()
    assert letter.direction == "child_to_parent"
    page = client.get(reverse("case_ladder", args=[letters.case.pk])).content.decode()
    assert "Letters and messages" in page and SECRET in page


def test_the_page_refuses_a_held_back_letter_without_a_reason(
    client: Client, therapist: User, letters: Family
) -> None:
    login(client, therapist)
    response = client.post(
        reverse("letter_new", args=[letters.case.pk]), form(decision="held_back")
    )
    assert response.status_code == 400
    assert "Say why the letter was held back." in response.content.decode()
    assert not Letter.objects.exists()


def test_the_page_needs_login_and_is_404_to_another_family(
    client: Client, letters: Family, outsider: User
) -> None:
    address = reverse("letter_new", args=[letters.case.pk])
    assert client.get(address).status_code == 302
    login(client, outsider)
    assert client.post(address, form()).status_code == 404
    assert not Letter.objects.exists()


def test_the_supervisor_sees_that_letters_were_exchanged_not_what_they_say(
    client: Client, therapist: User, supervisor: User, letters: Family
) -> None:
    write(therapist, letters)
    login(client, supervisor)
    page = client.get(reverse("case_ladder", args=[letters.case.pk])).content.decode()
    assert "Passed on" in page
    assert SECRET not in page
    rows = client.get(f"/api/v1/cases/{letters.case.pk}/letters", headers=bearer(supervisor)).json()
    assert rows[0]["decision"] == "passed_on" and rows[0]["content"] is None


def test_the_api_records_and_lists_letters(
    client: Client, therapist: User, letters: Family
) -> None:
    address = f"/api/v1/cases/{letters.case.pk}/letters"
    body = form()
    del body["held_back_reason"]
    created = client.post(address, body, content_type="application/json", headers=bearer(therapist))
    assert created.status_code == 201
    assert created.json()["content"] == SECRET
    refused = client.post(
        address,
        form(decision="held_back"),
        content_type="application/json",
        headers=bearer(therapist),
    )
    assert refused.status_code == 400
    listed = client.get(address, headers=bearer(therapist)).json()
    assert [row["direction"] for row in listed] == ["child_to_parent"]
    assert Event.objects.filter(action="letter.record").count() == 1


def test_the_api_needs_login_and_is_404_to_another_family(
    client: Client, letters: Family, outsider: User, monitor: User
) -> None:
    address = f"/api/v1/cases/{letters.case.pk}/letters"
    assert client.get(address).status_code == 401
    assert client.get(address, headers=bearer(outsider)).status_code == 404
    posted = client.post(address, form(), content_type="application/json", headers=bearer(monitor))
    assert posted.status_code in (403, 404)
    assert not Letter.objects.exists()


def test_a_rung_above_can_be_made_a_letters_rung_on_the_ladder_edit_api(
    client: Client, therapist: User, letters: Family
) -> None:
    response = client.put(
        f"/api/v1/cases/{letters.case.pk}/ladder",
        {"rungs_above": [{"name": "Cards by post", "letters": True}, {"name": "Office visit"}]},
        content_type="application/json",
        headers=bearer(therapist),
    )
    assert response.status_code == 200
    assert [r["letters"] for r in response.json()["rungs"]] == [True, True, False]
    assert rung(letters, 2).letters and not rung(letters, 3).letters
