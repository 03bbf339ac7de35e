"""Correcting a party's details after they were added: the page, the API and the service.

The details are the person's, so a correction shows in every case the person is in; only the
treating therapists may make it; bad input changes nothing; the audit log names the fields
changed and never what they now say.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases import services
from reunify.cases.models import Party, PartyRole, Person
from reunify.cases.sections import section_url
from reunify.conftest import Family, bearer, last_event, login, make_case
from reunify.portal.tests.factories import portal_user
from reunify.process import transitions

API = "/api/v1"
NEW_ADDRESS = "4 Lantern Row, Farwick"
NEW_PHONE = "555-0177-3321"


def edit_url(family: Family, party: Party) -> str:
    return reverse("party_edit", args=[family.case.pk, party.pk])


def form_data(party: Party, **changes: Any) -> dict[str, Any]:
    """The form as the page fills it in from the record, with the changes typed over it."""
    person = party.person
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else "",
        "email": person.email,
        "phone": person.phone,
        "address": person.address,
        "workplace": person.workplace,
        "substitute_address": person.substitute_address,
        "preferred_language": person.preferred_language,
    }
    if person.interpreter_needed:
        data["interpreter_needed"] = "on"
    data.update(changes)
    return data


def patch(client: Client, family: Family, party: Party, body: Any, user: User) -> Any:
    return client.patch(
        f"{API}/cases/{family.case.pk}/parties/{party.pk}",
        json.dumps(body),
        content_type="application/json",
        headers=bearer(user),
    )


def people() -> list[tuple[Any, ...]]:
    return list(Person.objects.order_by("pk").values_list())


def corrections() -> int:
    return Event.objects.filter(action="person.update").count()


# The page -----------------------------------------------------------------------------------


def test_the_page_is_prefilled_and_says_the_change_applies_everywhere(
    client: Client, therapist: User, family: Family
) -> None:
    response = login(client, therapist).get(edit_url(family, family.other))

    assert response.status_code == 200
    page = response.content.decode()
    assert "17 Quiet Lane, Hidden Town" in page  # protected: the treating therapist sees it
    assert 'value="Laura"' in page
    assert "a change applies to every case Laura takes part in" in page


def test_it_works(client: Client, therapist: User, family: Family) -> None:
    login(client, therapist)
    data = form_data(family.other, address=NEW_ADDRESS, phone=NEW_PHONE)

    response = client.post(edit_url(family, family.other), data, follow=True)

    assert response.redirect_chain == [(section_url(family.case.pk, "parties"), 302)]
    person = Person.objects.get(pk=family.other.person_id)
    assert (person.address, person.phone) == (NEW_ADDRESS, NEW_PHONE)
    page = response.content.decode()
    assert "Saved Laura Rivers&#x27;s phone and address" in page
    assert NEW_ADDRESS in page and NEW_PHONE in page
    assert "Quiet Lane" not in page


def test_the_case_page_links_to_it_for_the_treating_therapist_only(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    url = section_url(family.case.pk, "parties")

    treating = login(client, therapist).get(url).content.decode()
    supervising = login(Client(), supervisor).get(url).content.decode()

    assert f'href="{edit_url(family, family.other)}">Edit details' in treating
    assert "Edit details" not in supervising


def test_it_needs_login(client: Client, family: Family) -> None:
    before = people()

    shown = client.get(edit_url(family, family.other))
    sent = client.post(edit_url(family, family.other), form_data(family.other, phone=NEW_PHONE))

    assert shown.status_code == sent.status_code == 302
    assert shown["Location"].startswith(reverse("login"))
    assert people() == before


def test_it_rejects_another_familys_party(
    client: Client, therapist: User, outsider: User, family: Family, other_family: Family
) -> None:
    before = people()
    login(client, therapist)
    # Their party through our case, and our party in their hands.
    mixed = reverse("party_edit", args=[family.case.pk, other_family.other.pk])

    responses = [
        client.get(mixed),
        client.post(mixed, form_data(other_family.other, phone=NEW_PHONE)),
        login(Client(), outsider).get(edit_url(family, family.other)),
        login(Client(), outsider).post(
            edit_url(family, family.other), form_data(family.other, phone=NEW_PHONE)
        ),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    for response in responses:
        assert "Okafor" not in response.content.decode()
        assert "Quiet Lane" not in response.content.decode()
    assert people() == before


def test_the_supervisor_may_look_but_not_correct(
    client: Client, supervisor: User, family: Family
) -> None:
    before = people()
    login(client, supervisor)

    shown = client.get(edit_url(family, family.other))
    sent = client.post(edit_url(family, family.other), form_data(family.other, phone=NEW_PHONE))

    assert (shown.status_code, sent.status_code) == (403, 403)
    assert "Quiet Lane" not in shown.content.decode()
    assert people() == before


def test_a_portal_user_is_refused_even_their_own_details(
    client: Client, therapist: User, family: Family
) -> None:
    laura = portal_user(therapist, family.other)
    before = people()
    login(client, laura)

    shown = client.get(edit_url(family, family.other))
    sent = client.post(edit_url(family, family.other), form_data(family.other, phone=NEW_PHONE))
    api = patch(client, family, family.other, {"phone": NEW_PHONE}, laura)

    assert shown.status_code in (403, 404)
    assert sent.status_code in (403, 404)
    assert api.status_code in (403, 404)
    assert people() == before


def test_the_monitor_is_refused(client: Client, monitor: User, family: Family) -> None:
    response = login(client, monitor).get(edit_url(family, family.other))

    assert response.status_code == 404


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "laura at example"}, "Enter a valid email address"),
        ({"phone": "5" * 41}, "at most 40 characters"),
        ({"workplace": "W" * 121}, "at most 120 characters"),
        ({"substitute_address": "S" * 501}, "at most 500 characters"),
        ({"first_name": " "}, "This field is required"),
        (
            {"date_of_birth": (timezone.localdate() + dt.timedelta(days=1)).isoformat()},
            "is in the future",
        ),
    ],
    ids=["bad-email", "long-phone", "long-workplace", "long-substitute", "no-name", "future-dob"],
)
def test_bad_input_is_shown_and_changes_nothing(
    client: Client, therapist: User, family: Family, changes: dict[str, str], message: str
) -> None:
    before, events = people(), corrections()
    data = form_data(family.other, address=NEW_ADDRESS, **changes)

    response = login(client, therapist).post(edit_url(family, family.other), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Nothing was saved" in page
    assert message in page
    assert NEW_ADDRESS in page  # what was typed is kept on the form
    assert people() == before
    assert corrections() == events


def test_the_audit_event_names_the_fields_never_the_values(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    data = form_data(family.other, address=NEW_ADDRESS, phone=NEW_PHONE)

    client.post(edit_url(family, family.other), data)

    event = last_event()
    assert event.action == "person.update"
    assert event.case_id == family.case.pk
    assert event.actor == therapist
    assert event.detail == {"fields": ["phone", "address"]}
    written = json.dumps(event.detail)
    for value in (NEW_ADDRESS, "Lantern", NEW_PHONE, "Quiet Lane"):
        assert value not in written


def test_nothing_changed_writes_nothing(client: Client, therapist: User, family: Family) -> None:
    events = corrections()

    response = login(client, therapist).post(
        edit_url(family, family.other), form_data(family.other), follow=True
    )

    assert "Nothing to save" in response.content.decode()
    assert corrections() == events


def test_a_closed_case_is_refused(client: Client, therapist: User, family: Family) -> None:
    transitions.case_close(actor=therapist, case=family.case, outcome="withdrawn", reason="Moved.")
    before = people()
    login(client, therapist)

    shown = client.get(edit_url(family, family.other), follow=True)
    sent = client.post(edit_url(family, family.other), form_data(family.other, phone=NEW_PHONE))
    api = patch(client, family, family.other, {"phone": NEW_PHONE}, therapist)

    assert shown.redirect_chain[-1][0] == section_url(family.case.pk, "parties")
    assert "This case is closed" in shown.content.decode()
    assert sent.status_code == 400 and "This case is closed" in sent.content.decode()
    assert api.status_code == 400 and "This case is closed" in api.json()["detail"]
    assert people() == before


def test_the_change_shows_in_every_case_the_person_is_in(
    client: Client, therapist: User, family: Family
) -> None:
    second = make_case(therapist, title="Rivers family (half-sibling)")
    services.party_add(
        actor=therapist, case=second, role=PartyRole.OTHER_PARENT, person=family.other.person
    )
    login(client, therapist)

    form = client.get(edit_url(family, family.other)).content.decode()
    client.post(edit_url(family, family.other), form_data(family.other, address=NEW_ADDRESS))
    other_page = client.get(section_url(second.pk, "parties")).content.decode()

    assert "Rivers family (half-sibling)" in form
    assert NEW_ADDRESS in other_page


# The API ------------------------------------------------------------------------------------


def test_the_api_corrects_only_what_is_sent(
    client: Client, therapist: User, family: Family
) -> None:
    response = patch(client, family, family.other, {"address": NEW_ADDRESS}, therapist)

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == family.other.pk
    assert body["address"] == NEW_ADDRESS
    assert (body["first_name"], body["protected"], body["contact_visible"]) == (
        "Laura",
        True,
        True,
    )
    assert last_event().detail == {"fields": ["address"]}
    assert NEW_ADDRESS not in json.dumps(last_event().detail)


def test_the_api_clears_a_date_of_birth_with_null(
    client: Client, therapist: User, family: Family
) -> None:
    born = timezone.localdate() - dt.timedelta(days=13 * 365)
    services.person_update(actor=therapist, party=family.child, date_of_birth=born)

    response = patch(client, family, family.child, {"date_of_birth": None}, therapist)

    assert response.status_code == 200
    assert response.json()["date_of_birth"] is None
    assert Person.objects.get(pk=family.child.person_id).date_of_birth is None


def test_the_api_needs_a_token(client: Client, family: Family) -> None:
    response = client.patch(
        f"{API}/cases/{family.case.pk}/parties/{family.other.pk}",
        json.dumps({"phone": NEW_PHONE}),
        content_type="application/json",
    )

    assert response.status_code == 401


def test_the_api_refuses_who_may_not_correct(
    client: Client,
    therapist: User,
    supervisor: User,
    outsider: User,
    family: Family,
    other_family: Family,
) -> None:
    before = people()

    supervising = patch(client, family, family.other, {"phone": NEW_PHONE}, supervisor)
    outside = patch(client, family, family.other, {"phone": NEW_PHONE}, outsider)
    mixed = patch(client, family, other_family.other, {"phone": NEW_PHONE}, therapist)

    assert (supervising.status_code, outside.status_code, mixed.status_code) == (403, 404, 404)
    assert "Okafor" not in mixed.content.decode()
    assert people() == before


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"email": "laura@"}, 400, "not well-formed"),
        ({"phone": "5" * 41}, 400, "at most 40 characters"),
        ({"workplace": "W" * 121}, 400, "at most 120 characters"),
        ({"substitute_address": "S" * 501}, 400, "at most 500 characters"),
        ({"first_name": "  "}, 400, "First name is required"),
        ({"date_of_birth": "2999-01-01"}, 400, "is in the future"),
        ({"protected_address": False}, 422, "protected_address"),
        ({"phone": NEW_PHONE, "email": "nope"}, 400, "not well-formed"),
    ],
)
def test_the_api_turns_bad_input_away(
    client: Client, therapist: User, family: Family, body: dict[str, Any], status: int, words: str
) -> None:
    before, events = people(), corrections()

    response = patch(client, family, family.other, body, therapist)

    assert response.status_code == status
    assert words in response.json()["detail"]
    assert people() == before
    assert corrections() == events


# The service --------------------------------------------------------------------------------


def test_a_substitute_address_needs_protection(therapist: User, family: Family) -> None:
    before = people()

    with pytest.raises(ValidationError, match="mark the contact details as protected"):
        services.person_update(
            actor=therapist, party=family.estranged, substitute_address="PO Box 1"
        )

    assert people() == before


def test_the_service_reports_every_problem_at_once(therapist: User, family: Family) -> None:
    with pytest.raises(ValidationError) as refused:
        services.person_update(
            actor=therapist, party=family.other, email="x@", phone="5" * 41, address=NEW_ADDRESS
        )

    assert set(refused.value.message_dict) == {"email", "phone"}


# Giving a known person a new role -----------------------------------------------------------


def test_a_new_role_with_different_details_is_refused(
    client: Client, therapist: User, family: Family
) -> None:
    second = make_case(therapist, title="Rivers family (half-sibling)")
    before = people(), Party.objects.count()

    with pytest.raises(ValidationError, match="Edit details") as refused:
        services.party_add(
            actor=therapist,
            case=second,
            role=PartyRole.OTHER_PARENT,
            person=family.other.person,
            phone=NEW_PHONE,
            address=NEW_ADDRESS,
        )
    api = client.post(
        f"{API}/cases/{second.pk}/parties",
        {"role": "other_parent", "person_id": family.other.person_id, "phone": NEW_PHONE},
        content_type="application/json",
        headers=bearer(therapist),
    )

    assert "(phone, address)" in str(refused.value)
    assert NEW_PHONE not in str(refused.value)
    assert api.status_code == 400 and "Edit details" in api.json()["detail"]
    assert (people(), Party.objects.count()) == before


def test_a_new_role_with_the_same_details_is_given(therapist: User, family: Family) -> None:
    second = make_case(therapist, title="Rivers family (half-sibling)")

    party = services.party_add(
        actor=therapist,
        case=second,
        role=PartyRole.OTHER_PARENT,
        person=family.other.person,
        first_name="Laura",
        last_name="Rivers",
        address=" 17 Quiet Lane, Hidden Town ",
        protected_address=True,
    )

    assert party.person_id == family.other.person_id


def test_adding_a_party_checks_the_e_mail_too(therapist: User, family: Family) -> None:
    before = people()

    with pytest.raises(ValidationError, match="not well-formed"):
        services.party_add(
            actor=therapist,
            case=family.case,
            role=PartyRole.GUARDIAN,
            first_name="Gia",
            last_name="Grant",
            email="gia.grant",
        )

    assert people() == before


# One person, several cases ------------------------------------------------------------------


def test_a_supervisor_cannot_bring_a_protected_person_into_their_own_case(
    client: Client, supervisor: User, family: Family
) -> None:
    own = make_case(supervisor, title="Supervisor's own case")

    with pytest.raises(ValidationError, match="not all yours to see"):
        services.party_add(
            actor=supervisor, case=own, role=PartyRole.OTHER_PARENT, person=family.other.person
        )
    response = client.post(
        f"{API}/cases/{own.pk}/parties",
        json.dumps({"role": "other_parent", "person_id": family.other.person_id}),
        content_type="application/json",
        headers=bearer(supervisor),
    )

    assert response.status_code == 400
    assert not Party.objects.filter(case=own).exists()
    assert "Quiet Lane" not in response.content.decode()


def test_a_person_out_of_sight_answers_as_a_protected_one(outsider: User, family: Family) -> None:
    own = make_case(outsider, title="Okafor family")

    with pytest.raises(ValidationError, match="not all yours to see"):
        services.party_add(
            actor=outsider, case=own, role=PartyRole.CHILD, person=family.child.person
        )


def test_the_supervisor_may_bring_along_an_unprotected_person_they_can_see(
    supervisor: User, family: Family
) -> None:
    own = make_case(supervisor, title="Supervisor's own case")

    party = services.party_add(
        actor=supervisor, case=own, role=PartyRole.CHILD, person=family.child.person
    )

    assert party.person_id == family.child.person_id


def test_only_a_therapist_of_every_case_may_correct_a_shared_person(
    client: Client, therapist: User, outsider: User, family: Family
) -> None:
    shared = family.child.person
    theirs = make_case(outsider, title="Okafor family")
    Party.objects.create(case=theirs, person=shared, role=PartyRole.CHILD, added_at=timezone.now())
    before = people()

    with pytest.raises(ValidationError, match="only a therapist who treats each"):
        services.person_update(actor=therapist, party=family.child, phone=NEW_PHONE)
    with pytest.raises(ValidationError, match="only a therapist who treats each"):
        services.party_protect(actor=therapist, party=family.child, protected=True)
    response = login(client, therapist).post(
        edit_url(family, family.child), form_data(family.child, phone=NEW_PHONE)
    )

    assert response.status_code == 400
    assert "only a therapist who treats each" in response.content.decode()
    assert people() == before


def test_a_correction_is_written_to_the_timeline_of_every_case(
    therapist: User, family: Family
) -> None:
    second = make_case(therapist, title="Rivers family (half-sibling)")
    services.party_add(
        actor=therapist, case=second, role=PartyRole.OTHER_PARENT, person=family.other.person
    )

    services.person_update(actor=therapist, party=family.other, address=NEW_ADDRESS)

    rows = Event.objects.filter(action="person.update")
    assert set(rows.values_list("case_id", flat=True)) == {family.case.pk, second.pk}
    assert rows.count() == 2
    assert all(NEW_ADDRESS not in json.dumps(row.detail) for row in rows)
