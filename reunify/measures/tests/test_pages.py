"""The measures pages: goals and ratings, willingness, alignment, questionnaires, and the
Progress section of the case page. Every page: it works; it needs a login; another family's
case answers 404; the supervisor reads but does not record; bad input gets a clear error and
changes nothing; the audit row is written; the case page's query count stays flat."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import PartyRole
from reunify.cases.sections import section_url
from reunify.conftest import Family, add_party, case_text, login, make_family
from reunify.measures import services
from reunify.measures.models import (
    AlignmentRating,
    Goal,
    GoalRating,
    QuestionnaireResponse,
    WillingnessRating,
)
from reunify.measures.tests.factories import DAY, parse_svg, shipped, today
from reunify.process import pausing, transitions


def text(response: Any) -> str:
    return response.content.decode()


def writes() -> int:
    return Event.objects.exclude(action="case.view").count()


def a_goal(therapist: User, family: Family) -> Goal:
    return services.goal_add(
        actor=therapist, case=family.case, standard="trust", baseline=2, target=8
    )


# One table drives the common checks of the record forms: (url name, its arguments, valid data,
# the model a save adds a row to, the audit action).
Args = Callable[[User, Family], list[Any]]
Data = Callable[[Family], dict[str, Any]]


def _case(therapist: User, family: Family) -> list[Any]:
    return [family.case.pk]


def _goal(therapist: User, family: Family) -> list[Any]:
    return [family.case.pk, a_goal(therapist, family).pk]


RECORD_FORMS: list[tuple[str, Args, Data, type[Model], str]] = [
    (
        "goal_new",
        _case,
        lambda f: {"standard": "emotional_safety", "title": "", "baseline": "3", "target": "8"},
        Goal,
        "goal.add",
    ),
    (
        "goal_rating_new",
        _goal,
        lambda f: {"value": "5", "rated_on": today().isoformat(), "note": "Calmer."},
        GoalRating,
        "goal.rate",
    ),
    (
        "willingness_new",
        _case,
        lambda f: {"party": f.other.pk, "level": "ambivalent", "rated_on": today().isoformat()},
        WillingnessRating,
        "willingness.record",
    ),
    (
        "alignment_new",
        _case,
        lambda f: {"who": "court", "status": "not_aligned", "rated_on": today().isoformat()},
        AlignmentRating,
        "alignment.record",
    ),
]
NAMES = [row[0] for row in RECORD_FORMS]


def row(name: str) -> tuple[str, Args, Data, type[Model], str]:
    return next(r for r in RECORD_FORMS if r[0] == name)


@pytest.mark.parametrize("name", NAMES)
def test_the_record_form_works(client: Client, therapist: User, family: Family, name: str) -> None:
    _, args, data, model, action = row(name)
    address = reverse(name, args=args(therapist, family))
    login(client, therapist)
    assert client.get(address).status_code == 200
    before = model._default_manager.count()

    response = client.post(address, data(family))

    assert response.status_code == 302, text(response)
    assert response["Location"].endswith("#progress-heading") or "/cases/" in response["Location"]
    assert model._default_manager.count() == before + 1
    event = Event.objects.filter(action=action).latest("id")
    assert (event.actor_id, event.case_id) == (therapist.pk, family.case.pk)


@pytest.mark.parametrize("name", NAMES)
def test_the_record_form_needs_a_login(
    client: Client, therapist: User, family: Family, name: str
) -> None:
    _, args, _, _, _ = row(name)
    response = client.get(reverse(name, args=args(therapist, family)))
    assert response.status_code == 302
    assert "login" in response["Location"]


@pytest.mark.parametrize("name", NAMES)
def test_the_record_form_hides_another_family(
    client: Client, therapist: User, outsider: User, other_family: Family, name: str
) -> None:
    _, args, data, model, _ = row(name)
    address = reverse(name, args=args(outsider, other_family))
    before = model._default_manager.count()
    login(client, therapist)
    assert client.get(address).status_code == 404
    response = client.post(address, data(other_family))
    assert response.status_code == 404
    assert "Okafor" not in text(response)
    assert model._default_manager.count() == before


@pytest.mark.parametrize("name", NAMES)
def test_the_supervisor_may_not_record(
    client: Client, therapist: User, supervisor: User, family: Family, name: str
) -> None:
    _, args, data, model, _ = row(name)
    address = reverse(name, args=args(therapist, family))
    before = model._default_manager.count()
    login(client, supervisor)
    assert client.post(address, data(family)).status_code == 403
    assert model._default_manager.count() == before


BAD: dict[str, tuple[dict[str, Any], str]] = {
    "goal_new": (
        {"standard": "", "title": "", "baseline": "3", "target": "8"},
        "Name the case-specific goal, or choose one of the seven.",
    ),
    "goal_rating_new": (
        {"value": "5", "rated_on": (today() + 3 * DAY).isoformat()},
        "is in the future",
    ),
    "willingness_new": ({"level": "engaged", "rated_on": "not a date"}, "Enter a valid date."),
    "alignment_new": ({"who": "court", "status": "maybe"}, "Select a valid choice."),
}


@pytest.mark.parametrize("name", NAMES)
def test_bad_input_gets_a_clear_error_and_changes_nothing(
    client: Client, therapist: User, family: Family, name: str
) -> None:
    _, args, _, model, _ = row(name)
    address = reverse(name, args=args(therapist, family))
    before, events = model._default_manager.count(), writes()
    login(client, therapist)
    data, words = BAD[name]
    response = client.post(address, data)
    assert response.status_code == 400
    assert words in text(response)
    assert "Nothing was saved" in text(response)
    assert (model._default_manager.count(), writes()) == (before, events)


def test_a_goal_target_below_its_baseline_is_refused(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    response = client.post(
        reverse("goal_new", args=[family.case.pk]),
        {"standard": "", "title": "Weekly calls", "baseline": "6", "target": "2"},
    )
    assert response.status_code == 400
    assert "The target (2) is below the baseline (6)" in text(response)
    assert not Goal.objects.exists()


def test_a_standard_goal_is_in_the_plan_once(therapist: User, family: Family) -> None:
    from django.core.exceptions import ValidationError

    a_goal(therapist, family)
    with pytest.raises(ValidationError, match="“Restore trust” is already in this case"):
        a_goal(therapist, family)


def test_a_goal_is_rated_once_a_day(therapist: User, family: Family) -> None:
    from django.core.exceptions import ValidationError

    goal = a_goal(therapist, family)
    services.goal_rate(actor=therapist, goal=goal, value=4, rated_on=today())
    with pytest.raises(ValidationError, match=f"already has a rating on {today()}"):
        services.goal_rate(actor=therapist, goal=goal, value=5, rated_on=today())


def test_each_attorney_is_offered_by_name(client: Client, therapist: User, family: Family) -> None:
    lawyer = add_party(
        therapist, family.case, PartyRole.ATTORNEY, "Ana", "Silva", represents=family.estranged
    )
    login(client, therapist)
    address = reverse("alignment_new", args=[family.case.pk])
    assert "The attorney for Daniel Rivers (Ana Silva)" in text(client.get(address))
    response = client.post(
        address, {"who": f"party:{lawyer.pk}", "status": "aligned", "rated_on": today().isoformat()}
    )
    assert response.status_code == 302
    assert AlignmentRating.objects.get().party == lawyer


def test_a_closed_case_sends_the_record_forms_back(
    client: Client, therapist: User, family: Family
) -> None:
    transitions.case_close(actor=therapist, case=family.case, outcome="withdrawn", reason="Moved.")
    login(client, therapist)
    for name in ("goal_new", "willingness_new", "alignment_new", "response_new"):
        response = client.get(reverse(name, args=[family.case.pk]))
        assert response.status_code == 302


# Questionnaires -------------------------------------------------------------------------------


def test_the_project_ships_its_own_forms(client: Client, therapist: User) -> None:
    login(client, therapist)
    page = text(client.get(reverse("questionnaire_list")))
    for title in (
        "Readiness for contact (Reunify)",
        "Feeling safe (Reunify)",
        "How today&#x27;s session went (Reunify)",
    ):
        assert title in page
    detail = text(
        client.get(reverse("questionnaire_detail", args=[shipped("reunify-readiness").pk]))
    )
    assert "Seeing this parent feels like pressure." in detail
    assert "prorated when no more than 20% are left out" in detail


def answer_readiness(client: Client, family: Family, who: str, values: list[int | None]) -> Any:
    instrument = shipped("reunify-readiness")
    items = ["curious", "talk", "pressure", "pace", "worry_home", "memories"]
    data: dict[str, Any] = {
        "instrument": instrument.pk,
        "informant": who,
        "answered_on": today().isoformat(),
    }
    for item, value in zip(items, values, strict=True):
        if value is not None:
            data[f"item_{item}"] = str(value)
    return client.post(
        f"{reverse('response_new', args=[family.case.pk])}?instrument={instrument.pk}", data
    )


def test_a_questionnaire_is_recorded_scored_and_charted_per_informant(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    choose = text(client.get(reverse("response_new", args=[family.case.pk])))
    assert "Readiness for contact (Reunify)" in choose

    response = answer_readiness(client, family, f"party:{family.child.pk}", [2, 3, 3, 2, 4, 3])
    assert response.status_code == 302
    saved = QuestionnaireResponse.objects.get()
    assert (saved.informant, saved.party) == ("child", family.child)
    scores = {s["subscale"]: s["value"] for s in saved.scores}
    assert scores == {"openness": 2.5, "ease": 0.5, "total": 1.83}
    assert Event.objects.filter(action="questionnaire.record", case_id=family.case.pk).exists()
    detail = text(client.get(response["Location"]))
    assert "Seeing this parent feels like pressure." in detail  # the child's own wording

    answer_readiness(client, family, f"party:{family.estranged.pk}", [4, 4, 1, 3, 1, 4])
    answer_readiness(client, family, "therapist", [3, 3, 2, 3, 2, 3])
    page = case_text(client, family.case.pk)
    assert "How far apart the informants are (Readiness for contact (Reunify))" in page
    assert "Child (Mia) 2.5, Estranged parent (Daniel) 3.75, Therapist 3; gap 1.25." in page


def test_a_questionnaire_with_too_few_answers_is_kept_without_a_score(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    answer_readiness(client, family, "therapist", [3, None, 2, None, 2, 3])
    score = {s["subscale"]: s for s in QuestionnaireResponse.objects.get().scores}
    assert score["openness"]["value"] is None
    assert score["openness"]["note"] == "not scored: 2 of 4 items left out (at most 0 may be)"
    assert score["total"]["value"] is None


def test_a_questionnaire_needs_its_informant(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    before = writes()
    response = answer_readiness(client, family, "", [2, 3, 3, 2, 4, 3])
    assert response.status_code == 400
    assert "Who answered: This field is required." in text(response)
    assert not QuestionnaireResponse.objects.exists()
    assert writes() == before


def test_an_informant_the_instrument_does_not_ask_is_refused(
    therapist: User, family: Family
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="is answered by: child, estranged parent"):
        services.response_record(
            actor=therapist,
            case=family.case,
            instrument=shipped("reunify-safety"),
            informant="therapist",
            answered_on=today(),
            answers={"safe_sessions": 3},
        )


def test_questionnaire_pages_answer_404_for_another_family(
    client: Client, therapist: User, outsider: User, other_family: Family
) -> None:
    response = services.response_record(
        actor=outsider,
        case=other_family.case,
        instrument=shipped("reunify-session"),
        informant="child",
        party=other_family.child,
        answered_on=today(),
        answers={"heard": 3, "mattered": 3, "pace": 3, "come_back": 3},
    )
    login(client, therapist)
    assert client.get(reverse("response_new", args=[other_family.case.pk])).status_code == 404
    assert (
        client.get(reverse("response_detail", args=[other_family.case.pk, response.pk])).status_code
        == 404
    )


def test_the_questionnaire_list_needs_a_login_and_a_clinician(
    client: Client, monitor: User
) -> None:
    assert client.get(reverse("questionnaire_list")).status_code == 302
    login(client, monitor)
    assert client.get(reverse("questionnaire_list")).status_code == 403


# The Progress section of the case page --------------------------------------------------------


def grow(therapist: User, family: Family, n: int) -> None:
    """Add n of everything the Progress section shows."""
    goals = (
        [a_goal(therapist, family)] if not Goal.objects.filter(case=family.case).exists() else []
    )
    goals = list(Goal.objects.filter(case=family.case)) or goals
    for i in range(n):
        goal = services.goal_add(
            actor=therapist,
            case=family.case,
            title=f"Own goal {Goal.objects.count()}",
            baseline=1,
            target=9,
        )
        services.goal_rate(actor=therapist, goal=goal, value=3, rated_on=today() - i * DAY)
        for party in (family.child, family.estranged):
            services.willingness_record(
                actor=therapist, case=family.case, party=party, level="open", rated_on=today()
            )
        services.alignment_record(
            actor=therapist,
            case=family.case,
            stakeholder="school",
            status="aligned",
            rated_on=today(),
        )
        services.response_record(
            actor=therapist,
            case=family.case,
            instrument=shipped("reunify-session"),
            informant="child",
            party=family.child,
            answered_on=today() - i * DAY,
            answers={"heard": 3, "mattered": 2, "pace": 4, "come_back": 3},
        )
        pausing.checkin_record(
            actor=therapist,
            case=family.case,
            child=family.child,
            ready=5,
            safe=6,
            last_visit="okay",
            slow_down=True,
        )


def queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_case_page_query_count_stays_flat_as_measures_grow(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    address = section_url(family.case.pk, "measures")
    grow(therapist, family, 1)
    small = queries(client, address)
    grow(therapist, family, 4)
    assert queries(client, address) == small


def test_the_caseload_query_count_stays_flat_with_tasks_and_licences(
    client: Client, therapist: User
) -> None:
    from reunify.measures.tests.factories import qualify

    qualify(therapist, expires_in=30)
    login(client, therapist)
    grow(therapist, make_family(therapist, title="A family", last="A"), 1)
    one = queries(client, reverse("caseload"))
    for n in range(3):
        grow(therapist, make_family(therapist, title=f"B{n} family", last=f"B{n}"), 1)
    assert queries(client, reverse("caseload")) == one


def test_the_progress_section_draws_the_charts(
    client: Client, therapist: User, family: Family
) -> None:
    grow(therapist, family, 2)
    login(client, therapist)
    page = case_text(client, family.case.pk)
    assert '<h2 id="progress-heading">Progress</h2>' in page
    section = page.split('<h2 id="progress-heading">')[1].split("</section>")[0]
    svgs = section.count("<svg ")
    assert svgs >= 6  # goals, willingness, comfort, attendance, a subscale
    for chunk in section.split("<svg ")[1:]:
        parse_svg("<svg " + chunk.split("</svg>")[0] + "</svg>")
    assert "Show the figures as a table" in section
    assert 'style="' not in section


def test_the_supervisor_sees_progress_but_no_forms(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    a_goal(therapist, family)
    login(client, supervisor)
    page = case_text(client, family.case.pk)
    assert "Restore trust" in page
    assert reverse("goal_new", args=[family.case.pk]) not in page
    assert "Your tasks on this case" not in page
