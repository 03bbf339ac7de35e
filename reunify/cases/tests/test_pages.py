"""The server-rendered pages: caseload, case page, record forms, moving and closing a case.

Every page: it works; it needs a login; another family's case answers 404; a role that may
not act is refused; bad input gets a clear error and changes nothing; the audit row is written.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
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
    OverrideStatus,
    Party,
    PartyRole,
    Person,
    Phase,
    ReadinessRating,
    Scenario,
    TermKind,
)
from reunify.cases.sections import section_url
from reunify.cases.services import TermInput
from reunify.conftest import (
    PASSWORD,
    Family,
    add_party,
    advance_to,
    complete_assessment,
    enrol_authenticator,
    fresh,
    login,
    make_family,
    screen,
    sessions_held_cancelled_and_to_come,
)
from reunify.process import pausing, transitions
from reunify.process.gates import gate_for, with_gate_facts
from reunify.safety.models import Contraindication, Screening

DAY = dt.timedelta(days=1)


def today() -> dt.date:
    return timezone.localdate()


def iso(day: dt.date) -> str:
    return day.isoformat()


def events(action: str, case: Case) -> int:
    return Event.objects.filter(action=action, case_id=case.pk).count()


def rows(model: type[Model]) -> int:
    return model._default_manager.count()


def gate_texts(case: Case) -> list[str]:
    return gate_for(with_gate_facts(Case.objects.filter(pk=case.pk)).get()).texts()


def text(response: Any) -> str:
    return response.content.decode()


def url(name: str, family: Family) -> str:
    if name == "party_protect":
        return reverse(name, args=[family.case.pk, family.other.pk])
    return reverse(name, args=[family.case.pk])


# Every page of a case, with the method that reaches it.
CASE_PAGES = [
    ("get", "case_detail"),
    ("get", "party_new"),
    ("post", "party_new"),
    ("post", "party_protect"),
    ("get", "court_order_new"),
    ("post", "court_order_new"),
    ("get", "intake_new"),
    ("post", "intake_new"),
    ("get", "consent_new"),
    ("post", "consent_new"),
    ("get", "document_review_new"),
    ("post", "document_review_new"),
    ("get", "readiness_new"),
    ("post", "readiness_new"),
    ("get", "screening_new"),
    ("post", "screening_new"),
    ("post", "case_advance"),
    ("post", "override_request"),
    ("post", "case_pause"),
    ("post", "case_resume"),
    ("post", "case_close"),
]
WRITE_PAGES = [page for page in CASE_PAGES if page[1] != "case_detail"]


def all_answered(status: str = "absent", **overrides: str) -> dict[str, str]:
    """Screening form data with every contraindication answered."""
    data = {f"{code}_status": status for code in Contraindication.values}
    for code, value in overrides.items():
        data[f"{code}_status"] = value
    return data


# Login, logout and the frame of every page ------------------------------------------------------


def test_the_login_page_works(client: Client, db: Any) -> None:
    response = client.get(reverse("login"))

    assert response.status_code == 200
    page = text(response)
    assert '<html lang="en">' in page
    assert '<label for="id_username">' in page
    assert '<label for="id_password">' in page
    assert "<h1>" in page


def test_it_logs_in_and_out(client: Client, therapist: User) -> None:
    app = enrol_authenticator(therapist)
    response = client.post(reverse("login"), {"username": "therapist", "password": PASSWORD})
    assert response["Location"] == reverse("login_code")
    response = client.post(reverse("login_code"), {"code": app.now()})
    assert response.status_code == 302
    assert response["Location"] == reverse("caseload")

    page = text(client.get(reverse("caseload")))
    assert "Tess Hale" in page
    assert f'action="{reverse("logout")}"' in page

    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("caseload")).status_code == 302


def test_a_wrong_password_gets_a_clear_error(client: Client, therapist: User) -> None:
    response = client.post(reverse("login"), {"username": "therapist", "password": "wrong"})

    assert response.status_code == 200
    assert "correct username and password" in text(response)
    assert 'role="alert"' in text(response)


def test_every_page_has_the_landmarks_and_no_inline_script_or_style(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    urls = [reverse("caseload"), reverse("case_new")] + [
        url(name, family) for method, name in CASE_PAGES if method == "get"
    ]
    for address in urls:
        page = text(client.get(address))
        for landmark in ("<header", "<nav", '<main id="main"', "<footer", 'href="#main"'):
            assert landmark in page, (address, landmark)
        assert page.count("<h1>") == 1, address
        assert "<script" not in page, address
        assert "style=" not in page, address
        assert "<style" not in page, address


def test_a_form_posted_without_its_csrf_token_is_refused(therapist: User, family: Family) -> None:
    client = login(Client(enforce_csrf_checks=True), therapist)

    response = client.post(reverse("case_pause", args=[family.case.pk]), {"pause-reason": "x"})

    assert response.status_code == 403
    assert "The form had expired" in text(response)
    assert not fresh(family.case).is_paused


@pytest.mark.parametrize(("method", "name"), CASE_PAGES)
def test_case_pages_need_login(client: Client, family: Family, method: str, name: str) -> None:
    address = url(name, family)

    response = getattr(client, method)(address)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("name", ["caseload", "case_new"])
def test_the_caseload_and_new_case_pages_need_login(client: Client, db: Any, name: str) -> None:
    response = client.get(reverse(name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("method", "name"), CASE_PAGES)
def test_it_rejects_other_family(
    client: Client, therapist: User, other_family: Family, method: str, name: str
) -> None:
    login(client, therapist)
    before = Event.objects.exclude(action="access.denied").count()

    response = getattr(client, method)(url(name, other_family))

    assert response.status_code == 404
    assert "Okafor" not in text(response)
    assert Event.objects.exclude(action="access.denied").count() == before


@pytest.mark.parametrize(("method", "name"), CASE_PAGES)
def test_a_monitor_sees_no_case(
    client: Client, monitor: User, family: Family, method: str, name: str
) -> None:
    login(client, monitor)

    response = getattr(client, method)(url(name, family))

    assert response.status_code == 404


@pytest.mark.parametrize(("method", "name"), WRITE_PAGES)
def test_the_supervisor_may_read_but_not_record(
    client: Client, supervisor: User, family: Family, method: str, name: str
) -> None:
    login(client, supervisor)
    before = Event.objects.exclude(action__in=("case.view", "access.denied")).count()

    response = getattr(client, method)(url(name, family))

    assert response.status_code == 403
    assert Event.objects.exclude(action__in=("case.view", "access.denied")).count() == before


# The caseload -----------------------------------------------------------------------------------


def test_the_caseload_works(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)

    response = client.get(reverse("caseload"))

    assert response.status_code == 200
    page = text(response)
    assert f'href="{reverse("case_detail", args=[family.case.pk])}"' in page
    assert "Rivers family" in page
    assert "Assessment" in page
    assert "no separate intake with the estranged parent (Daniel Rivers) yet" in page
    assert f'href="{reverse("case_new")}"' in page
    assert "<caption" in page
    assert '<th scope="col">' in page


def test_the_caseload_leaves_out_other_family(
    client: Client, therapist: User, family: Family, other_family: Family
) -> None:
    login(client, therapist)

    page = text(client.get(reverse("caseload")))

    assert "Rivers family" in page
    assert "Okafor" not in page


def test_the_caseload_says_when_a_case_is_ready(
    client: Client, therapist: User, family: Family
) -> None:
    complete_assessment(therapist, family)
    login(client, therapist)

    page = text(client.get(reverse("caseload")))

    assert "Ready to move to Psychoeducation and preparation" in page


def test_the_caseload_says_integration_is_closed_with_an_outcome(
    client: Client, therapist: User, family: Family
) -> None:
    advance_to(therapist, family, Phase.INTEGRATION)
    login(client, therapist)

    page = text(client.get(reverse("caseload")))

    assert "Close with an outcome when done" in page


def test_the_caseload_flags_an_overdue_rescreen_in_words(
    client: Client, therapist: User, family: Family
) -> None:
    screen(therapist, family.case, days_ago=40)
    login(client, therapist)

    page = text(client.get(reverse("caseload")))

    assert iso(today() - 40 * DAY + 30 * DAY) in page
    assert "Overdue" in page


def test_the_caseload_shows_a_paused_case_and_why(
    client: Client, therapist: User, family: Family
) -> None:
    transitions.case_pause(actor=therapist, case=family.case, reason="Father missed two sessions")
    login(client, therapist)

    page = text(client.get(reverse("caseload")))

    assert "Paused" in page
    assert "Father missed two sessions" in page


@pytest.mark.parametrize("persona", ["monitor", "admin_user"])
def test_staff_without_a_caseload_get_a_page_saying_so(
    client: Client, request: pytest.FixtureRequest, family: Family, persona: str
) -> None:
    login(client, request.getfixturevalue(persona))

    response = client.get(reverse("caseload"))

    assert response.status_code == 200
    page = text(response)
    assert "You have no caseload" in page
    assert "Rivers" not in page
    assert reverse("case_new") not in page


def _busy_case(therapist: User, number: int) -> Family:
    family = make_family(therapist, title=f"Family {number:02d}", last=f"Name{number}")
    add_party(therapist, family.case, PartyRole.GUARDIAN, "Gil", f"Name{number}")
    screen(therapist, family.case, days_ago=3)
    screen(therapist, family.case, days_ago=1)
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court",
        court_case_number=f"FL-{number}",
        issued_on=today(),
        terms=[TermInput(TermKind.SUPERVISED_UNTIL, until=today() + 90 * DAY)],
    )
    # Sessions held, cancelled and to come: the caseload counts them per party.
    sessions_held_cancelled_and_to_come(therapist, family, number)
    return family


def _queries(client: Client, address: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(address)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_caseload_query_count_does_not_grow_with_the_cases(
    client: Client, therapist: User
) -> None:
    for number in range(2):
        _busy_case(therapist, number)
    login(client, therapist)
    with_two = _queries(client, reverse("caseload"))

    for number in range(2, 6):
        _busy_case(therapist, number)
    with_six = _queries(client, reverse("caseload"))

    assert with_two == with_six
    page = text(client.get(reverse("caseload")))
    assert "Family 05" in page
    assert "Daniel Name5: 1 of 2 held" in page


def _ask_override(therapist: User, family: Family) -> OverrideRequest:
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    services.readiness_record(
        actor=therapist, case=family.case, party=family.child, level="ready", rated_on=today()
    )
    for party in (family.estranged, family.other):
        services.readiness_record(
            actor=therapist, case=family.case, party=party, level="partly_ready", rated_on=today()
        )
    return transitions.override_request(
        actor=therapist, case=family.case, rationale="Both parents are close enough."
    )


def test_the_supervisors_caseload_query_count_does_not_grow_with_the_overrides(
    client: Client, therapist: User, supervisor: User
) -> None:
    _ask_override(therapist, make_family(therapist, title="Family A", last="A"))
    login(client, supervisor)
    with_one = _queries(client, reverse("caseload"))

    for title in ("Family B", "Family C"):
        _ask_override(therapist, make_family(therapist, title=title, last=title[-1]))
    with_three = _queries(client, reverse("caseload"))

    assert with_one == with_three


# Opening a case ---------------------------------------------------------------------------------


def _new_case_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "title": "Nguyen family",
        "referral_source": "attorney",
        "referral_date": iso(today() - 3 * DAY),
        "referral_reason": "The son has refused visits for a year.",
        "court_ordered": "no",
        "scenarios": ["prolonged_separation", "coparenting_breakdown"],
    }
    data.update(overrides)
    return data


def test_the_new_case_form_works(client: Client, therapist: User) -> None:
    login(client, therapist)

    response = client.get(reverse("case_new"))

    assert response.status_code == 200
    page = text(response)
    for scenario in Scenario:
        assert f'value="{scenario.value}"' in page
    assert 'type="date"' in page
    assert "(required)" in page


def test_it_opens_a_case(client: Client, therapist: User) -> None:
    login(client, therapist)

    response = client.post(reverse("case_new"), _new_case_data())

    case = Case.objects.get(title="Nguyen family")
    assert response.status_code == 302
    assert response["Location"] == reverse("case_detail", args=[case.pk])
    assert case.therapist == therapist
    assert case.court_ordered is False
    assert case.scenarios == ["coparenting_breakdown", "prolonged_separation"]
    assert events("case.open", case) == 1
    assert "opened" in text(client.get(response["Location"]))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"referral_date": iso(today() + 5 * DAY)}, "is in the future"),
        ({"title": ""}, "This field is required"),
        ({"referral_reason": "   "}, "This field is required"),
        ({"scenarios": ["not_a_scenario"]}, "Select a valid choice"),
    ],
)
def test_opening_a_case_with_bad_input_changes_nothing(
    client: Client, therapist: User, overrides: dict[str, Any], message: str
) -> None:
    login(client, therapist)

    response = client.post(reverse("case_new"), _new_case_data(**overrides))

    assert response.status_code == 400
    assert message in text(response)
    assert 'role="alert"' in text(response)
    assert Case.objects.count() == 0


def test_a_field_error_is_linked_to_its_field(client: Client, therapist: User) -> None:
    login(client, therapist)

    page = text(client.post(reverse("case_new"), _new_case_data(title="")))

    assert 'id="id_title_error"' in page
    assert 'aria-describedby="id_title_helptext id_title_error"' in page
    assert 'aria-invalid="true"' in page


@pytest.mark.parametrize("persona", ["monitor", "admin_user"])
def test_only_therapists_and_supervisors_open_cases(
    client: Client, request: pytest.FixtureRequest, persona: str
) -> None:
    login(client, request.getfixturevalue(persona))

    assert client.get(reverse("case_new")).status_code == 403
    assert client.post(reverse("case_new"), _new_case_data()).status_code == 403
    assert Case.objects.count() == 0


# The case page ----------------------------------------------------------------------------------


def test_the_case_page_works(client: Client, therapist: User, family: Family) -> None:
    pausing.court_order_record(
        actor=therapist,
        case=family.case,
        court="Superior Court of Alameda",
        court_case_number="FL-2024-118",
        judge="Hon. R. Ortiz",
        issued_on=today() - 10 * DAY,
        terms=[TermInput(TermKind.SUPERVISED_UNTIL, until=dt.date(2027, 1, 15))],
    )
    add_party(
        therapist,
        family.case,
        PartyRole.ATTORNEY,
        "Ana",
        "Silva",
        represents=family.estranged,
        organisation="Silva Law",
    )
    login(client, therapist)

    response = client.get(reverse("case_detail", args=[family.case.pk]))

    assert response.status_code == 200
    page = "".join(
        text(client.get(section_url(family.case.pk, slug)))
        for slug in ("overview", "parties", "legal", "timeline")
    )
    assert "<h1>Rivers family</h1>" in page
    assert "Court-ordered" in page
    assert "Child&#x27;s resistance or refusal" in page
    assert "Tess Hale" in page
    assert "acting for Daniel Rivers" in page
    assert "Court order 1" in page
    assert "FL-2024-118" in page
    assert "Hon. R. Ortiz" in page
    assert "supervised contact only until 2027-01-15" in page
    assert "Next phase: Psychoeducation and preparation" in page
    assert "17 Quiet Lane" in page  # the treating therapist sees protected contact details
    assert "Who looked at this case" in page


def test_the_case_page_is_audited(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)
    before = events("case.view", family.case)

    client.get(reverse("case_detail", args=[family.case.pk]))
    page = text(client.get(section_url(family.case.pk, "timeline")))

    assert events("case.view", family.case) == before + 2
    assert "Tess Hale" in page.split("Who looked at this case")[1]


def test_the_supervisor_sees_the_case_but_not_a_protected_address(
    client: Client, supervisor: User, family: Family
) -> None:
    login(client, supervisor)

    response = client.get(section_url(family.case.pk, "parties"))

    assert response.status_code == 200
    page = text(response) + text(client.get(reverse("case_detail", args=[family.case.pk])))
    assert "Laura Rivers" in page
    assert "17 Quiet Lane" not in page
    assert "Protected — shown to the treating therapists only" in page
    assert reverse("case_advance", args=[family.case.pk]) not in page
    assert reverse("party_new", args=[family.case.pk]) not in page


def test_the_gate_reasons_appear_with_their_kind_and_vanish_when_resolved(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    address = reverse("case_detail", args=[family.case.pk])

    page = text(client.get(address))
    for reason in gate_texts(family.case):
        assert reason.replace("'", "&#x27;") in page
    assert "no separate intake with the estranged parent (Daniel Rivers) yet" in page
    assert "record reason: cannot be overridden" in page
    assert "safety reason: cannot be overridden" in page

    complete_assessment(therapist, family)
    page = text(client.get(address))

    assert "no separate intake" not in page
    assert "cannot be overridden" not in page
    assert "ready to move to Psychoeducation and preparation" in page
    assert "Move to Psychoeducation and preparation" in page


def test_readiness_reasons_are_shown_as_overridable(
    client: Client, therapist: User, family: Family
) -> None:
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    services.readiness_record(
        actor=therapist, case=family.case, party=family.child, level="ready", rated_on=today()
    )
    login(client, therapist)

    page = text(client.get(reverse("case_detail", args=[family.case.pk])))

    assert "readiness of the estranged parent (Daniel Rivers) not rated yet" in page
    assert "readiness reason: can be overridden" in page
    assert reverse("override_request", args=[family.case.pk]) in page
    assert "Clinical rationale" in page


def _grow(therapist: User, family: Family, extra: int) -> None:
    for n in range(extra):
        add_party(therapist, family.case, PartyRole.EXTENDED_FAMILY, f"Kin{n}", "Rivers")
        add_party(
            therapist,
            family.case,
            PartyRole.ATTORNEY,
            f"Counsel{n}",
            "Lee",
            represents=family.estranged,
        )
        screen(therapist, family.case, days_ago=n + 1)
        services.intake_record(
            actor=therapist, case=family.case, party=family.child, held_on=today() - n * DAY
        )
        services.consent_record(
            actor=therapist,
            case=family.case,
            party=family.other,
            kind="informed_consent",
            signed_on=today(),
        )
        services.readiness_record(
            actor=therapist, case=family.case, party=family.child, level="ready", rated_on=today()
        )
        services.document_review_record(
            actor=therapist, case=family.case, reviewed_on=today(), none_provided=True
        )
        pausing.court_order_record(
            actor=therapist,
            case=family.case,
            court="Superior Court",
            court_case_number=f"FL-{n}",
            issued_on=today(),
            terms=[TermInput(TermKind.REPORTING_DUTY, due_on=today() + 30 * DAY)],
        )
        transitions.case_pause(actor=therapist, case=family.case, reason=f"pause {n}")
        screen(therapist, family.case)
        transitions.case_resume(
            actor=therapist, case=family.case, conditions=["family_stabilisation"]
        )


def test_the_case_page_query_count_does_not_grow_with_the_record(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    address = reverse("case_detail", args=[family.case.pk])
    _grow(therapist, family, 1)
    small = _queries(client, address)

    _grow(therapist, family, 4)
    large = _queries(client, address)

    assert small == large


def test_a_closed_case_shows_its_outcome_and_no_write_forms(
    client: Client, therapist: User, family: Family
) -> None:
    transitions.case_close(
        actor=therapist, case=family.case, outcome="withdrawn", reason="The family moved away."
    )
    login(client, therapist)

    page = text(client.get(reverse("case_detail", args=[family.case.pk])))

    assert "Withdrawn" in page
    assert "The family moved away." in page
    assert "<form" not in page.split("<main")[1]
    for name in ("party_new", "intake_new", "screening_new", "case_advance", "case_close"):
        assert reverse(name, args=[family.case.pk]) not in page


# Record forms: one table drives the common checks -----------------------------------------------


def _party_data(family: Family) -> dict[str, Any]:
    return {
        "role": "attorney",
        "first_name": "Ana",
        "last_name": "Silva",
        "email": "ana@silva.example",
        "represents": family.estranged.pk,
        "organisation": "Silva Law",
    }


def _court_order_data(family: Family) -> dict[str, Any]:
    return {
        "court": "Superior Court",
        "court_case_number": "FL-77",
        "judge": "Hon. Ortiz",
        "issued_on": iso(today()),
        "term-1-kind": "supervised_until",
        "term-1-until": iso(today() + 60 * DAY),
    }


RECORD_FORMS: list[tuple[str, type[Model], str, Callable[[Family], dict[str, Any]]]] = [
    ("party_new", Party, "party.add", _party_data),
    ("court_order_new", CourtOrder, "court_order.record", _court_order_data),
    (
        "intake_new",
        Intake,
        "intake.record",
        lambda f: {"party": f.estranged.pk, "held_on": iso(today())},
    ),
    (
        "consent_new",
        Consent,
        "consent.record",
        lambda f: {"party": f.other.pk, "kind": "informed_consent", "signed_on": iso(today())},
    ),
    (
        "document_review_new",
        DocumentReview,
        "document_review.record",
        lambda f: {"reviewed_on": iso(today()), "none_provided": "on"},
    ),
    (
        "readiness_new",
        ReadinessRating,
        "readiness.record",
        lambda f: {"party": f.child.pk, "level": "partly_ready", "rated_on": iso(today())},
    ),
    (
        "screening_new",
        Screening,
        "screening.record",
        lambda f: {"screened_on": iso(today()), **all_answered()},
    ),
]

# For each form: input the service refuses (or the form cannot parse), and the message shown.
BAD_INPUT: dict[str, tuple[Callable[[Family], dict[str, Any]], str]] = {
    "party_new": (
        lambda f: {**_party_data(f), "represents": ""},
        "Name the party this attorney acts for.",
    ),
    "court_order_new": (
        lambda f: {**_court_order_data(f), "term-1-until": ""},
        "A &#x27;supervised contact only until&#x27; term needs its end date.",
    ),
    "intake_new": (
        lambda f: {"party": f.estranged.pk, "held_on": iso(today() + DAY)},
        "is in the future",
    ),
    "consent_new": (
        lambda f: {"party": f.other.pk, "kind": "informed_consent", "signed_on": "not a date"},
        "Enter a valid date.",
    ),
    "document_review_new": (
        lambda f: {"reviewed_on": iso(today()), "description": ""},
        "Say which documents were reviewed, or record that none were provided.",
    ),
    "readiness_new": (
        lambda f: {"party": f.child.pk, "level": "ready", "rated_on": iso(today() + 2 * DAY)},
        "is in the future",
    ),
    "screening_new": (
        lambda f: {"screened_on": iso(today()), **all_answered(ongoing_abuse="present")},
        "is marked present: describe what was found.",
    ),
}


SECTION_OF = {
    "party_new": "parties",
    "court_order_new": "legal",
    "intake_new": "sessions",
    "consent_new": "sessions",
    "document_review_new": "sessions",
    "readiness_new": "measures",
    "screening_new": "overview",
}


@pytest.mark.parametrize(("name", "model", "action", "data"), RECORD_FORMS)
def test_each_record_form_works(
    client: Client,
    therapist: User,
    family: Family,
    name: str,
    model: type[Model],
    action: str,
    data: Any,
) -> None:
    login(client, therapist)
    address = url(name, family)

    form = client.get(address)
    assert form.status_code == 200
    assert "<form" in text(form)
    assert "Rivers family" in text(form)

    before, audited = rows(model), events(action, family.case)
    response = client.post(address, data(family))

    assert response.status_code == 302, text(response)
    # Back to the section of the case page the record belongs to.
    assert response["Location"] == section_url(family.case.pk, SECTION_OF[name])
    assert rows(model) == before + 1
    assert events(action, family.case) == audited + 1
    assert 'role="status"' in text(client.get(response["Location"]))


@pytest.mark.parametrize(("name", "model", "action", "data"), RECORD_FORMS)
def test_each_record_form_refuses_bad_input_and_changes_nothing(
    client: Client,
    therapist: User,
    family: Family,
    name: str,
    model: type[Model],
    action: str,
    data: Any,
) -> None:
    login(client, therapist)
    bad, message = BAD_INPUT[name]
    before, audited = rows(model), events(action, family.case)

    response = client.post(url(name, family), bad(family))

    assert response.status_code == 400
    assert message in text(response)
    assert 'role="alert"' in text(response)
    assert rows(model) == before
    assert events(action, family.case) == audited


@pytest.mark.parametrize(("name", "model", "action", "data"), RECORD_FORMS)
def test_each_record_form_refuses_a_closed_case(
    client: Client,
    therapist: User,
    family: Family,
    name: str,
    model: type[Model],
    action: str,
    data: Any,
) -> None:
    transitions.case_close(actor=therapist, case=family.case, outcome="withdrawn", reason="Moved.")
    login(client, therapist)
    before = rows(model)

    shown = client.get(url(name, family), follow=True)
    posted = client.post(url(name, family), data(family))

    assert "This case is closed; its record is read-only." in text(shown)
    assert posted.status_code == 400
    assert "This case is closed; its record is read-only." in text(posted)
    assert rows(model) == before


def test_the_attorney_select_lists_only_this_cases_parties(
    client: Client, therapist: User, family: Family, other_family: Family
) -> None:
    login(client, therapist)

    page = text(client.get(reverse("party_new", args=[family.case.pk])))

    assert f'value="{family.estranged.pk}"' in page
    assert f'value="{other_family.estranged.pk}"' not in page
    response = client.post(
        reverse("party_new", args=[family.case.pk]),
        {**_party_data(family), "represents": other_family.estranged.pk},
    )
    assert response.status_code == 400
    assert "Select a valid choice" in text(response)


def test_a_new_party_with_a_protected_address_is_flagged(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    client.post(
        reverse("party_new", args=[family.case.pk]),
        {
            "role": "guardian",
            "first_name": "Gwen",
            "last_name": "Rivers",
            "address": "1 Safe Street",
            "protected_address": "on",
            "interpreter_needed": "on",
            "preferred_language": "Spanish",
        },
    )

    person = Person.objects.get(first_name="Gwen")
    assert person.protected_address and person.interpreter_needed
    page = text(client.get(section_url(family.case.pk, "parties")))
    assert "Needs an interpreter" in page
    assert "Language: Spanish" in page


def test_blank_term_rows_are_ignored_and_a_half_filled_one_is_refused(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    address = reverse("court_order_new", args=[family.case.pk])

    half = client.post(address, {**_court_order_data(family), "term-2-text": "see order"})
    assert half.status_code == 400
    assert "Choose the kind of term, or clear this row." in text(half)
    assert CourtOrder.objects.count() == 0

    client.post(address, _court_order_data(family))
    assert CourtTerm.objects.count() == 1


def test_a_no_contact_order_pauses_the_case_and_says_so(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    data = {**_court_order_data(family), "term-1-kind": "no_contact", "term-1-until": ""}

    response = client.post(reverse("court_order_new", args=[family.case.pk]), data, follow=True)

    assert fresh(family.case).is_paused
    assert "The case is now paused: court order 1: no contact." in text(response)


def test_a_present_contraindication_pauses_the_case_and_says_so(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    data = {
        "screened_on": iso(today()),
        **all_answered(child_self_harm="present"),
        "child_self_harm_note": "Disclosed cutting last week.",
    }

    response = client.post(reverse("screening_new", args=[family.case.pk]), data, follow=True)

    assert fresh(family.case).is_paused
    page = text(response)
    assert "The case is now paused" in page
    assert "child self-harm risk" in page


def test_a_screen_that_skips_an_item_names_it(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    data = {"screened_on": iso(today()), **all_answered()}
    del data["coercion_status"]

    response = client.post(reverse("screening_new", args=[family.case.pk]), data)

    assert response.status_code == 400
    assert "Manipulation or coercion by either parent: Answer present, absent or unknown." in text(
        response
    )
    assert 'aria-describedby="id_coercion_status_error"' in text(response)
    assert Screening.objects.count() == 0


def test_the_screening_form_has_a_fieldset_per_contraindication(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    page = text(client.get(reverse("screening_new", args=[family.case.pk])))

    assert page.count('class="group finding"') == len(Contraindication)
    for item in Contraindication:
        assert item.label.replace("'", "&#x27;") in page
        assert f'name="{item.value}_status" value="unknown"' in page


def test_it_protects_and_unprotects_a_party(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    address = reverse("party_protect", args=[family.case.pk, family.estranged.pk])

    response = client.post(address, {"protected": "yes"})

    assert response.status_code == 302
    assert Person.objects.get(pk=family.estranged.person_id).protected_address
    assert events("party.protect", family.case) == 1

    client.post(address, {"protected": "no"})
    assert not Person.objects.get(pk=family.estranged.person_id).protected_address
    assert events("party.unprotect", family.case) == 1


def test_protecting_a_party_of_another_case_answers_404(
    client: Client, therapist: User, family: Family, other_family: Family
) -> None:
    login(client, therapist)

    response = client.post(
        reverse("party_protect", args=[family.case.pk, other_family.estranged.pk])
    )

    assert response.status_code == 404
    assert not Person.objects.get(pk=other_family.estranged.person_id).protected_address


# Moving the case --------------------------------------------------------------------------------


def test_advance_refused_shows_exactly_the_gate_reasons(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    reasons = gate_texts(family.case)

    response = client.post(reverse("case_advance", args=[family.case.pk]))

    assert response.status_code == 409
    refusal = text(response).split('id="refused-heading"')[1].split("</div>")[0]
    for reason in reasons:
        assert reason.replace("'", "&#x27;") in refusal
    assert refusal.count("<li>") == len(reasons)
    assert fresh(family.case).phase == Phase.ASSESSMENT
    assert events("case.transition_refused", family.case) == 1
    assert events("case.transition", family.case) == 0


def test_it_advances_when_the_gate_is_open(client: Client, therapist: User, family: Family) -> None:
    complete_assessment(therapist, family)
    login(client, therapist)

    response = client.post(reverse("case_advance", args=[family.case.pk]), follow=True)

    assert fresh(family.case).phase == Phase.PSYCHOEDUCATION
    assert events("case.transition", family.case) == 1
    assert "The case moved to Psychoeducation and preparation." in text(response)


def test_advance_from_integration_says_to_close_instead(
    client: Client, therapist: User, family: Family
) -> None:
    advance_to(therapist, family, Phase.INTEGRATION)
    login(client, therapist)

    response = client.post(reverse("case_advance", args=[family.case.pk]))

    assert response.status_code == 400
    assert "close the case with its outcome instead" in text(response)
    assert fresh(family.case).phase == Phase.INTEGRATION


def test_advance_is_a_post(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)

    assert client.get(reverse("case_advance", args=[family.case.pk])).status_code == 405


def _ready_for_override(therapist: User, family: Family) -> None:
    advance_to(therapist, family, Phase.INDIVIDUAL_WORK)
    services.readiness_record(
        actor=therapist, case=family.case, party=family.child, level="ready", rated_on=today()
    )
    for party in (family.estranged, family.other):
        services.readiness_record(
            actor=therapist, case=family.case, party=party, level="partly_ready", rated_on=today()
        )


def test_an_override_co_signed_on_the_caseload_moves_the_case(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    _ready_for_override(therapist, family)
    login(client, therapist)

    response = client.post(
        reverse("override_request", args=[family.case.pk]),
        {"override-rationale": "Both parents have done the work; the child asks to start."},
        follow=True,
    )

    override = OverrideRequest.objects.get(case=family.case)
    assert override.status == OverrideStatus.PENDING
    assert events("override.request", family.case) == 1
    assert "Override awaiting co-signature" in text(response)

    login(client, supervisor)
    caseload = text(client.get(reverse("caseload")))
    assert "Overrides awaiting your co-signature" in caseload
    assert "Both parents have done the work" in caseload
    assert reverse("override_decide", args=[override.pk]) in caseload

    response = client.post(reverse("override_decide", args=[override.pk]), {"decision": "approve"})

    assert response.status_code == 302
    assert fresh(family.case).phase == Phase.THERAPEUTIC_CONTACT
    assert OverrideRequest.objects.get(pk=override.pk).status == OverrideStatus.COSIGNED
    assert events("override.cosign", family.case) == 1
    assert "Overrides awaiting your co-signature" not in text(client.get(reverse("caseload")))


def test_an_override_needs_a_written_rationale(
    client: Client, therapist: User, family: Family
) -> None:
    _ready_for_override(therapist, family)
    login(client, therapist)

    response = client.post(
        reverse("override_request", args=[family.case.pk]), {"override-rationale": " "}
    )

    assert response.status_code == 400
    assert "This field is required" in text(response)
    assert 'id="id_override-rationale_error"' in text(response)
    assert OverrideRequest.objects.count() == 0


def test_an_override_is_refused_for_record_and_safety_reasons(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    reasons = gate_texts(family.case)

    response = client.post(
        reverse("override_request", args=[family.case.pk]),
        {"override-rationale": "I would like to skip the assessment."},
    )

    assert response.status_code == 409
    page = text(response)
    assert "Only readiness reasons can be overridden" in page
    for reason in reasons:
        assert reason.replace("'", "&#x27;") in page
    assert OverrideRequest.objects.count() == 0


def test_declining_an_override_needs_a_note(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    _ready_for_override(therapist, family)
    override = transitions.override_request(actor=therapist, case=family.case, rationale="Ready.")
    login(client, supervisor)
    address = reverse("override_decide", args=[override.pk])

    unclear = client.post(address, {"note": "hmm"})
    assert unclear.status_code == 400
    assert "Choose to co-sign or to decline." in text(unclear)

    response = client.post(address, {"decision": "decline", "note": ""})

    assert response.status_code == 400
    assert "Say why the override is declined." in text(response)
    assert OverrideRequest.objects.get(pk=override.pk).status == OverrideStatus.PENDING

    client.post(address, {"decision": "decline", "note": "Father is not there yet."})
    assert OverrideRequest.objects.get(pk=override.pk).status == OverrideStatus.DECLINED
    assert events("override.decline", family.case) == 1
    assert fresh(family.case).phase == Phase.INDIVIDUAL_WORK


def test_a_co_signature_is_refused_when_a_safety_reason_has_appeared_since(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    _ready_for_override(therapist, family)
    override = transitions.override_request(actor=therapist, case=family.case, rationale="Ready.")
    screen(therapist, family.case, coercion="present")
    login(client, supervisor)

    response = client.post(reverse("override_decide", args=[override.pk]), {"decision": "approve"})

    assert response.status_code == 409
    page = text(response)
    assert "A safety, court or record reason has appeared since" in page
    assert "found manipulation or coercion by either parent" in page
    assert OverrideRequest.objects.get(pk=override.pk).status == OverrideStatus.PENDING
    assert fresh(family.case).phase == Phase.INDIVIDUAL_WORK


def test_only_the_supervisor_decides_an_override(
    client: Client, therapist: User, outsider: User, family: Family
) -> None:
    _ready_for_override(therapist, family)
    override = transitions.override_request(actor=therapist, case=family.case, rationale="Ready.")
    address = reverse("override_decide", args=[override.pk])

    login(client, therapist)
    assert client.post(address, {"decision": "approve"}).status_code == 403
    login(client, outsider)
    assert client.post(address, {"decision": "approve"}).status_code == 404
    client.logout()
    assert client.post(address, {"decision": "approve"}).status_code == 302

    assert OverrideRequest.objects.get(pk=override.pk).status == OverrideStatus.PENDING
    assert fresh(family.case).phase == Phase.INDIVIDUAL_WORK


# Pausing, resuming, closing ---------------------------------------------------------------------


def test_it_pauses_a_case(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)

    response = client.post(
        reverse("case_pause", args=[family.case.pk]), {"pause-reason": "Allegation reported"}
    )

    assert response.status_code == 302
    assert fresh(family.case).pause_reason == "Allegation reported"
    assert events("case.pause", family.case) == 1


def test_a_pause_needs_a_reason(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)

    response = client.post(reverse("case_pause", args=[family.case.pk]), {"pause-reason": ""})

    assert response.status_code == 400
    assert 'id="id_pause-reason_error"' in text(response)
    assert not fresh(family.case).is_paused
    assert events("case.pause", family.case) == 0


def test_it_resumes_a_case_after_a_fresh_clear_screen(
    client: Client, therapist: User, family: Family
) -> None:
    transitions.case_pause(actor=therapist, case=family.case, reason="Allegation reported")
    login(client, therapist)
    address = reverse("case_resume", args=[family.case.pk])
    data = {"resume-conditions": ["legal_intervention"], "resume-note": "CPS closed it."}

    stale = client.post(address, data)
    assert stale.status_code == 400
    assert "Record a fresh safety screen before resuming." in text(stale)
    assert fresh(family.case).is_paused

    screen(therapist, family.case)
    response = client.post(address, data)

    assert response.status_code == 302
    assert not fresh(family.case).is_paused
    assert events("case.resume", family.case) == 1
    page = text(client.get(section_url(family.case.pk, "timeline")))
    assert "Legal intervention resolved the restriction" in page


def test_resuming_needs_the_conditions_named(
    client: Client, therapist: User, family: Family
) -> None:
    transitions.case_pause(actor=therapist, case=family.case, reason="Allegation reported")
    screen(therapist, family.case)
    login(client, therapist)

    response = client.post(reverse("case_resume", args=[family.case.pk]), {"resume-note": "ok"})

    assert response.status_code == 400
    assert "Name the conditions that have been met before resuming." in text(response)
    assert fresh(family.case).is_paused


def test_it_closes_a_case_and_the_closed_case_refuses_writes(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    response = client.post(
        reverse("case_close", args=[family.case.pk]),
        {
            "close-outcome": "no_progress",
            "close-reason": "The child declined to continue.",
            "confirmed": "yes",
        },
    )

    assert response.status_code == 302
    case = fresh(family.case)
    assert case.phase == Phase.CLOSED
    assert case.outcome == "no_progress"
    assert events("case.close", family.case) == 1

    refused = client.post(reverse("case_pause", args=[family.case.pk]), {"pause-reason": "x"})
    assert refused.status_code == 400
    assert "This case is closed; its record is read-only." in text(refused)
    again = client.post(reverse("case_advance", args=[family.case.pk]))
    assert again.status_code == 400
    assert fresh(family.case).phase == Phase.CLOSED
    assert events("case.pause", family.case) == 0


def test_closing_needs_an_outcome_and_a_reason(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    response = client.post(
        reverse("case_close", args=[family.case.pk]), {"close-outcome": "", "close-reason": ""}
    )

    assert response.status_code == 400
    page = text(response)
    assert 'id="id_close-outcome_error"' in page
    assert 'id="id_close-reason_error"' in page
    assert not fresh(family.case).is_closed
