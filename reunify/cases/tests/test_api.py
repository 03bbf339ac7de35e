"""The JSON API: every operation works, needs a token, hides other families, refuses the roles
it should, turns bad input away without changing anything, and leaves its mark in the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reunify import access
from reunify.accounts.models import ApiToken, User
from reunify.accounts.services import token_create, token_revoke
from reunify.audit.models import Event
from reunify.cases import services
from reunify.cases.models import (
    Case,
    Consent,
    CourtOrder,
    CourtTerm,
    DocumentReview,
    Intake,
    OverrideRequest,
    Party,
    Person,
    ReadinessRating,
    Transition,
)
from reunify.conftest import (
    Family,
    add_party,
    advance_to,
    bearer,
    clear_findings,
    complete_assessment,
    login,
    looked_at,
    make_case,
    make_family,
    screen,
)
from reunify.process import transitions
from reunify.safety.models import Contraindication, Screening, ScreeningFinding

API = "/api/v1"

Body = Callable[[Family], dict[str, Any]]


def today() -> dt.date:
    return timezone.localdate()


def iso(day: dt.date) -> str:
    return day.isoformat()


def get(client: Client, path: str, user: User | None = None, **query: Any) -> Any:
    return client.get(API + path, query, headers=bearer(user) if user else {})


def post(client: Client, path: str, body: Any, user: User | None = None) -> Any:
    headers = bearer(user) if user else {}
    return client.post(API + path, body, content_type="application/json", headers=headers)


def findings_map(**present: str) -> dict[str, dict[str, str]]:
    return {code: {"status": s, "note": n} for code, (s, n) in clear_findings(**present).items()}


# What every write leaves behind; a refused write must leave all of it as it was.
RECORDS = (
    Case,
    Person,
    Party,
    CourtOrder,
    CourtTerm,
    Screening,
    ScreeningFinding,
    Intake,
    Consent,
    DocumentReview,
    ReadinessRating,
    Transition,
    OverrideRequest,
)
READ_ONLY_ACTIONS = (
    "case.view",
    "token.create",
    "token.revoke",
    "case.transition_refused",
    "access.denied",
)


def snapshot() -> tuple[Any, ...]:
    counts = tuple(model.objects.count() for model in RECORDS)
    states = tuple(
        Case.objects.order_by("pk").values_list("pk", "phase", "paused_at", "outcome", "closed_at")
    )
    protection = tuple(Person.objects.order_by("pk").values_list("pk", "protected_address"))
    writes = Event.objects.exclude(action__in=READ_ONLY_ACTIONS).count()
    return counts, states, protection, writes


def viewed(user: User, case: Case, what: str) -> bool:
    return looked_at(user, case, f"api:{what}")


# Every route, as (method, path with {case}/{party}/{override}, a valid body for a family).

READS: dict[str, str] = {
    "": "case_detail",
    "/parties": "party_list",
    "/court-orders": "court_order_list",
    "/screenings": "screening_list",
    "/intakes": "intake_list",
    "/consents": "consent_list",
    "/document-reviews": "document_review_list",
    "/readiness": "readiness_list",
    "/gate": "gate",
    "/transitions": "transition_list",
    "/overrides": "override_list",
    "/timeline": "timeline",
    "/access-log": "access_log",
}

WRITES: dict[str, Body] = {
    "/parties": lambda f: {"role": "guardian", "first_name": "Gail", "last_name": "Grant"},
    "/parties/{party}/protection": lambda f: {"protected": True},
    "/court-orders": lambda f: {
        "court": "Superior Court of Alameda County",
        "court_case_number": "FL-2024-001",
        "issued_on": iso(today()),
        "terms": [{"kind": "therapeutic_only"}],
    },
    "/screenings": lambda f: {"screened_on": iso(today()), "findings": findings_map()},
    "/intakes": lambda f: {"party_id": f.child.pk, "held_on": iso(today())},
    "/consents": lambda f: {
        "party_id": f.estranged.pk,
        "kind": "informed_consent",
        "signed_on": iso(today()),
    },
    "/document-reviews": lambda f: {"reviewed_on": iso(today()), "none_provided": True},
    "/readiness": lambda f: {"party_id": f.child.pk, "level": "ready", "rated_on": iso(today())},
    "/transitions": lambda f: {"rationale": "Assessment complete."},
    "/overrides": lambda f: {"rationale": "The father's ambivalence is clinically manageable."},
    "/pause": lambda f: {"reason": "The child asked to slow down."},
    "/resume": lambda f: {"conditions": ["family_stabilisation"], "note": ""},
    "/close": lambda f: {"outcome": "withdrawn", "reason": "The family moved out of state."},
}


def case_path(family: Family, suffix: str) -> str:
    return f"/cases/{family.case.pk}" + suffix.format(party=family.estranged.pk)


def every_route(family: Family) -> list[tuple[str, str, dict[str, Any]]]:
    routes: list[tuple[str, str, dict[str, Any]]] = [
        ("get", "/cases", {}),
        ("post", "/cases", {}),
        ("get", "/overrides", {}),
    ]
    routes += [("post", "/overrides/1/decision", {"decision": "approve"})]
    routes += [("get", case_path(family, s), {}) for s in READS]
    routes += [("post", case_path(family, s), body(family)) for s, body in WRITES.items()]
    return routes


ROUTE_COUNT = 3 + 1 + len(READS) + len(WRITES)


def call(
    client: Client, method: str, path: str, body: dict[str, Any], headers: dict[str, str]
) -> Any:
    if method == "get":
        return client.get(API + path, headers=headers)
    return client.post(API + path, body, content_type="application/json", headers=headers)


# Authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(ROUTE_COUNT))
def test_every_operation_needs_a_token(client: Client, family: Family, index: int) -> None:
    before = snapshot()
    method, path, body = every_route(family)[index]
    response = call(client, method, path, body, headers={})
    assert response.status_code == 401, path
    assert "token" in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Rivers" not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("index", range(ROUTE_COUNT))
def test_every_operation_refuses_a_revoked_token(
    client: Client, therapist: User, family: Family, index: int
) -> None:
    key = token_create(actor=None, user=therapist)
    token_revoke(actor=therapist, token=ApiToken.objects.get(user=therapist))
    before = snapshot()
    method, path, body = every_route(family)[index]
    response = call(client, method, path, body, headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401, path
    assert response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize(
    "header", ["Bearer rfy_not-a-real-token", "Bearer ", "Token rfy_x", "Basic dGhlcmFwaXN0Og=="]
)
def test_it_refuses_a_token_it_did_not_issue(client: Client, family: Family, header: str) -> None:
    response = client.get(f"{API}/cases/{family.case.pk}", headers={"Authorization": header})
    assert response.status_code == 401
    assert "Rivers" not in response.content.decode()


def test_a_session_login_is_not_enough_for_the_api(client: Client, therapist: User) -> None:
    login(client, therapist)
    assert client.get(f"{API}/cases").status_code == 401


def test_a_deactivated_users_token_stops_working(client: Client, therapist: User) -> None:
    headers = bearer(therapist)
    User.objects.filter(pk=therapist.pk).update(is_active=False)
    assert client.get(f"{API}/cases", headers=headers).status_code == 401


# Another family, and roles that are refused ------------------------------------------------


@pytest.mark.parametrize("suffix", list(READS))
def test_another_familys_case_answers_404_to_every_read(
    client: Client, therapist: User, other_family: Family, suffix: str
) -> None:
    response = get(client, case_path(other_family, suffix), therapist)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert not Event.objects.filter(action="case.view", case_id=other_family.case.pk).exists()


@pytest.mark.parametrize("suffix", list(WRITES))
def test_another_familys_case_answers_404_to_every_write(
    client: Client, therapist: User, other_family: Family, suffix: str
) -> None:
    before = snapshot()
    response = post(
        client, case_path(other_family, suffix), WRITES[suffix](other_family), therapist
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert "Okafor" not in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("suffix", list(READS))
def test_a_monitor_sees_no_case(client: Client, monitor: User, family: Family, suffix: str) -> None:
    response = get(client, case_path(family, suffix), monitor)
    assert response.status_code == 404
    assert "Rivers" not in response.content.decode()


@pytest.mark.parametrize("suffix", list(WRITES))
def test_a_monitor_changes_no_case(
    client: Client, monitor: User, family: Family, suffix: str
) -> None:
    before = snapshot()
    response = post(client, case_path(family, suffix), WRITES[suffix](family), monitor)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("suffix", list(READS))
def test_every_read_works_and_is_audited(
    client: Client, therapist: User, family: Family, suffix: str
) -> None:
    response = get(client, case_path(family, suffix), therapist)
    assert response.status_code == 200
    assert viewed(therapist, family.case, READS[suffix])


@pytest.mark.parametrize("suffix", list(READS))
def test_the_supervisor_may_read_every_part_of_the_case(
    client: Client, supervisor: User, family: Family, suffix: str
) -> None:
    response = get(client, case_path(family, suffix), supervisor)
    assert response.status_code == 200
    assert viewed(supervisor, family.case, READS[suffix])


@pytest.mark.parametrize("suffix", list(WRITES))
def test_the_supervisor_may_not_write(
    client: Client, supervisor: User, family: Family, suffix: str
) -> None:
    before = snapshot()
    response = post(client, case_path(family, suffix), WRITES[suffix](family), supervisor)
    assert response.status_code == 403
    assert "may not" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("suffix", list(WRITES))
def test_a_closed_case_refuses_every_write(
    client: Client, therapist: User, family: Family, suffix: str
) -> None:
    transitions.case_close(actor=therapist, case=family.case, outcome="withdrawn", reason="Moved.")
    before = snapshot()
    response = post(client, case_path(family, suffix), WRITES[suffix](family), therapist)
    assert response.status_code == 400
    assert "closed" in response.json()["detail"]
    assert snapshot() == before


# The caseload ------------------------------------------------------------------------------


def test_the_list_shows_only_the_users_cases(
    client: Client, therapist: User, family: Family, other_family: Family
) -> None:
    screen(therapist, family.case, days_ago=3)
    response = get(client, "/cases", therapist)
    assert response.status_code == 200
    [row] = response.json()
    assert row["id"] == family.case.pk
    assert row["title"] == "Rivers family"
    assert row["phase"] == "assessment"
    assert row["paused"] is False
    assert row["days_in_phase"] == 0
    assert row["next_screen_due"] == iso(today() + dt.timedelta(days=27))
    assert row["gate"]["next_phase"] == "psychoeducation"
    assert row["gate"]["open"] is False
    assert any("no separate intake" in r for r in row["gate"]["reasons"])
    assert "Okafor" not in response.content.decode()


def test_the_list_writes_one_look_naming_every_case_shown(
    client: Client, therapist: User, family: Family
) -> None:
    get(client, "/cases", therapist)
    assert viewed(therapist, family.case, "case_list")


def test_the_list_shows_a_paused_case_as_paused(
    client: Client, therapist: User, family: Family
) -> None:
    transitions.case_pause(actor=therapist, case=family.case, reason="Child in crisis.")
    [row] = get(client, "/cases", therapist).json()
    assert row["paused"] is True
    assert row["paused_since"] == iso(today())


def test_the_list_leaves_closed_cases_out_unless_asked(
    client: Client, therapist: User, family: Family
) -> None:
    transitions.case_close(actor=therapist, case=family.case, outcome="withdrawn", reason="Moved.")
    assert get(client, "/cases", therapist).json() == []
    [row] = get(client, "/cases", therapist, include_closed="true").json()
    assert row["phase"] == "closed"


def test_the_supervisor_sees_the_supervisees_cases(
    client: Client, supervisor: User, family: Family, other_family: Family
) -> None:
    titles = [row["title"] for row in get(client, "/cases", supervisor).json()]
    assert titles == ["Rivers family"]


def test_a_monitor_gets_an_empty_list(client: Client, monitor: User, family: Family) -> None:
    assert get(client, "/cases", monitor).json() == []


def test_the_list_reads_in_a_fixed_number_of_queries(
    client: Client, therapist: User, family: Family
) -> None:
    def reads() -> int:
        headers = bearer(therapist)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/cases", headers=headers).status_code == 200
        # The audit log gets one look per case shown; everything else must not grow.
        return sum(
            1
            for q in queries.captured_queries
            if "audit_" not in q["sql"] and "SAVEPOINT" not in q["sql"]
        )

    one = reads()
    for last in ("Abara", "Brandt", "Chen"):
        add_party(
            therapist, make_family(therapist, f"{last} family", last).case, "guardian", "G", last
        )
    assert reads() == one


# Opening a case and reading it -------------------------------------------------------------


def open_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "title": "Lindqvist family",
        "referral_source": "court_order",
        "referral_date": iso(today() - dt.timedelta(days=3)),
        "referral_reason": "Court ordered reunification after two years without contact.",
        "court_ordered": True,
        "scenarios": ["prolonged_separation", "court_cps"],
    }
    body.update(overrides)
    return body


def test_open_a_case(client: Client, therapist: User) -> None:
    response = post(client, "/cases", open_body(), therapist)
    assert response.status_code == 201
    data = response.json()
    assert data["phase"] == "assessment"
    assert data["therapist"] == "therapist"
    assert data["scenarios"] == ["court_cps", "prolonged_separation"]
    assert data["gate"]["reasons"][0]["code"] == "no_screen"
    case = Case.objects.get(pk=data["id"])
    assert Event.objects.filter(action="case.open", case_id=case.pk, actor=therapist).exists()


@pytest.mark.parametrize(
    ("overrides", "status", "words"),
    [
        ({"referral_date": iso(today() + dt.timedelta(days=2))}, 400, "in the future"),
        ({"title": "  "}, 400, "A name for the case is required"),
        ({"evaluator": "therapist"}, 400, "both the evaluator and the treating therapist"),
        ({"therapist": "nobody"}, 400, "no active staff member 'nobody'"),
        ({"scenarios": ["astrology"]}, 422, "scenarios.0"),
        ({"referral_source": "rumour"}, 422, "referral_source"),
        ({"referral_date": "last tuesday"}, 422, "referral_date"),
        ({"title": None}, 422, "title"),
    ],
)
def test_open_a_case_turns_bad_input_away(
    client: Client, therapist: User, overrides: dict[str, Any], status: int, words: str
) -> None:
    before = snapshot()
    response = post(client, "/cases", open_body(**overrides), therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_missing_field_is_named(client: Client, therapist: User) -> None:
    body = open_body()
    del body["referral_reason"]
    response = post(client, "/cases", body, therapist)
    assert response.status_code == 422
    assert response.json()["detail"] == "Check the input — referral_reason: Field required."
    assert response.json()["errors"][0]["loc"] == ["body", "payload", "referral_reason"]


def test_a_body_that_is_not_json_gets_a_clear_400(client: Client, therapist: User) -> None:
    response = client.post(
        f"{API}/cases", "{not json", content_type="application/json", headers=bearer(therapist)
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Cannot parse request body"


def test_a_monitor_may_not_open_a_case(client: Client, monitor: User) -> None:
    before = snapshot()
    response = post(client, "/cases", open_body(), monitor)
    assert response.status_code == 403
    assert response.json()["detail"] == "Only therapists and supervisors open cases."
    assert snapshot() == before


def test_the_case_detail_shows_the_record(client: Client, therapist: User, family: Family) -> None:
    response = get(client, f"/cases/{family.case.pk}", therapist)
    data = response.json()
    assert data["title"] == "Rivers family"
    assert data["referral_date"] == iso(family.case.referral_date)
    assert [p["role"] for p in data["parties"]] == ["child", "estranged_parent", "other_parent"]
    assert data["gate"]["phase"] == "assessment"
    assert data["outcome"] is None


def test_a_case_that_does_not_exist_answers_like_another_familys(
    client: Client, therapist: User
) -> None:
    response = get(client, "/cases/999999", therapist)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


# Parties and the contact-detail rule -------------------------------------------------------


def test_the_treating_therapist_sees_a_protected_address(
    client: Client, therapist: User, family: Family
) -> None:
    parties = get(client, f"/cases/{family.case.pk}/parties", therapist).json()
    laura = next(p for p in parties if p["role"] == "other_parent")
    assert laura["protected"] is True
    assert laura["contact_visible"] is True
    assert laura["address"] == "17 Quiet Lane, Hidden Town"


@pytest.mark.parametrize("suffix", ["/parties", ""])
def test_the_supervisor_does_not_see_a_protected_address(
    client: Client, supervisor: User, family: Family, suffix: str
) -> None:
    response = get(client, f"/cases/{family.case.pk}{suffix}", supervisor)
    data = response.json()
    parties = data if suffix else data["parties"]
    laura = next(p for p in parties if p["role"] == "other_parent")
    assert laura["protected"] is True
    assert (laura["email"], laura["phone"], laura["address"]) == (None, None, None)
    assert "Quiet Lane" not in response.content.decode()
    daniel = next(p for p in parties if p["role"] == "estranged_parent")
    assert daniel["protected"] is False
    assert daniel["address"] == ""


def test_the_contact_rule_is_asked_once_per_kind_of_person(
    client: Client, therapist: User, family: Family, monkeypatch: pytest.MonkeyPatch
) -> None:
    for first in ("Ana", "Ben", "Cleo"):
        add_party(therapist, family.case, "extended_family", first, "Rivers")
    asked = []

    def counting(user: User, case: Case, person: Any) -> bool:
        asked.append(person.protected_address)
        return bool(original(user, case, person))

    original = access.may_see_contact
    monkeypatch.setattr(access, "may_see_contact", counting)
    response = get(client, f"/cases/{family.case.pk}/parties", therapist)
    assert len(response.json()) == 6
    assert sorted(asked) == [False, True]


def test_add_a_party(client: Client, therapist: User, family: Family) -> None:
    body = {
        "role": "guardian",
        "first_name": "Gail",
        "last_name": "Grant",
        "phone": "555-0101",
        "protected_address": True,
        "interpreter_needed": True,
        "preferred_language": "Spanish",
    }
    response = post(client, f"/cases/{family.case.pk}/parties", body, therapist)
    assert response.status_code == 201
    data = response.json()
    assert data["label"] == "guardian (Gail Grant)"
    assert (data["protected"], data["phone"]) == (True, "555-0101")
    assert Event.objects.filter(action="party.add", case_id=family.case.pk).count() == 4


def test_add_an_attorney_for_a_party(client: Client, therapist: User, family: Family) -> None:
    body = {
        "role": "attorney",
        "first_name": "Ada",
        "last_name": "Law",
        "organisation": "Law & Co",
        "represents": family.estranged.pk,
    }
    response = post(client, f"/cases/{family.case.pk}/parties", body, therapist)
    assert response.status_code == 201
    assert response.json()["represents"] == family.estranged.pk


def test_give_a_person_from_another_case_a_role(
    client: Client, therapist: User, family: Family
) -> None:
    second = make_case(therapist, title="Rivers family (half-sibling)")
    body = {"role": "estranged_parent", "person_id": family.estranged.person_id}
    response = post(client, f"/cases/{second.pk}/parties", body, therapist)
    assert response.status_code == 201
    assert response.json()["person_id"] == family.estranged.person_id


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"role": "attorney", "first_name": "A", "last_name": "L"}, 400, "Name the party"),
        ({"role": "guardian", "first_name": "", "last_name": "Grant"}, 400, "First name"),
        ({"role": "wizard", "first_name": "Merlin", "last_name": "Ambrosius"}, 422, "role"),
        (
            {"role": "attorney", "first_name": "A", "last_name": "L", "represents": 0},
            400,
            "no party",
        ),
        (
            {"role": "child", "person_id": 999999},
            400,
            "not in any case you can see, or their details",
        ),
    ],
)
def test_add_a_party_turns_bad_input_away(
    client: Client,
    therapist: User,
    family: Family,
    body: dict[str, Any],
    status: int,
    words: str,
) -> None:
    before = snapshot()
    response = post(client, f"/cases/{family.case.pk}/parties", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_party_of_another_family_cannot_be_named(
    client: Client, therapist: User, family: Family, other_family: Family
) -> None:
    before = snapshot()
    body: dict[str, Any] = {"role": "attorney", "first_name": "A", "last_name": "L"}
    body["represents"] = other_family.estranged.pk
    response = post(client, f"/cases/{family.case.pk}/parties", body, therapist)
    assert response.status_code == 400
    assert "Okafor" not in response.content.decode()
    person = {"role": "child", "person_id": other_family.child.person_id}
    response = post(client, f"/cases/{family.case.pk}/parties", person, therapist)
    assert response.status_code == 400
    assert "Okafor" not in response.content.decode()
    assert snapshot() == before


def test_protect_a_partys_contact_details(client: Client, therapist: User, family: Family) -> None:
    path = f"/cases/{family.case.pk}/parties/{family.estranged.pk}/protection"
    response = post(client, path, {"protected": True}, therapist)
    assert response.status_code == 200
    assert response.json()["protected"] is True
    assert Event.objects.filter(action="party.protect", case_id=family.case.pk).exists()


# Court orders ------------------------------------------------------------------------------


def test_record_a_court_order_with_its_terms(
    client: Client, therapist: User, family: Family
) -> None:
    until = today() + dt.timedelta(days=200)
    body = {
        "court": "Superior Court",
        "court_case_number": "FL-9",
        "judge": "Hon. R. Ortiz",
        "issued_on": iso(today()),
        "terms": [
            {"kind": "supervised_until", "until": iso(until)},
            {"kind": "reporting_duty", "due_on": iso(until), "text": "Progress report"},
        ],
    }
    response = post(client, f"/cases/{family.case.pk}/court-orders", body, therapist)
    assert response.status_code == 201
    order = response.json()
    assert order["number"] == 1
    assert [t["kind"] for t in order["terms"]] == ["supervised_until", "reporting_duty"]
    assert order["terms"][0]["until"] == iso(until)
    assert order["terms"][0]["description"] == f"supervised contact only until {until}"
    assert Event.objects.filter(action="court_order.record", case_id=family.case.pk).exists()
    listed = get(client, f"/cases/{family.case.pk}/court-orders", therapist).json()
    assert listed == [order]


def test_a_no_contact_order_pauses_the_case(
    client: Client, therapist: User, family: Family
) -> None:
    body = WRITES["/court-orders"](family) | {"terms": [{"kind": "no_contact"}]}
    assert post(client, f"/cases/{family.case.pk}/court-orders", body, therapist).status_code == 201
    family.case.refresh_from_db()
    assert family.case.is_paused
    assert "court order 1: no contact" in family.case.pause_reason


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"terms": [{"kind": "supervised_until"}]}, 400, "needs its end date"),
        ({"terms": [{"kind": "reporting_duty"}]}, 400, "needs its due date"),
        ({"terms": [{"kind": "other", "text": " "}]}, 400, "Describe the term"),
        ({"issued_on": iso(today() + dt.timedelta(days=1))}, 400, "in the future"),
        ({"court": ""}, 400, "The court is required"),
        ({"terms": [{"kind": "banishment"}]}, 422, "terms.0.kind"),
        ({"terms": [{"kind": "no_contact", "until": "soon"}]}, 422, "terms.0.until"),
    ],
)
def test_a_court_order_with_bad_terms_is_turned_away(
    client: Client,
    therapist: User,
    family: Family,
    change: dict[str, Any],
    status: int,
    words: str,
) -> None:
    before = snapshot()
    body = WRITES["/court-orders"](family) | change
    response = post(client, f"/cases/{family.case.pk}/court-orders", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


# Safety screens ----------------------------------------------------------------------------


def test_record_a_screening_as_a_mapping(client: Client, therapist: User, family: Family) -> None:
    body = {"screened_on": iso(today()), "note": "All clear.", "findings": findings_map()}
    response = post(client, f"/cases/{family.case.pk}/screenings", body, therapist)
    assert response.status_code == 201
    data = response.json()
    assert data["present"] == []
    assert len(data["findings"]) == 9
    assert {f["status"] for f in data["findings"]} == {"absent"}
    assert Event.objects.filter(action="screening.record", case_id=family.case.pk).exists()
    assert get(client, f"/cases/{family.case.pk}/screenings", therapist).json() == [data]


def test_record_a_screening_as_a_list(client: Client, therapist: User, family: Family) -> None:
    findings = [{"code": code, "status": "absent", "note": ""} for code in Contraindication.values]
    findings[0] = {"code": "ongoing_abuse", "status": "unknown", "note": "Awaiting CPS."}
    body = {"screened_on": iso(today()), "findings": findings}
    response = post(client, f"/cases/{family.case.pk}/screenings", body, therapist)
    assert response.status_code == 201
    statuses = {f["code"]: f["status"] for f in response.json()["findings"]}
    assert statuses["ongoing_abuse"] == "unknown"


def test_a_present_contraindication_pauses_the_case(
    client: Client, therapist: User, family: Family
) -> None:
    body = {"screened_on": iso(today()), "findings": findings_map(child_self_harm="present")}
    response = post(client, f"/cases/{family.case.pk}/screenings", body, therapist)
    assert response.json()["present"] == ["child_self_harm"]
    case = get(client, f"/cases/{family.case.pk}", therapist).json()
    assert case["paused"] is True
    assert "child self-harm risk" in case["pause_reason"]


def _without(code: str) -> dict[str, Any]:
    findings = findings_map()
    del findings[code]
    return findings


@pytest.mark.parametrize(
    ("findings", "status", "words"),
    [
        (_without("coercion"), 400, "missing: Manipulation or coercion by either parent"),
        (findings_map() | {"astrology": {"status": "absent"}}, 400, "Unknown contraindication"),
        (findings_map() | {"coercion": {"status": "present"}}, 400, "describe what was found"),
        (findings_map() | {"coercion": {"status": "maybe"}}, 422, "findings.coercion.status"),
        ([{"status": "absent"}], 422, "needs its contraindication 'code'"),
        ([{"code": "coercion", "status": "absent"}] * 2, 422, "answered twice"),
        ("all clear", 422, "findings"),
    ],
)
def test_a_screening_with_bad_findings_is_turned_away(
    client: Client, therapist: User, family: Family, findings: Any, status: int, words: str
) -> None:
    before = snapshot()
    body = {"screened_on": iso(today()), "findings": findings}
    response = post(client, f"/cases/{family.case.pk}/screenings", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


# Assessment records ------------------------------------------------------------------------

RECORD_WRITES = [
    ("/intakes", "intake.record", Intake),
    ("/consents", "consent.record", Consent),
    ("/document-reviews", "document_review.record", DocumentReview),
    ("/readiness", "readiness.record", ReadinessRating),
]


@pytest.mark.parametrize(("suffix", "action", "model"), RECORD_WRITES)
def test_record_an_assessment_fact(
    client: Client, therapist: User, family: Family, suffix: str, action: str, model: Any
) -> None:
    response = post(client, f"/cases/{family.case.pk}{suffix}", WRITES[suffix](family), therapist)
    assert response.status_code == 201
    record = model.objects.get(pk=response.json()["id"])
    assert record.case_id == family.case.pk
    assert Event.objects.filter(action=action, case_id=family.case.pk, actor=therapist).exists()
    listed = get(client, f"/cases/{family.case.pk}{suffix}", therapist).json()
    assert listed == [response.json()]


@pytest.mark.parametrize(
    ("suffix", "change", "status", "words"),
    [
        ("/intakes", {"held_on": iso(today() + dt.timedelta(days=1))}, 400, "in the future"),
        ("/intakes", {"party_id": 0}, 400, "There is no party 0 in this case."),
        ("/intakes", {"party_id": None}, 422, "party_id"),
        ("/consents", {"party_id": "child"}, 422, "party_id"),
        ("/consents", {"kind": "pinky_promise"}, 422, "kind"),
        ("/document-reviews", {"none_provided": False}, 400, "Say which documents"),
        ("/document-reviews", {"reviewed_on": "yesterday"}, 422, "reviewed_on"),
        ("/readiness", {"level": "eager"}, 422, "level"),
        ("/readiness", {"rated_on": iso(today() + dt.timedelta(days=9))}, 400, "in the future"),
    ],
)
def test_an_assessment_fact_with_bad_input_is_turned_away(
    client: Client,
    therapist: User,
    family: Family,
    suffix: str,
    change: dict[str, Any],
    status: int,
    words: str,
) -> None:
    before = snapshot()
    body = WRITES[suffix](family) | change
    response = post(client, f"/cases/{family.case.pk}{suffix}", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_child_signs_no_consent(client: Client, therapist: User, family: Family) -> None:
    before = snapshot()
    body = WRITES["/consents"](family) | {"party_id": family.child.pk}
    response = post(client, f"/cases/{family.case.pk}/consents", body, therapist)
    assert response.status_code == 400
    assert "not an adult family party" in response.json()["detail"]
    assert snapshot() == before


def test_a_party_of_another_family_gets_no_intake_here(
    client: Client, therapist: User, family: Family, other_family: Family
) -> None:
    before = snapshot()
    body = WRITES["/intakes"](family) | {"party_id": other_family.child.pk}
    response = post(client, f"/cases/{family.case.pk}/intakes", body, therapist)
    assert response.status_code == 400
    assert "Okafor" not in response.content.decode()
    assert snapshot() == before


# The gate and moving on --------------------------------------------------------------------


def test_the_gate_says_what_is_missing(client: Client, therapist: User, family: Family) -> None:
    gate = get(client, f"/cases/{family.case.pk}/gate", therapist).json()
    assert (gate["phase"], gate["next_phase"], gate["open"]) == (
        "assessment",
        "psychoeducation",
        False,
    )
    assert gate["overridable"] is False
    first = gate["reasons"][0]
    assert first == {
        "code": "no_screen",
        "text": "no safety screen recorded yet",
        "kind": "safety",
        "overridable": False,
    }
    assert f"no_intake_{family.child.pk}" in [r["code"] for r in gate["reasons"]]


def test_a_closed_gate_answers_409_with_its_reasons(
    client: Client, therapist: User, family: Family
) -> None:
    before = snapshot()
    response = post(client, f"/cases/{family.case.pk}/transitions", {}, therapist)
    assert response.status_code == 409
    data = response.json()
    assert data["detail"].startswith("The way to psychoeducation is closed: no safety screen")
    assert data["next_phase"] == "psychoeducation"
    assert {"code", "text", "kind", "overridable"} == set(data["reasons"][0])
    assert "no_document_review" in [r["code"] for r in data["reasons"]]
    assert snapshot() == before
    refused = Event.objects.get(action="case.transition_refused", case_id=family.case.pk)
    assert "no safety screen recorded yet" in refused.detail["reasons"]


def test_an_open_gate_moves_the_case_on(client: Client, therapist: User, family: Family) -> None:
    complete_assessment(therapist, family)
    body = {"to_phase": "psychoeducation", "rationale": "Assessment complete."}
    response = post(client, f"/cases/{family.case.pk}/transitions", body, therapist)
    assert response.status_code == 201
    moved = response.json()
    assert (moved["kind"], moved["from_phase"], moved["to_phase"]) == (
        "advance",
        "assessment",
        "psychoeducation",
    )
    assert (moved["actor"], moved["rationale"]) == ("therapist", "Assessment complete.")
    assert Event.objects.filter(action="case.transition", case_id=family.case.pk).exists()
    history = get(client, f"/cases/{family.case.pk}/transitions", therapist).json()
    assert [t["kind"] for t in history] == ["open", "advance"]


@pytest.mark.parametrize(
    ("target", "words"),
    [
        ("therapeutic_contact", "it can only move on to psychoeducation and preparation"),
        ("assessment", "not to assessment"),
        ("closed", "use its close operation"),
    ],
)
def test_naming_a_phase_that_is_not_next_is_refused_clearly(
    client: Client, therapist: User, family: Family, target: str, words: str
) -> None:
    complete_assessment(therapist, family)
    before = snapshot()
    response = post(client, f"/cases/{family.case.pk}/transitions", {"to_phase": target}, therapist)
    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_naming_a_phase_that_does_not_exist_is_a_422(
    client: Client, therapist: User, family: Family
) -> None:
    response = post(
        client, f"/cases/{family.case.pk}/transitions", {"to_phase": "nirvana"}, therapist
    )
    assert response.status_code == 422
    assert "to_phase" in response.json()["detail"]


def test_the_last_phase_has_no_next_one(client: Client, therapist: User, family: Family) -> None:
    advance_to(therapist, family, "integration")
    before = snapshot()
    response = post(client, f"/cases/{family.case.pk}/transitions", {}, therapist)
    assert response.status_code == 400
    assert "close the case with its outcome" in response.json()["detail"]
    response = post(
        client, f"/cases/{family.case.pk}/transitions", {"to_phase": "integration"}, therapist
    )
    assert "the last phase" in response.json()["detail"]
    assert snapshot() == before


# Overrides ---------------------------------------------------------------------------------


@pytest.fixture
def ambivalent(therapist: User, family: Family) -> Family:
    """In individual work, closed only because the other parent is partly ready."""
    advance_to(therapist, family, "individual_work")
    for party, level in ((family.child, "ready"), (family.estranged, "ready")):
        services.readiness_record(
            actor=therapist, case=family.case, party=party, level=level, rated_on=today()
        )
    services.readiness_record(
        actor=therapist,
        case=family.case,
        party=family.other,
        level="partly_ready",
        rated_on=today(),
    )
    return family


def ask_override(client: Client, therapist: User, family: Family) -> dict[str, Any]:
    response = post(
        client, f"/cases/{family.case.pk}/overrides", WRITES["/overrides"](family), therapist
    )
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_an_override_cosigned_by_the_supervisor_moves_the_case(
    client: Client, therapist: User, supervisor: User, ambivalent: Family
) -> None:
    case = ambivalent.case
    gate = get(client, f"/cases/{case.pk}/gate", therapist).json()
    assert (gate["open"], gate["overridable"]) == (False, True)
    asked = ask_override(client, therapist, ambivalent)
    assert asked["status"] == "pending"
    assert asked["reasons"][0]["kind"] == "readiness"
    assert Event.objects.filter(action="override.request", case_id=case.pk).exists()

    awaiting = get(client, "/overrides", supervisor).json()
    assert [o["id"] for o in awaiting] == [asked["id"]]
    assert viewed(supervisor, case, "override_awaiting_list")

    body = {"decision": "approve", "note": "Agreed; review in two weeks."}
    response = post(client, f"/overrides/{asked['id']}/decision", body, supervisor)
    assert response.status_code == 200
    decided = response.json()
    assert (decided["status"], decided["decided_by"]) == ("cosigned", "supervisor")
    assert decided["case_phase"] == "therapeutic_contact"
    assert Event.objects.filter(action="override.cosign", case_id=case.pk).exists()
    last = get(client, f"/cases/{case.pk}/transitions", therapist).json()[-1]
    assert (last["kind"], last["cosigned_by"], last["to_phase"]) == (
        "override",
        "supervisor",
        "therapeutic_contact",
    )
    assert get(client, "/overrides", supervisor).json() == []


def test_an_override_can_be_approved_with_a_boolean(
    client: Client, therapist: User, supervisor: User, ambivalent: Family
) -> None:
    asked = ask_override(client, therapist, ambivalent)
    response = post(client, f"/overrides/{asked['id']}/decision", {"approve": True}, supervisor)
    assert response.json()["status"] == "cosigned"


def test_declining_an_override_needs_a_note(
    client: Client, therapist: User, supervisor: User, ambivalent: Family
) -> None:
    asked = ask_override(client, therapist, ambivalent)
    before = snapshot()
    path = f"/overrides/{asked['id']}/decision"
    response = post(client, path, {"decision": "decline"}, supervisor)
    assert response.status_code == 400
    assert response.json()["detail"] == "Say why the override is declined."
    assert snapshot() == before
    response = post(client, path, {"decision": "decline", "note": "Mother not ready."}, supervisor)
    assert response.json()["status"] == "declined"
    ambivalent.case.refresh_from_db()
    assert ambivalent.case.phase == "individual_work"
    assert Event.objects.filter(action="override.decline", case_id=ambivalent.case.pk).exists()


@pytest.mark.parametrize(
    "body",
    [{}, {"note": "hm"}, {"decision": "perhaps"}, {"decision": "approve", "approve": False}],
)
def test_a_decision_must_say_approve_or_decline(
    client: Client, therapist: User, supervisor: User, ambivalent: Family, body: dict[str, Any]
) -> None:
    asked = ask_override(client, therapist, ambivalent)
    before = snapshot()
    response = post(client, f"/overrides/{asked['id']}/decision", body, supervisor)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("Check the input")
    assert snapshot() == before


def test_the_therapist_may_not_cosign_their_own_override(
    client: Client, therapist: User, ambivalent: Family
) -> None:
    asked = ask_override(client, therapist, ambivalent)
    before = snapshot()
    response = post(client, f"/overrides/{asked['id']}/decision", {"approve": True}, therapist)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize("who", ["outsider", "monitor"])
def test_someone_outside_the_case_cannot_decide_its_override(
    client: Client, therapist: User, ambivalent: Family, who: str, request: pytest.FixtureRequest
) -> None:
    stranger = request.getfixturevalue(who)
    asked = ask_override(client, therapist, ambivalent)
    before = snapshot()
    response = post(client, f"/overrides/{asked['id']}/decision", {"approve": True}, stranger)
    assert response.status_code == 404
    assert "Rivers" not in response.content.decode()
    assert snapshot() == before
    assert get(client, "/overrides", stranger).json() == []


def test_an_override_that_does_not_exist_answers_404(client: Client, supervisor: User) -> None:
    response = post(client, "/overrides/999999/decision", {"approve": True}, supervisor)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_safety_and_record_reasons_cannot_be_overridden(
    client: Client, therapist: User, family: Family
) -> None:
    before = snapshot()
    response = post(
        client, f"/cases/{family.case.pk}/overrides", WRITES["/overrides"](family), therapist
    )
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Only readiness reasons can be overridden")
    assert not any(r["overridable"] for r in response.json()["reasons"])
    assert snapshot() == before


def test_an_override_needs_a_rationale(client: Client, therapist: User, ambivalent: Family) -> None:
    before = snapshot()
    response = post(client, f"/cases/{ambivalent.case.pk}/overrides", {"rationale": " "}, therapist)
    assert response.status_code == 400
    assert "rationale is required" in response.json()["detail"]
    assert snapshot() == before


def test_the_case_lists_its_overrides(
    client: Client, therapist: User, supervisor: User, ambivalent: Family
) -> None:
    asked = ask_override(client, therapist, ambivalent)
    listed = get(client, f"/cases/{ambivalent.case.pk}/overrides", supervisor).json()
    assert [o["id"] for o in listed] == [asked["id"]]


# Pause, resume, close ----------------------------------------------------------------------


def test_pause_and_resume_a_case(client: Client, therapist: User, family: Family) -> None:
    path = f"/cases/{family.case.pk}"
    response = post(client, f"{path}/pause", {"reason": "Child in acute distress."}, therapist)
    assert response.status_code == 201
    assert (response.json()["kind"], response.json()["case_paused"]) == ("pause", True)
    assert Event.objects.filter(action="case.pause", case_id=family.case.pk).exists()

    body = {"conditions": ["further_individual_therapy"], "note": "Six sessions held."}
    response = post(client, f"{path}/resume", body, therapist)
    assert response.status_code == 400
    assert response.json()["detail"] == "Record a fresh safety screen before resuming."

    screen(therapist, family.case)
    response = post(client, f"{path}/resume", body, therapist)
    assert response.status_code == 201
    resumed = response.json()
    assert (resumed["kind"], resumed["case_paused"]) == ("resume", False)
    assert resumed["conditions"] == ["further_individual_therapy"]
    assert Event.objects.filter(action="case.resume", case_id=family.case.pk).exists()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"conditions": []}, 400, "Name the conditions"),
        ({"conditions": ["wishful_thinking"]}, 400, "Unknown condition: wishful_thinking"),
        ({"conditions": ["other"], "note": ""}, 400, "Describe the other condition"),
        ({"conditions": "family_stabilisation"}, 422, "conditions"),
        ({}, 422, "conditions: Field required"),
    ],
)
def test_resume_turns_bad_input_away(
    client: Client,
    therapist: User,
    family: Family,
    body: dict[str, Any],
    status: int,
    words: str,
) -> None:
    transitions.case_pause(actor=therapist, case=family.case, reason="Court hearing pending.")
    screen(therapist, family.case)
    before = snapshot()
    response = post(client, f"/cases/{family.case.pk}/resume", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_case_is_not_paused_twice(client: Client, therapist: User, family: Family) -> None:
    transitions.case_pause(actor=therapist, case=family.case, reason="Court hearing pending.")
    before = snapshot()
    response = post(client, f"/cases/{family.case.pk}/pause", {"reason": "Again."}, therapist)
    assert response.status_code == 400
    assert response.json()["detail"] == "The case is already paused."
    response = post(client, f"/cases/{family.case.pk}/pause", {"reason": ""}, therapist)
    assert response.status_code == 400
    assert snapshot() == before


def test_a_paused_case_does_not_move_on(client: Client, therapist: User, family: Family) -> None:
    complete_assessment(therapist, family)
    transitions.case_pause(actor=therapist, case=family.case, reason="Court hearing pending.")
    response = post(client, f"/cases/{family.case.pk}/transitions", {}, therapist)
    assert response.status_code == 409
    assert response.json()["reasons"][0]["code"] == "paused"


def test_close_a_case(client: Client, therapist: User, family: Family) -> None:
    body = {"outcome": "partial", "reason": "Regular contact, less conflict."}
    response = post(client, f"/cases/{family.case.pk}/close", body, therapist)
    assert response.status_code == 201
    assert (response.json()["to_phase"], response.json()["case_phase"]) == ("closed", "closed")
    case = get(client, f"/cases/{family.case.pk}", therapist).json()
    assert (case["outcome"], case["outcome_reason"]) == ("partial", body["reason"])
    assert Event.objects.filter(action="case.close", case_id=family.case.pk).exists()


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"outcome": "partial", "reason": "  "}, 400, "The reason for closing is required."),
        ({"outcome": "vanished", "reason": "Gone."}, 422, "outcome"),
        ({"reason": "Gone."}, 422, "outcome: Field required"),
    ],
)
def test_close_turns_bad_input_away(
    client: Client,
    therapist: User,
    family: Family,
    body: dict[str, Any],
    status: int,
    words: str,
) -> None:
    before = snapshot()
    response = post(client, f"/cases/{family.case.pk}/close", body, therapist)
    assert response.status_code == status
    assert words in response.json()["detail"]
    assert snapshot() == before


def test_a_closed_case_can_still_be_read(client: Client, therapist: User, family: Family) -> None:
    transitions.case_close(actor=therapist, case=family.case, outcome="withdrawn", reason="Moved.")
    for suffix in READS:
        assert get(client, case_path(family, suffix), therapist).status_code == 200


# Timeline and access log -------------------------------------------------------------------


def test_the_timeline_tells_what_happened(client: Client, therapist: User, family: Family) -> None:
    transitions.case_pause(actor=therapist, case=family.case, reason="Court hearing pending.")
    timeline = get(client, f"/cases/{family.case.pk}/timeline", therapist).json()
    assert timeline[0]["summary"] == "paused the case: Court hearing pending."
    assert timeline[0]["who"] == "Tess Hale"
    assert timeline[-1]["action"] == "case.open"
    assert all(entry["action"] != "case.view" for entry in timeline)


def test_the_access_log_shows_who_looked(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    get(client, f"/cases/{family.case.pk}", supervisor)
    log = get(client, f"/cases/{family.case.pk}/access-log", therapist).json()
    assert (log[0]["who"], log[0]["what"]) == ("Tess Hale", "access log, through the API")
    assert (log[1]["who"], log[1]["what"]) == ("Sam Super", "case detail, through the API")
    assert log[1]["at"]


# The document ------------------------------------------------------------------------------

PATHS = {
    "/api/v1/cases": {"get", "post"},
    "/api/v1/cases/{id}": {"get"},
    "/api/v1/cases/{id}/parties": {"get", "post"},
    "/api/v1/cases/{id}/parties/{party_id}/protection": {"post"},
    "/api/v1/cases/{id}/court-orders": {"get", "post"},
    "/api/v1/cases/{id}/court-orders/{order_id}/end": {"post"},
    "/api/v1/cases/{id}/court-orders/{order_id}/amend": {"post"},
    "/api/v1/cases/{id}/court-orders/{order_id}/supersede": {"post"},
    "/api/v1/cases/{id}/screenings": {"get", "post"},
    "/api/v1/cases/{id}/intakes": {"get", "post"},
    "/api/v1/cases/{id}/consents": {"get", "post"},
    "/api/v1/cases/{id}/document-reviews": {"get", "post"},
    "/api/v1/cases/{id}/readiness": {"get", "post"},
    "/api/v1/cases/{id}/gate": {"get"},
    "/api/v1/cases/{id}/transitions": {"get", "post"},
    "/api/v1/cases/{id}/overrides": {"get", "post"},
    "/api/v1/overrides": {"get"},
    "/api/v1/overrides/{id}/decision": {"post"},
    "/api/v1/cases/{id}/pause": {"post"},
    "/api/v1/cases/{id}/resume": {"post"},
    "/api/v1/cases/{id}/close": {"post"},
    "/api/v1/cases/{id}/timeline": {"get"},
    "/api/v1/cases/{id}/access-log": {"get"},
    "/api/v1/cases/{id}/documents": {"get", "post"},
    "/api/v1/documents/{id}/download": {"get"},
    "/api/v1/modules": {"get", "post"},
    "/api/v1/modules/{id}": {"get", "put"},
    "/api/v1/cases/{id}/modules": {"get", "post"},
    "/api/v1/cases/{id}/modules/{assignment_id}/complete": {"post"},
}


def test_the_openapi_document_lists_every_operation(client: Client) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    listed = {path: set(ops) for path, ops in document["paths"].items()}
    # Every case operation is documented (other apps' tests check their own paths).
    assert {path: listed.get(path) for path in PATHS} == PATHS
    assert document["components"]["securitySchemes"]["BearerToken"]["scheme"] == "bearer"
    operation_ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))
    assert "409" in document["paths"]["/api/v1/cases/{id}/transitions"]["post"]["responses"]


def test_the_docs_page_is_served(client: Client) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    assert b"openapi.json" in response.content
