"""The measures API: each endpoint works, needs a token, hides another family's case (404),
refuses a role that may not write (403), names bad input (400/422) and changes nothing, writes
its audit row, and is in the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.conftest import Family, bearer
from reunify.measures import services
from reunify.measures.models import (
    AlignmentRating,
    ChildCheckin,
    Goal,
    GoalRating,
    QuestionnaireResponse,
    Task,
    WillingnessRating,
)
from reunify.measures.tests.factories import DAY, shipped, today
from reunify.process import pausing


def api(client: Client, method: str, path: str, user: User | None, body: Any = None) -> Any:
    headers = bearer(user) if user is not None else {}
    if method == "get":
        return client.get(f"/api/v1{path}", headers=headers)
    return client.post(
        f"/api/v1{path}", body or {}, content_type="application/json", headers=headers
    )


def a_goal(therapist: User, family: Family) -> Goal:
    return services.goal_add(
        actor=therapist, case=family.case, standard="bond", baseline=1, target=7
    )


def snapshot() -> tuple[int, ...]:
    models = (Goal, GoalRating, WillingnessRating, AlignmentRating, ChildCheckin, Task)
    return (
        *(m.objects.count() for m in models),
        QuestionnaireResponse.objects.count(),
        Event.objects.exclude(action__in=("case.view", "token.create", "access.denied")).count(),
    )


# (path with {case}/{goal}, a valid body, the audit action)
WRITES: dict[str, tuple[Any, str]] = {
    "/goals": (lambda f: {"standard": "trust", "baseline": 2, "target": 8}, "goal.add"),
    "/goals/{goal}/ratings": (
        lambda f: {"value": 5, "rated_on": today().isoformat()},
        "goal.rate",
    ),
    "/ratings/willingness": (
        lambda f: {"party_id": f.child.pk, "level": "open", "rated_on": today().isoformat()},
        "willingness.record",
    ),
    "/ratings/alignment": (
        lambda f: {"stakeholder": "cps", "status": "aligned", "rated_on": today().isoformat()},
        "alignment.record",
    ),
    "/checkins": (
        lambda f: {
            "child_id": f.child.pk,
            "ready": 3,
            "safe": 8,
            "last_visit": "okay",
            "slow_down": True,
        },
        "child_checkin.record",
    ),
    "/responses": (
        lambda f: {
            "instrument_id": shipped("reunify-session").pk,
            "informant": "child",
            "party_id": f.child.pk,
            "answered_on": today().isoformat(),
            "answers": {"heard": 4, "mattered": 3, "pace": None, "come_back": 4},
        },
        "questionnaire.record",
    ),
}
READS = ["/goals", "/ratings", "/checkins", "/responses", "/tasks"]


def path(suffix: str, family: Family, goal: Goal) -> str:
    return f"/cases/{family.case.pk}" + suffix.replace("{goal}", str(goal.pk))


@pytest.mark.parametrize("suffix", list(WRITES))
def test_each_write_works_and_is_audited(
    client: Client, therapist: User, family: Family, suffix: str
) -> None:
    goal = a_goal(therapist, family)
    body, action = WRITES[suffix]
    response = api(client, "post", path(suffix, family, goal), therapist, body(family))
    assert response.status_code == 201, response.content
    event = Event.objects.filter(action=action).latest("id")
    assert (event.actor_id, event.case_id) == (therapist.pk, family.case.pk)


@pytest.mark.parametrize("suffix", READS)
def test_each_read_works_and_is_logged(
    client: Client, therapist: User, family: Family, suffix: str
) -> None:
    response = api(client, "get", f"/cases/{family.case.pk}{suffix}", therapist)
    assert response.status_code == 200, response.content
    assert Event.objects.filter(
        action="case.view", actor=therapist, case_id=family.case.pk, detail__what__startswith="api:"
    ).exists()


@pytest.mark.parametrize("suffix", [*READS, *WRITES])
def test_every_route_needs_a_token(
    client: Client, therapist: User, family: Family, suffix: str
) -> None:
    goal = a_goal(therapist, family)
    method = "get" if suffix in READS else "post"
    assert api(client, method, path(suffix, family, goal), None).status_code == 401


@pytest.mark.parametrize("suffix", [*READS, *WRITES])
def test_another_familys_case_answers_404(
    client: Client, therapist: User, outsider: User, other_family: Family, suffix: str
) -> None:
    goal = a_goal(outsider, other_family)
    before = snapshot()
    method = "get" if suffix in READS else "post"
    body = WRITES[suffix][0](other_family) if suffix in WRITES else None
    response = api(client, method, path(suffix, other_family, goal), therapist, body)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert snapshot() == before


@pytest.mark.parametrize("suffix", [s for s in WRITES if s != "/checkins"])
def test_the_supervisor_may_not_write(
    client: Client, therapist: User, supervisor: User, family: Family, suffix: str
) -> None:
    goal = a_goal(therapist, family)
    before = snapshot()
    response = api(
        client, "post", path(suffix, family, goal), supervisor, WRITES[suffix][0](family)
    )
    assert response.status_code == 403
    assert snapshot() == before


def test_the_supervisor_reads_goals_but_never_check_ins(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    pausing.checkin_record(
        actor=therapist,
        case=family.case,
        child=family.child,
        ready=2,
        safe=9,
        last_visit="good",
        slow_down=True,
    )
    assert api(client, "get", f"/cases/{family.case.pk}/goals", supervisor).status_code == 200
    for suffix in ("/checkins", "/tasks"):
        assert api(client, "get", f"/cases/{family.case.pk}{suffix}", supervisor).status_code == 404
    response = api(
        client,
        "post",
        f"/cases/{family.case.pk}/checkins",
        supervisor,
        WRITES["/checkins"][0](family),
    )
    assert response.status_code == 404


BAD: dict[str, tuple[Any, int, str]] = {
    "/goals": ({"baseline": 2, "target": 8}, 400, "Name the case-specific goal"),
    "/goals/{goal}/ratings": ({"value": 11, "rated_on": "2030-01-01"}, 422, "value"),
    "/ratings/willingness": (
        {"party_id": 999999, "level": "open", "rated_on": today().isoformat()},
        400,
        "There is no party 999999 in this case.",
    ),
    "/ratings/alignment": (
        {"stakeholder": "attorney", "status": "aligned", "rated_on": today().isoformat()},
        400,
        "Say which attorney",
    ),
    "/checkins": (
        {"child_id": 0, "ready": 3, "safe": 3, "last_visit": "meh"},
        422,
        "last_visit",
    ),
    "/responses": (
        {
            "instrument_id": 0,
            "informant": "child",
            "answered_on": today().isoformat(),
            "answers": {},
        },
        400,
        "There is no questionnaire 0.",
    ),
}


@pytest.mark.parametrize("suffix", list(BAD))
def test_bad_input_is_named_and_changes_nothing(
    client: Client, therapist: User, family: Family, suffix: str
) -> None:
    goal = a_goal(therapist, family)
    before = snapshot()
    body, status, words = BAD[suffix]
    response = api(client, "post", path(suffix, family, goal), therapist, body)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_answers_off_the_scale_are_named_by_item(
    client: Client, therapist: User, family: Family
) -> None:
    body = WRITES["/responses"][0](family)
    body["answers"] = {"heard": 9, "bogus": 1}
    response = api(client, "post", f"/cases/{family.case.pk}/responses", therapist, body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "“bogus” is not an item of How today's session went (Reunify)" in detail
    assert (
        "item heard (“I felt listened to and understood today.”): 9 is not one of its answers"
        in detail
    )


def test_the_goals_come_back_with_their_ratings(
    client: Client, therapist: User, family: Family
) -> None:
    goal = a_goal(therapist, family)
    services.goal_rate(actor=therapist, goal=goal, value=2, rated_on=today() - 7 * DAY)
    services.goal_rate(actor=therapist, goal=goal, value=5, rated_on=today())
    body = api(client, "get", f"/cases/{family.case.pk}/goals", therapist).json()
    assert body == [
        {
            "id": goal.pk,
            "standard": "bond",
            "title": "Strengthen the parent-child bond",
            "baseline": 1,
            "target": 7,
            "latest": 5,
            "direction": "improved",
            "ratings": [
                {"rated_on": (today() - 7 * DAY).isoformat(), "value": 2},
                {"rated_on": today().isoformat(), "value": 5},
            ],
        }
    ]


def test_a_response_comes_back_scored(client: Client, therapist: User, family: Family) -> None:
    response = api(
        client,
        "post",
        f"/cases/{family.case.pk}/responses",
        therapist,
        WRITES["/responses"][0](family),
    )
    scores = response.json()["scores"]
    assert scores == [
        {
            "subscale": "total",
            "label": "Session rating",
            "value": 14.67,
            "answered": 3,
            "missing": 1,
            "prorated": True,
            "note": "prorated from 3 of 4 items",
        }
    ]


def test_a_slow_down_check_in_returns_its_task(
    client: Client, therapist: User, family: Family
) -> None:
    response = api(
        client,
        "post",
        f"/cases/{family.case.pk}/checkins",
        therapist,
        WRITES["/checkins"][0](family),
    )
    task = response.json()["task"]
    assert task["text"].startswith("Mia asked to slow down")
    done = api(client, "post", f"/cases/{family.case.pk}/tasks/{task['id']}/done", therapist)
    assert done.status_code == 200
    assert done.json()["done_at"] is not None
    again = api(client, "post", f"/cases/{family.case.pk}/tasks/{task['id']}/done", therapist)
    assert again.status_code == 400
    assert again.json()["detail"] == "This task is already done."


def test_the_questionnaires_are_listed(client: Client, therapist: User) -> None:
    body = api(client, "get", "/questionnaires", therapist).json()
    slugs = {i["slug"] for i in body}
    assert {"reunify-readiness", "reunify-safety", "reunify-session"} <= slugs
    one = next(i for i in body if i["slug"] == "reunify-readiness")
    detail = api(client, "get", f"/questionnaires/{one['id']}", therapist).json()
    assert detail["definition"]["format"] == "reunify-instrument/1"
    assert api(client, "get", "/questionnaires/999999", therapist).status_code == 404


def test_a_monitor_has_no_questionnaires(client: Client, monitor: User) -> None:
    assert api(client, "get", "/questionnaires", monitor).status_code == 403


def test_the_endpoints_are_in_the_openapi_document(client: Client, db: Any) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for route in (
        "/api/v1/cases/{id}/goals",
        "/api/v1/cases/{id}/goals/{goal_id}/ratings",
        "/api/v1/cases/{id}/ratings",
        "/api/v1/cases/{id}/ratings/willingness",
        "/api/v1/cases/{id}/ratings/alignment",
        "/api/v1/cases/{id}/checkins",
        "/api/v1/cases/{id}/tasks",
        "/api/v1/questionnaires",
        "/api/v1/questionnaires/{instrument_id}",
        "/api/v1/cases/{id}/responses",
    ):
        assert route in paths, route
    assert paths["/api/v1/cases/{id}/goals"]["get"]["operationId"] == "goal_list"
