"""Dates are the dates things happened: opening a case, moving, pausing, resuming and closing
it, and the ladder's steps, each take the day they took effect (today unless recorded
afterwards), apart from when they were recorded; never a day in the future, before the
referral or before the change they follow."""

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
from reunify.cases import selectors
from reunify.cases.models import Case, Phase, ResumeConditions, Transition, TransitionKind
from reunify.cases.sections import section_url
from reunify.clinical import services as clinical
from reunify.clinical.models import Ladder, LadderStep
from reunify.conftest import (
    Family,
    bearer,
    complete_assessment,
    complete_modules,
    fresh,
    last_event,
    login,
    make_case,
    make_family,
    rate_all_ready,
    screen,
)
from reunify.process import transitions
from reunify.reports.models import TerminationNotice
from reunify.reports.tests.factories import pdftotext, stored_bytes

DAY = dt.timedelta(days=1)
API = "/api/v1"


def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def family(therapist: User) -> Family:
    """Referred 20 days ago, opened 15 days ago, assessment recorded."""
    family = make_family(therapist, opened_on=today() - 15 * DAY)
    complete_assessment(therapist, family)
    return family


def moves(case: Case) -> int:
    return Transition.objects.filter(case=case).count()


# The services ----------------------------------------------------------------------------------


def test_a_case_opens_on_the_day_given(therapist: User) -> None:
    case = make_case(therapist, opened_on=today() - 10 * DAY)

    opening = case.transitions.get()
    assert opening.kind == TransitionKind.OPEN
    assert opening.effective_on == today() - 10 * DAY
    assert timezone.localdate(opening.at) == today()  # recorded today
    assert timezone.localdate(fresh(case).opened_at) == today() - 10 * DAY
    assert last_event().action == "case.open"
    assert last_event().detail["effective_on"] == str(today() - 10 * DAY)


def test_a_case_opens_today_when_no_day_is_given(therapist: User) -> None:
    case = make_case(therapist)

    assert case.transitions.get().effective_on == today()
    assert timezone.localdate(case.opened_at) == today()


@pytest.mark.parametrize(
    ("days_ago", "words"), [(-1, "is in the future"), (21, "is before the referral")]
)
def test_a_case_never_opens_in_the_future_or_before_its_referral(
    therapist: User, days_ago: int, words: str
) -> None:
    with pytest.raises(ValidationError, match=words):
        make_case(therapist, opened_on=today() - days_ago * DAY)

    assert not Case.objects.exists()


def test_a_move_takes_effect_on_the_day_given_and_is_recorded_today(
    therapist: User, family: Family
) -> None:
    move = transitions.case_advance(
        actor=therapist, case=family.case, effective_on=today() - 3 * DAY
    )

    assert move.effective_on == today() - 3 * DAY
    assert timezone.localdate(move.at) == today()
    case = fresh(family.case)
    assert case.phase == Phase.PSYCHOEDUCATION
    assert timezone.localdate(case.phase_entered_at) == today() - 3 * DAY
    (row,) = selectors.caseload(therapist)
    assert row.days_in_phase == 3
    assert last_event().detail["effective_on"] == str(today() - 3 * DAY)


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (lambda: today() + DAY, "is in the future"),
        (lambda: today() - 21 * DAY, "is before the referral"),
        (lambda: today() - 16 * DAY, "before the case's last change \\(opened\\)"),
    ],
)
def test_a_move_is_refused_on_an_impossible_day_and_nothing_changes(
    therapist: User, family: Family, day: Any, words: str
) -> None:
    before = (moves(family.case), Event.objects.filter(action="case.transition").count())

    with pytest.raises(ValidationError, match=words):
        transitions.case_advance(actor=therapist, case=family.case, effective_on=day())

    assert fresh(family.case).phase == Phase.ASSESSMENT
    assert (moves(family.case), Event.objects.filter(action="case.transition").count()) == before


