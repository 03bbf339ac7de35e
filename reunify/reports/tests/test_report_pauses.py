"""A court report says that contact was paused for safety, and when, never the clinical reason
for the pause; the therapist may write a reason for the court instead, when pausing or later."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Transition, TransitionKind
from reunify.cases.sections import section_url
from reunify.clinical.tests.factories import DAY, stopped_clock
from reunify.conftest import Family, bearer, last_event, login, screen
from reunify.portal.tests.factories import portal_user
from reunify.process import transitions
from reunify.reports.tests.factories import (
    Reporting,
    a_period_of_therapy,
    issue,
    pdftotext,
    pypdf_text,
    stored_bytes,
)

CLINICAL = "Mia asked to slow down."  # the reason the factory's pause is given
COURT = "Contact was paused while the family attended a court hearing."


@pytest.fixture(autouse=True)
def clock(time_machine: Any) -> Any:
    return stopped_clock(time_machine)


@pytest.fixture
def reporting(therapist: User, family: Family, clock: Any) -> Reporting:
    return a_period_of_therapy(therapist, family, clock)


def the_pause(family: Family) -> Transition:
    return Transition.objects.get(case=family.case, kind=TransitionKind.PAUSE)


def report_texts(therapist: User, reporting: Reporting) -> list[str]:
    data = stored_bytes(issue(therapist, reporting))
    return [pdftotext(data), pypdf_text(data)]


def test_the_report_says_contact_was_paused_for_safety_and_when_but_not_why(
    therapist: User, family: Family, reporting: Reporting
) -> None:
    pause = the_pause(family)
    since = timezone.localdate(pause.at)

    for text in report_texts(therapist, reporting):
        assert CLINICAL not in text
        assert "slow down" not in text
        assert "Contact paused for safety." in text
        assert str(since) in text and str(since + DAY) in text  # paused, resumed


def test_a_contraindication_never_reaches_the_report(
    therapist: User, family: Family, reporting: Reporting
) -> None:
    screen(therapist, family.case, child_self_harm="present")  # pauses the case for safety
    assert "self-harm" in family.case.pause_reason

    for text in report_texts(therapist, reporting):
        assert "self-harm" not in text and "self harm" not in text
        assert "Still paused at the end of the period" in text


def test_the_reason_written_for_the_court_is_printed_instead(
    therapist: User, family: Family, reporting: Reporting
) -> None:
    transitions.pause_court_reason_set(
        actor=therapist, transition=the_pause(family), court_reason=COURT
    )
    event = last_event()
    assert (event.action, event.case_id, event.detail) == (
        "case.pause_court_reason",
        family.case.pk,
        {"court_reason": True},
    )

    for text in report_texts(therapist, reporting):
        assert " ".join(COURT.split()[:6]) in " ".join(text.split())
        assert CLINICAL not in text


def test_a_reason_for_the_court_can_be_given_when_pausing(therapist: User, family: Family) -> None:
    pause = transitions.case_pause(
        actor=therapist, case=family.case, reason="Clinical detail.", court_reason=f"  {COURT} "
    )
    assert (pause.rationale, pause.court_reason) == ("Clinical detail.", COURT)
    event = Event.objects.filter(action="case.pause").latest("id")
    assert event.detail["court_reason"] is True


def test_only_a_pause_takes_a_reason_for_the_court(therapist: User, family: Family) -> None:
    opened = Transition.objects.get(case=family.case, kind=TransitionKind.OPEN)
    with pytest.raises(ValidationError):
        transitions.pause_court_reason_set(actor=therapist, transition=opened, court_reason=COURT)


# The page -----------------------------------------------------------------------------------


def page(family: Family) -> str:
    return reverse("pause_court_reason", args=[family.case.pk, the_pause(family).pk])


def test_the_page_writes_the_reason_for_the_court(
    client: Client, therapist: User, family: Family, reporting: Reporting
) -> None:
    login(client, therapist)
    assert client.get(page(family)).status_code == 200
    history = client.get(section_url(family.case.pk, "timeline")).content.decode()
    assert page(family) in history

    response = client.post(page(family), {"court_reason": COURT})

    assert response.status_code == 302
    assert the_pause(family).court_reason == COURT
    assert last_event().action == "case.pause_court_reason"


def test_the_page_needs_a_login(client: Client, family: Family, reporting: Reporting) -> None:
    response = client.get(page(family))
    assert response.status_code == 302 and "login" in response["Location"]


def test_another_familys_pause_is_404(
    client: Client, outsider: User, family: Family, reporting: Reporting
) -> None:
    login(client, outsider)
    assert client.post(page(family), {"court_reason": COURT}).status_code == 404
    assert the_pause(family).court_reason == ""


def test_a_party_is_refused(
    client: Client, therapist: User, family: Family, reporting: Reporting
) -> None:
    login(client, portal_user(therapist, family.estranged, "dan@example.invalid"))
    assert client.post(page(family), {"court_reason": COURT}).status_code in (302, 403, 404)
    assert the_pause(family).court_reason == ""


def test_bad_input_is_named_and_changes_nothing(
    client: Client, therapist: User, family: Family, reporting: Reporting
) -> None:
    login(client, therapist)
    before = last_event().id

    response = client.post(page(family), {"court_reason": "x" * 1001})

    assert response.status_code == 400
    assert "at most 1000 characters" in response.content.decode()
    assert the_pause(family).court_reason == ""
    assert not Event.objects.filter(id__gt=before, action="case.pause_court_reason").exists()


# The API ------------------------------------------------------------------------------------


def api(family: Family) -> str:
    return f"/api/v1/cases/{family.case.pk}/pauses/{the_pause(family).pk}/court-reason"


def test_the_api_writes_the_reason_for_the_court(
    client: Client, therapist: User, family: Family, reporting: Reporting
) -> None:
    response = client.post(
        api(family),
        {"court_reason": COURT},
        content_type="application/json",
        headers=bearer(therapist),
    )

    assert response.status_code == 200
    assert response.json()["court_reason"] == COURT
    assert the_pause(family).court_reason == COURT
    assert last_event().action == "case.pause_court_reason"


def test_the_api_refuses_another_family_and_bad_input(
    client: Client, therapist: User, outsider: User, family: Family, reporting: Reporting
) -> None:
    body = {"court_reason": COURT}
    refused = client.post(
        api(family), body, content_type="application/json", headers=bearer(outsider)
    )
    assert refused.status_code == 404
    too_long = client.post(
        api(family),
        {"court_reason": "x" * 1001},
        content_type="application/json",
        headers=bearer(therapist),
    )
    assert too_long.status_code in (400, 422)
    assert the_pause(family).court_reason == ""
