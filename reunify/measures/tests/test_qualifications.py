"""Therapist qualifications: an expired licence blocks opening and assigning new cases and shows
on the caseload; nobody treats a case they evaluate; the licence pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import Qualification, User
from reunify.accounts.qualifications import licence_problem, qualification_record
from reunify.audit.models import Event
from reunify.cases import services
from reunify.cases.models import Case
from reunify.conftest import Family, bearer, last_event, login, make_case, make_user
from reunify.measures.tests.factories import DAY, qualify, today

EXPIRED = "licence (Licensed marriage and family therapist (LMFT)"


def test_a_current_licence_lets_a_therapist_open_a_case(therapist: User) -> None:
    qualify(therapist, expires_in=0)  # expires today: still current today
    assert make_case(therapist).therapist == therapist


def test_a_therapist_with_no_licence_on_file_is_not_blocked(therapist: User) -> None:
    assert licence_problem(therapist) is None
    assert make_case(therapist).pk


def test_an_expired_licence_blocks_opening_a_case(therapist: User) -> None:
    qualify(therapist, expires_in=-1)
    before = Case.objects.count()

    with pytest.raises(ValidationError) as refused:
        make_case(therapist)

    assert refused.value.messages == [
        f"Tess Hale's licence (Licensed marriage and family therapist (LMFT) "
        f"LMFT-{therapist.pk:05d} (CA)) expired on {today() - DAY}: a therapist with an expired "
        "licence cannot be assigned a new case until the renewal is recorded."
    ]
    assert Case.objects.count() == before


def test_an_expired_licence_blocks_a_case_opened_for_a_colleague(
    therapist: User, supervisor: User
) -> None:
    qualify(therapist, expires_in=-30)
    with pytest.raises(ValidationError, match="expired licence"):
        services.case_open(
            actor=supervisor,
            title="Nguyen family",
            referral_source="attorney",
            referral_date=today(),
            referral_reason="Refuses visits.",
            court_ordered=False,
            scenarios=[],
            therapist=therapist,
        )


def test_renewing_the_licence_lifts_the_block(therapist: User) -> None:
    qualify(therapist, expires_in=-1)
    qualify(therapist, expires_in=700)
    assert make_case(therapist).pk
    assert Qualification.objects.filter(user=therapist).count() == 1


def test_an_expired_licence_blocks_becoming_a_co_therapist(therapist: User, family: Family) -> None:
    colleague = make_user("colleague")
    qualify(colleague, expires_in=-5)
    with pytest.raises(ValidationError, match="expired licence"):
        services.co_therapist_add(actor=therapist, case=family.case, user=colleague)
    assert not family.case.co_therapists.exists()


def test_a_co_therapist_with_a_current_licence_is_added_and_audited(
    therapist: User, family: Family
) -> None:
    colleague = make_user("colleague")
    qualify(colleague)
    services.co_therapist_add(actor=therapist, case=family.case, user=colleague)
    assert list(family.case.co_therapists.all()) == [colleague]
    event = last_event()
    assert (event.action, event.case_id, event.detail) == (
        "case.co_therapist_add",
        family.case.pk,
        {"user": "colleague"},
    )


def test_the_evaluator_can_never_treat_the_case(therapist: User) -> None:
    evaluator = make_user("evaluator")
    case = make_case(therapist, evaluator=evaluator)
    with pytest.raises(ValidationError, match="both the evaluator and the treating therapist"):
        services.co_therapist_add(actor=therapist, case=case, user=evaluator)
    with pytest.raises(ValidationError, match="both the evaluator and the treating therapist"):
        make_case(therapist, evaluator=therapist)


def test_the_new_case_page_says_why_an_expired_licence_is_refused(
    client: Client, therapist: User
) -> None:
    qualify(therapist, expires_in=-1)
    login(client, therapist)
    response = client.post(
        reverse("case_new"),
        {
            "title": "Nguyen family",
            "referral_source": "attorney",
            "referral_date": today().isoformat(),
            "referral_reason": "Refuses visits.",
            "court_ordered": "no",
        },
    )
    assert response.status_code == 400
    assert (
        "cannot be assigned a new case until the renewal is recorded" in response.content.decode()
    )
    assert not Case.objects.exists()


def test_the_api_refuses_a_case_for_a_therapist_whose_licence_expired(
    client: Client, therapist: User
) -> None:
    qualify(therapist, expires_in=-1)
    response = client.post(
        "/api/v1/cases",
        {
            "title": "Nguyen family",
            "referral_source": "attorney",
            "referral_date": today().isoformat(),
            "referral_reason": "Refuses visits.",
            "court_ordered": False,
        },
        content_type="application/json",
        headers=bearer(therapist),
    )
    assert response.status_code == 400
    assert "expired licence" in response.json()["detail"]


# The caseload -------------------------------------------------------------------------------


def test_the_caseload_shows_an_expired_licence(
    client: Client, therapist: User, family: Family
) -> None:
    qualify(therapist, expires_in=-3)
    login(client, therapist)
    page = client.get(reverse("caseload")).content.decode()
    assert "Licence expired" in page
    assert f"licence expired on {today() - 3 * DAY}: no new cases" in page


def test_the_caseload_warns_of_a_licence_expiring_within_sixty_days(
    client: Client, therapist: User, family: Family
) -> None:
    qualify(therapist, expires_in=45)
    login(client, therapist)
    page = client.get(reverse("caseload")).content.decode()
    assert "Licence expiring" in page
    assert f"expires on {today() + 45 * DAY} (in 45 days)" in page


def test_the_caseload_says_when_no_licence_is_on_file(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    assert "No licence on file" in client.get(reverse("caseload")).content.decode()


def test_a_current_licence_is_not_flagged(client: Client, therapist: User, family: Family) -> None:
    qualify(therapist, expires_in=400)
    login(client, therapist)
    page = client.get(reverse("caseload")).content.decode()
    assert "Licence expired" not in page
    assert "Licence expiring" not in page


def test_a_supervisor_sees_a_supervisees_expired_licence(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    qualify(supervisor)
    qualify(therapist, expires_in=-1)
    login(client, supervisor)
    page = client.get(reverse("caseload")).content.decode()
    assert 'Tess Hale: <strong class="badge badge-overdue">Licence expired</strong>' in page


# The licence pages -------------------------------------------------------------------------


def form(**overrides: Any) -> dict[str, Any]:
    data = {
        "licence_type": "psychologist",
        "licence_number": "PSY 12345",
        "licence_state": "California",
        "licence_expires_on": (today() + 300 * DAY).isoformat(),
        "training_areas": ["trauma_informed", "family_law"],
    }
    data.update(overrides)
    return data


def test_an_administrator_records_a_licence(
    client: Client, admin_user: User, therapist: User
) -> None:
    login(client, admin_user)
    assert client.get(reverse("qualification_edit", args=[therapist.pk])).status_code == 200
    response = client.post(reverse("qualification_edit", args=[therapist.pk]), form())
    assert response.status_code == 302
    qualification = Qualification.objects.get(user=therapist)
    assert qualification.licence_number == "PSY 12345"
    assert qualification.training_areas == ["family_law", "trauma_informed"]
    event = last_event()
    assert (event.action, event.actor_id, event.detail["user"]) == (
        "qualification.record",
        admin_user.pk,
        "therapist",
    )
    page = client.get(reverse("qualification_list")).content.decode()
    assert "Licensed psychologist PSY 12345, California" in page
    assert "Trauma-informed care, Family law" in page  # in the order of the list


def test_bad_input_names_the_problem_and_saves_nothing(
    client: Client, supervisor: User, therapist: User
) -> None:
    qualify(therapist)
    before = Qualification.objects.get(user=therapist).licence_type
    login(client, supervisor)
    response = client.post(
        reverse("qualification_edit", args=[therapist.pk]), form(licence_type="other")
    )
    assert response.status_code == 400
    assert "Name the licence when its type is “other”." in response.content.decode()
    assert Qualification.objects.get(user=therapist).licence_type == before


def test_a_therapist_sees_only_their_own_licence_and_cannot_change_it(
    client: Client, therapist: User, supervisor: User
) -> None:
    qualify(therapist)
    login(client, therapist)
    page = client.get(reverse("qualification_list")).content.decode()
    assert "Tess Hale" in page
    assert "Sam Super" not in page
    assert (
        client.post(reverse("qualification_edit", args=[therapist.pk]), form()).status_code == 403
    )
    with pytest.raises(PermissionDenied):
        qualification_record(
            actor=therapist,
            user=therapist,
            licence_type="lmft",
            licence_number="X",
            licence_state="CA",
            licence_expires_on=today() + 900 * DAY,
            training_areas=[],
        )


@pytest.mark.parametrize("name", ["qualification_list"])
def test_the_licence_pages_need_a_login(client: Client, db: Any, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_monitor_has_no_licence_page(client: Client, monitor: User) -> None:
    login(client, monitor)
    assert client.get(reverse("qualification_list")).status_code == 403


def test_only_clinicians_have_licences(admin_user: User, monitor: User) -> None:
    with pytest.raises(ValidationError, match="is not a therapist or supervisor"):
        qualification_record(
            actor=admin_user,
            user=monitor,
            licence_type="lmft",
            licence_number="X",
            licence_state="CA",
            licence_expires_on=today(),
            training_areas=[],
        )
    assert not Event.objects.filter(action="qualification.record").exists()