def test_pause_resume_and_close_take_their_days(therapist: User, family: Family) -> None:
    case = family.case
    pause = transitions.case_pause(
        actor=therapist, case=case, reason="Mia asked to stop.", effective_on=today() - 6 * DAY
    )
    assert timezone.localdate(fresh(case).paused_at) == today() - 6 * DAY
    screen(therapist, case)

    with pytest.raises(ValidationError, match="before the case's last change \\(paused\\)"):
        transitions.case_resume(
            actor=therapist,
            case=case,
            conditions=[ResumeConditions.FAMILY_STABILISATION],
            effective_on=today() - 7 * DAY,
        )
    assert fresh(case).is_paused

    resume = transitions.case_resume(
        actor=therapist,
        case=case,
        conditions=[ResumeConditions.FAMILY_STABILISATION],
        effective_on=today() - 4 * DAY,
    )
    close = transitions.case_close(
        actor=therapist,
        case=case,
        outcome="withdrawn",
        reason="The family moved away.",
        effective_on=today() - 2 * DAY,
    )

    assert [pause.effective_on, resume.effective_on, close.effective_on] == [
        today() - 6 * DAY,
        today() - 4 * DAY,
        today() - 2 * DAY,
    ]
    assert timezone.localdate(fresh(case).closed_at) == today() - 2 * DAY


def test_the_closing_notice_says_when_the_service_ran(therapist: User, family: Family) -> None:
    transitions.case_close(
        actor=therapist,
        case=family.case,
        outcome="withdrawn",
        reason="The family moved away.",
        effective_on=today() - 2 * DAY,
    )

    notice = TerminationNotice.objects.filter(case=family.case).first()
    assert notice is not None
    text = pdftotext(stored_bytes(notice))
    opened, closed = today() - 15 * DAY, today() - 2 * DAY
    assert f"from {opened} to {closed} (13 days)" in text


def into_contact(therapist: User, family: Family, *, days_ago: int) -> None:
    transitions.case_advance(actor=therapist, case=family.case, effective_on=today() - 10 * DAY)
    complete_modules(therapist, family)
    transitions.case_advance(actor=therapist, case=family.case, effective_on=today() - 8 * DAY)
    rate_all_ready(therapist, family)
    transitions.case_advance(
        actor=therapist, case=family.case, effective_on=today() - days_ago * DAY
    )


def test_the_ladder_starts_on_the_day_contact_began(therapist: User, family: Family) -> None:
    into_contact(therapist, family, days_ago=6)

    ladder = Ladder.objects.get(case=family.case)
    start = LadderStep.objects.get(ladder=ladder)
    assert start.direction == "start"
    assert start.effective_on == today() - 6 * DAY
    assert timezone.localdate(ladder.rung_entered_at) == today() - 6 * DAY


def test_a_step_is_refused_before_the_ladder_started_or_in_the_future(
    therapist: User, family: Family
) -> None:
    into_contact(therapist, family, days_ago=6)

    for day, words in ((today() - 7 * DAY, "the ladder's last step"), (today() + DAY, "future")):
        with pytest.raises(ValidationError, match=words):
            clinical.ladder_step_up(actor=therapist, case=family.case, effective_on=day)
        with pytest.raises(ValidationError, match=words):
            clinical.ladder_step_down(
                actor=therapist,
                case=family.case,
                on_word_of="child",
                reason="Mia asked.",
                effective_on=day,
            )
    assert LadderStep.objects.filter(ladder__case=family.case).count() == 1


def test_the_timeline_says_when_a_move_took_effect(therapist: User, family: Family) -> None:
    transitions.case_advance(actor=therapist, case=family.case, effective_on=today() - 3 * DAY)

    (entry,) = [e for e in selectors.case_timeline(family.case) if e.action == "case.transition"]
    assert f"(took effect on {today() - 3 * DAY})" in entry.summary


