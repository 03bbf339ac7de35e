"""A party's workplace and substitute address: the workplace is a contact detail like the
address, phone and e-mail (a protected person's are for the treating therapists only); the
address-confidentiality programme's substitute address shows in place of the real one.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Party, Person
from reunify.cases.sections import section_url
from reunify.clinical.tests.factories import in_contact, make_visit
from reunify.conftest import Family, bearer, login
from reunify.portal.tests.factories import portal_user

API = "/api/v1"
WORKPLACE = "Quillon Foundry Works"
SUBSTITUTE = "Address Confidentiality Programme\nPO Box 771, Elmshire"
OPEN_WORKPLACE = "Brackenridge Ironmongers"


@pytest.fixture
def protected(therapist: User, family: Family) -> Party:
    """Laura, the protected parent, with a workplace and a substitute address on record."""
    Person.objects.filter(pk=family.other.person_id).update(
        workplace=WORKPLACE, substitute_address=SUBSTITUTE
    )
    family.other.person.refresh_from_db()
    return family.other


@pytest.fixture
def unprotected(therapist: User, family: Family) -> Party:
    Person.objects.filter(pk=family.estranged.person_id).update(workplace=OPEN_WORKPLACE)
    return family.estranged


def case_page(client: Client, user: User, family: Family) -> Any:
    return login(client, user).get(section_url(family.case.pk, "parties"))


def api_parties(client: Client, user: User, family: Family) -> Any:
    return client.get(f"{API}/cases/{family.case.pk}/parties", headers=bearer(user))


def post(client: Client, path: str, body: Any, user: User) -> Any:
    return client.post(API + path, body, content_type="application/json", headers=bearer(user))


def by_role(parties: list[dict[str, Any]], role: str) -> dict[str, Any]:
    return next(p for p in parties if p["role"] == role)


def people() -> list[tuple[Any, ...]]:
    return list(Person.objects.order_by("pk").values_list())


def party_events() -> int:
    return Event.objects.filter(action__startswith="party.").count()


# Who sees what: the case page ---------------------------------------------------------------


def test_the_treating_therapist_sees_the_workplace_and_the_substitute_address(
    client: Client, therapist: User, family: Family, protected: Party
) -> None:
    page = case_page(client, therapist, family).content.decode()

    assert "17 Quiet Lane, Hidden Town" in page
    assert f"Workplace: {WORKPLACE}" in page
    assert "Substitute address: Address Confidentiality Programme<br>PO Box 771" in page


def test_the_supervisor_sees_the_substitute_address_instead(
    client: Client, supervisor: User, family: Family, protected: Party
) -> None:
    response = case_page(client, supervisor, family)

    assert response.status_code == 200
    page = response.content.decode()
    assert WORKPLACE not in page and "Quillon" not in page
    assert "Quiet Lane" not in page
    assert "Protected — shown to the treating therapists only" in page
    assert "Substitute address: Address Confidentiality Programme<br>PO Box 771" in page


def test_without_a_substitute_address_the_supervisor_sees_no_address_at_all(
    client: Client, supervisor: User, family: Family
) -> None:
    Person.objects.filter(pk=family.other.person_id).update(workplace=WORKPLACE)

    page = case_page(client, supervisor, family).content.decode()

    assert WORKPLACE not in page
    assert "Substitute address" not in page
    assert "Protected — shown to the treating therapists only" in page


def test_an_unprotected_workplace_goes_with_the_case(
    client: Client, supervisor: User, family: Family, unprotected: Party
) -> None:
    page = case_page(client, supervisor, family).content.decode()

    assert f"Workplace: {OPEN_WORKPLACE}" in page


def test_another_familys_therapist_sees_nothing(
    client: Client, outsider: User, family: Family, protected: Party, unprotected: Party
) -> None:
    response = case_page(client, outsider, family)
    api = api_parties(client, outsider, family)

    assert (response.status_code, api.status_code) == (404, 404)
    for body in (response.content.decode(), api.content.decode()):
        assert WORKPLACE not in body and OPEN_WORKPLACE not in body and "PO Box 771" not in body


def test_the_monitor_of_a_visit_never_sees_a_workplace(
    client: Client,
    therapist: User,
    monitor: User,
    family: Family,
    protected: Party,
    unprotected: Party,
) -> None:
    in_contact(therapist, family)
    visit = make_visit(therapist, family, monitor=monitor)
    login(client, monitor)

    visit_page = client.get(reverse("appointment_detail", args=[visit.pk]))
    refused = [case_page(client, monitor, family), api_parties(client, monitor, family)]

    assert visit_page.status_code == 200
    assert [r.status_code for r in refused] == [404, 404]
    for response in (visit_page, *refused):
        body = response.content.decode()
        assert WORKPLACE not in body and OPEN_WORKPLACE not in body and "PO Box 771" not in body


# Who sees what: the API ---------------------------------------------------------------------


def test_the_api_gives_the_treating_therapist_every_detail(
    client: Client, therapist: User, family: Family, protected: Party
) -> None:
    laura = by_role(api_parties(client, therapist, family).json(), "other_parent")

    assert laura["workplace"] == WORKPLACE
    assert laura["substitute_address"] == SUBSTITUTE
    assert laura["address"] == "17 Quiet Lane, Hidden Town"


@pytest.mark.parametrize("suffix", ["/parties", ""])
def test_the_api_gives_the_supervisor_the_substitute_address_only(
    client: Client,
    supervisor: User,
    family: Family,
    protected: Party,
    unprotected: Party,
    suffix: str,
) -> None:
    response = client.get(f"{API}/cases/{family.case.pk}{suffix}", headers=bearer(supervisor))
    data = response.json()
    parties = data if suffix else data["parties"]

    laura = by_role(parties, "other_parent")
    assert (laura["email"], laura["phone"], laura["address"], laura["workplace"]) == (None,) * 4
    assert laura["substitute_address"] == SUBSTITUTE
    assert WORKPLACE not in response.content.decode()
    assert by_role(parties, "estranged_parent")["workplace"] == OPEN_WORKPLACE


# Portal: their own details, never anyone else's ---------------------------------------------


def test_a_portal_user_sees_their_own_workplace_and_substitute_address(
    client: Client, therapist: User, family: Family, protected: Party
) -> None:
    laura = portal_user(therapist, protected)
    login(client, laura)

    page = client.get(reverse("portal_party", args=[protected.pk])).content.decode()
    own = client.get(f"{API}/portal/parties/{protected.pk}", headers=bearer(laura)).json()

    assert WORKPLACE in page and "PO Box 771" in page
    assert "other staff on your case see your substitute address instead" in page
    assert own["profile"]["workplace"] == WORKPLACE
    assert own["profile"]["substitute_address"] == SUBSTITUTE


def test_another_party_in_the_portal_never_sees_them(
    client: Client, therapist: User, family: Family, protected: Party
) -> None:
    daniel = portal_user(therapist, family.estranged)
    login(client, daniel)

    responses = [
        client.get(reverse("portal_home")),
        client.get(reverse("portal_party", args=[family.estranged.pk])),
        client.get(reverse("portal_party", args=[protected.pk])),
        client.get(f"{API}/portal/parties", headers=bearer(daniel)),
        client.get(f"{API}/portal/parties/{family.estranged.pk}", headers=bearer(daniel)),
        client.get(f"{API}/portal/parties/{protected.pk}", headers=bearer(daniel)),
        client.get(f"{API}/cases/{family.case.pk}/parties", headers=bearer(daniel)),
    ]

    assert [r.status_code for r in responses][:6] == [200, 200, 404, 200, 200, 404]
    assert responses[6].status_code in (403, 404)
    for response in responses:
        body = response.content.decode()
        assert WORKPLACE not in body and "PO Box 771" not in body and "Quiet Lane" not in body


# Taking them in: the form, the API and the services -------------------------------------------


def test_the_party_form_records_a_workplace_and_a_substitute_address(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)

    response = client.post(
        reverse("party_new", args=[family.case.pk]),
        {
            "role": "guardian",
            "first_name": "Gwen",
            "last_name": "Rivers",
            "address": "1 Safe Street",
            "workplace": "Fennick Mill",
            "protected_address": "on",
            "substitute_address": "PO Box 12",
        },
    )

    assert response.status_code == 302
    gwen = Person.objects.get(first_name="Gwen")
    assert (gwen.workplace, gwen.substitute_address) == ("Fennick Mill", "PO Box 12")
    event = Event.objects.filter(action="party.add").latest("id")
    assert event.detail["contact"] == ["address", "workplace", "substitute_address"]
    assert "Fennick" not in str(event.detail) and "PO Box" not in str(event.detail)


def test_the_party_form_refuses_an_over_long_workplace(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    before = people()

    response = client.post(
        reverse("party_new", args=[family.case.pk]),
        {"role": "guardian", "first_name": "Gwen", "last_name": "Rivers", "workplace": "W" * 121},
    )

    assert response.status_code == 400
    assert "Ensure this value has at most 120 characters (it has 121)." in response.content.decode()
    assert people() == before


def test_the_party_form_refuses_a_substitute_address_for_an_unprotected_party(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    before = people()

    response = client.post(
        reverse("party_new", args=[family.case.pk]),
        {
            "role": "guardian",
            "first_name": "Gwen",
            "last_name": "Rivers",
            "substitute_address": "PO",
        },
    )

    assert response.status_code == 400
    assert "mark the contact details as protected to record it" in response.content.decode()
    assert people() == before


def test_the_api_adds_a_party_with_a_workplace_and_a_substitute_address(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    body = {
        "role": "guardian",
        "first_name": "Gail",
        "last_name": "Grant",
        "workplace": "Fennick Mill",
        "protected_address": True,
        "substitute_address": "PO Box 12",
    }

    response = post(client, f"/cases/{family.case.pk}/parties", body, therapist)

    assert response.status_code == 201
    assert (response.json()["workplace"], response.json()["substitute_address"]) == (
        "Fennick Mill",
        "PO Box 12",
    )
    gail = by_role(api_parties(client, supervisor, family).json(), "guardian")
    assert (gail["workplace"], gail["substitute_address"]) == (None, "PO Box 12")
    event = Event.objects.filter(action="party.add").latest("id")
    assert event.detail["contact"] == ["workplace", "substitute_address"]


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"workplace": "W" * 121}, "Workplace is too long: at most 120 characters."),
        ({"phone": "5" * 41}, "Phone is too long: at most 40 characters."),
        (
            {"protected_address": True, "substitute_address": "S" * 501},
            "Substitute address is too long: at most 500 characters.",
        ),
        ({"substitute_address": "PO Box 12"}, "mark the contact details as protected"),
    ],
)
def test_the_api_refuses_bad_contact_details_and_saves_nothing(
    client: Client, therapist: User, family: Family, extra: dict[str, Any], words: str
) -> None:
    before, events = people(), party_events()
    body = {"role": "guardian", "first_name": "Gail", "last_name": "Grant", **extra}

    response = post(client, f"/cases/{family.case.pk}/parties", body, therapist)

    assert response.status_code == 400
    assert words in response.json()["detail"]
    assert people() == before
    assert party_events() == events


# The substitute address of a party already in the case -----------------------------------------


def test_protecting_a_party_records_the_substitute_address(
    client: Client, therapist: User, supervisor: User, family: Family
) -> None:
    path = f"/cases/{family.case.pk}/parties/{family.estranged.pk}/protection"

    response = post(
        client, path, {"protected": True, "substitute_address": " PO Box 9 "}, therapist
    )

    assert response.status_code == 200
    assert response.json()["substitute_address"] == "PO Box 9"
    event = Event.objects.filter(action="party.protect").latest("id")
    assert event.detail == {"substitute_address": "recorded"}
    daniel = by_role(api_parties(client, supervisor, family).json(), "estranged_parent")
    assert (daniel["address"], daniel["substitute_address"]) == (None, "PO Box 9")


def test_protection_without_a_substitute_address_leaves_it_as_it_is(
    client: Client, therapist: User, family: Family, protected: Party
) -> None:
    path = f"/cases/{family.case.pk}/parties/{protected.pk}/protection"

    response = post(client, path, {"protected": True}, therapist)

    assert response.json()["substitute_address"] == SUBSTITUTE
    assert Event.objects.filter(action="party.protect").latest("id").detail == {}


def test_the_api_refuses_a_substitute_address_while_removing_protection(
    client: Client, therapist: User, family: Family, protected: Party
) -> None:
    before, events = people(), party_events()
    path = f"/cases/{family.case.pk}/parties/{protected.pk}/protection"

    response = post(client, path, {"protected": False, "substitute_address": "PO Box 9"}, therapist)

    assert response.status_code == 400
    assert "mark the contact details as protected" in response.json()["detail"]
    assert (people(), party_events()) == (before, events)


def test_the_case_page_saves_a_substitute_address(
    client: Client, therapist: User, family: Family
) -> None:
    login(client, therapist)
    page = client.get(section_url(family.case.pk, "parties")).content.decode()
    assert f'id="substitute-{family.other.pk}"' in page
    assert (
        f'id="substitute-{family.estranged.pk}"' not in page
    )  # not protected: nothing to stand in for

    response = client.post(
        reverse("party_protect", args=[family.case.pk, family.other.pk]),
        {"protected": "yes", "substitute_address": "PO Box 9"},
        follow=True,
    )

    assert "Laura Rivers&#x27;s contact details are protected; substitute address saved." in (
        response.content.decode()
    )
    assert Person.objects.get(pk=family.other.person_id).substitute_address == "PO Box 9"
    assert Event.objects.filter(action="party.protect").latest("id").detail == {
        "substitute_address": "recorded"
    }


def test_the_case_page_refuses_an_over_long_substitute_address(
    client: Client, therapist: User, family: Family, protected: Party
) -> None:
    login(client, therapist)
    before, events = people(), party_events()

    response = client.post(
        reverse("party_protect", args=[family.case.pk, protected.pk]),
        {"protected": "yes", "substitute_address": "S" * 501},
        follow=True,
    )

    assert "Substitute address is too long: at most 500 characters." in response.content.decode()
    assert (people(), party_events()) == (before, events)


def test_the_supervisor_may_not_set_a_substitute_address(
    client: Client, supervisor: User, family: Family
) -> None:
    login(client, supervisor)
    before = people()

    response = client.post(
        reverse("party_protect", args=[family.case.pk, family.other.pk]),
        {"protected": "yes", "substitute_address": "PO Box 9"},
    )

    assert response.status_code == 403
    assert people() == before