def test_the_timeline_adds_nothing_when_it_happened_today(therapist: User, family: Family) -> None:
    transitions.case_advance(actor=therapist, case=family.case)

    (entry,) = [e for e in selectors.case_timeline(family.case) if e.action == "case.transition"]
    assert "took effect" not in entry.summary


# The pages --------------------------------------------------------------------------------------


def text(response: Any) -> str:
    return response.content.decode()


def test_the_advance_form_takes_the_day_it_happened(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    page = text(client.get(reverse("case_detail", args=[family.case.pk])))
    assert 'name="advance-effective_on"' in page
    assert f'value="{today()}"' in page

    day = today() - 3 * DAY
    response = client.post(
        reverse("case_advance", args=[family.case.pk]), {"advance-effective_on": day}
    )

    assert response.status_code == 302
    move = fresh(family.case).transitions.get(kind=TransitionKind.ADVANCE)
    assert move.effective_on == day
    assert last_event().action == "case.transition"
    page = text(client.get(section_url(family.case.pk, "timeline")))
    history = page[page.index('id="history-heading"') : page.index('id="timeline-heading"')]
    assert f'<time datetime="{day}">{day}</time>' in history
    timeline = page[page.index('id="timeline-heading"') :]
    assert f"(took effect on {day})" in timeline


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (lambda: str(today() + DAY), "is in the future"),
        (lambda: str(today() - 16 * DAY), "before the case&#x27;s last change"),
        (lambda: "next tuesday", "Enter a valid date"),
    ],
)
def test_the_advance_form_refuses_an_impossible_day(
    client: Client, therapist: User, family: Family, value: Any, words: str
) -> None:
    login(client, therapist)
    before = moves(family.case)

    response = client.post(
        reverse("case_advance", args=[family.case.pk]), {"advance-effective_on": value()}
    )

    assert response.status_code == 400
    assert words in text(response)
    assert moves(family.case) == before
    assert fresh(family.case).phase == Phase.ASSESSMENT


def test_the_advance_form_needs_a_login_and_hides_other_families(
    client: Client, therapist: User, outsider: User, family: Family
) -> None:
    address = reverse("case_advance", args=[family.case.pk])
    day = {"advance-effective_on": today() - DAY}

    assert client.post(address, day).status_code == 302
    login(client, outsider)
    assert client.post(address, day).status_code == 404
    assert moves(family.case) == 1


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("case_pause", {"pause-reason": "Mia asked to stop."}),
        (
            "case_close",
            {"close-outcome": "withdrawn", "close-reason": "Moved away.", "confirmed": "yes"},
        ),
    ],
)
def test_the_pause_and_close_forms_take_the_day_it_happened(
    client: Client, therapist: User, family: Family, name: str, data: dict[str, str]
) -> None:
    login(client, therapist)
    prefix = name.removeprefix("case_")
    day = today() - 2 * DAY

    response = client.post(
        reverse(name, args=[family.case.pk]), {**data, f"{prefix}-effective_on": day}
    )

    assert response.status_code == 302
    assert fresh(family.case).transitions.latest("at", "id").effective_on == day


def test_the_pause_form_refuses_a_day_in_the_future(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    response = client.post(
        reverse("case_pause", args=[family.case.pk]),
        {"pause-reason": "Mia asked to stop.", "pause-effective_on": today() + DAY},
    )

    assert response.status_code == 400
    assert "is in the future" in text(response)
    assert not fresh(family.case).is_paused


def test_the_open_form_takes_the_day_the_case_opened(client: Client, therapist: User) -> None:
    login(client, therapist)
    data = {
        "title": "Brook family",
        "referral_source": "court_order",
        "referral_date": today() - 9 * DAY,
        "referral_reason": "Court referral.",
        "court_ordered": "yes",
        "opened_on": today() - 7 * DAY,
    }

    response = client.post(reverse("case_new"), data)

    assert response.status_code == 302
    case = Case.objects.get(title="Brook family")
    assert case.transitions.get().effective_on == today() - 7 * DAY

    response = client.post(
        reverse("case_new"), {**data, "title": "Early family", "opened_on": today() - 10 * DAY}
    )
    assert response.status_code == 400
    assert "is before the referral" in text(response)
    assert not Case.objects.filter(title="Early family").exists()


# The API -----------------------------------------------------------------------------------------


def post(client: Client, path: str, body: Any, user: User | None = None) -> Any:
    headers = bearer(user) if user else {}
    return client.post(API + path, body, content_type="application/json", headers=headers)


def test_the_api_moves_on_the_day_given(client: Client, therapist: User, family: Family) -> None:
    day = today() - 3 * DAY

    response = post(
        client,
        f"/cases/{family.case.pk}/transitions",
        {"effective_on": day.isoformat()},
        therapist,
    )

    assert response.status_code == 201
    assert response.json()["effective_on"] == day.isoformat()
    assert fresh(family.case).transitions.get(kind=TransitionKind.ADVANCE).effective_on == day
    assert last_event().action == "case.transition"


def test_the_api_moves_today_when_no_day_is_given(
    client: Client, therapist: User, family: Family
) -> None:
    response = post(client, f"/cases/{family.case.pk}/transitions", {}, therapist)

    assert response.status_code == 201
    assert response.json()["effective_on"] == today().isoformat()


def test_the_api_refuses_an_impossible_day(
    client: Client, therapist: User, outsider: User, family: Family
) -> None:
    path = f"/cases/{family.case.pk}/pause"
    body = {"reason": "Mia asked.", "effective_on": (today() + DAY).isoformat()}

    response = post(client, path, body, therapist)
    assert response.status_code == 400
    assert "is in the future" in response.json()["detail"]
    assert post(client, path, {**body, "effective_on": today().isoformat()}).status_code == 401
    assert (
        post(client, path, {**body, "effective_on": today().isoformat()}, outsider).status_code
        == 404
    )
    assert not fresh(family.case).is_paused


def test_the_api_opens_a_case_on_the_day_given(client: Client, therapist: User) -> None:
    body = {
        "title": "Brook family",
        "referral_source": "court_order",
        "referral_date": (today() - 9 * DAY).isoformat(),
        "referral_reason": "Court referral.",
        "court_ordered": True,
        "opened_on": (today() - 7 * DAY).isoformat(),
    }

    response = post(client, "/cases", body, therapist)

    assert response.status_code == 201
    case = Case.objects.get(title="Brook family")
    assert case.transitions.get().effective_on == today() - 7 * DAY


def test_the_api_refuses_a_ladder_step_dated_before_the_ladder_started(
    client: Client, therapist: User, family: Family
) -> None:
    into_contact(therapist, family, days_ago=6)
    body = {
        "direction": "down",
        "on_word_of": "child",
        "reason": "Mia asked.",
        "effective_on": (today() - 7 * DAY).isoformat(),
    }

    response = post(client, f"/cases/{family.case.pk}/ladder/step", body, therapist)

    assert response.status_code == 400
    assert "the ladder's last step" in response.json()["detail"]
    assert LadderStep.objects.filter(ladder__case=family.case).count() == 1


def test_the_step_forms_offer_the_day_it_happened(
    client: Client, therapist: User, family: Family
) -> None:
    into_contact(therapist, family, days_ago=6)
    login(client, therapist)

    response = client.post(
        reverse("ladder_step_up", args=[family.case.pk]),
        {"step_up-effective_on": (today() + DAY).isoformat()},
    )
    assert response.status_code == 400
    assert "is in the future" in text(response)
    # The form comes back with the day it took effect among its fields.
    assert 'name="step_up-effective_on"' in text(response)
    assert LadderStep.objects.filter(ladder__case=family.case).count() == 1
