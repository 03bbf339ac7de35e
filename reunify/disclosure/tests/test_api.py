"""The staff API of invitations, releases, restrictions, shares and the accounting: works,
needs a token, hides other families (404), refuses a supervisor's writes (403), turns bad
input away without saving anything, and writes its audit row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from reunify.accounts.models import User
from reunify.audit.models import Event
from reunify.cases.models import Party
from reunify.conftest import Family, bearer, last_event
from reunify.disclosure.models import Category, Channel, Release, Restriction
from reunify.disclosure.services import disclosure_record, restriction_set
from reunify.messaging.services import message_send_to_therapist
from reunify.portal.models import Invitation
from reunify.portal.tests.factories import SECRET_EMAIL, grant, invite, portal_user, upload
from reunify.process.pausing import court_order_record

API = "/api/v1"
DAY = dt.timedelta(days=1)
NOT_WRITES = ("case.view", "access.denied", "token.create")


def writes() -> int:
    return Event.objects.exclude(action__in=NOT_WRITES).count()


def get(client: Client, path: str, user: User | None) -> Any:
    return client.get(API + path, headers=bearer(user) if user else {})


def post(client: Client, path: str, body: Any, user: User | None) -> Any:
    headers = bearer(user) if user else {}
    return client.post(API + path, body, content_type="application/json", headers=headers)


def expires() -> str:
    return (timezone.localdate() + 30 * DAY).isoformat()


@pytest.fixture
def objects(therapist: User, rivers: Family, attorney: Party) -> dict[str, Any]:
    release = grant(therapist, rivers, attorney, [Category.ATTENDANCE])
    restriction = restriction_set(
        actor=therapist, case=rivers.case, party=rivers.estranged, reason="Threats."
    )
    document = upload(therapist, rivers)
    return {"release": release, "restriction": restriction, "document": document}


def routes(family: Family, attorney: Party, objects: dict[str, Any]) -> dict[str, Any]:
    case = family.case.pk
    return {
        "invitation": (f"/cases/{case}/invitations", {"party_id": family.child.pk}),
        "release": (
            f"/cases/{case}/releases",
            {
                "recipient_id": attorney.pk,
                "granted_by_id": family.other.pk,
                "categories": ["progress"],
                "purpose": "Custody",
                "expires_on": expires(),
            },
        ),
        "revoke": (f"/releases/{objects['release'].pk}/revoke", {"reason": "Withdrawn."}),
        "restrict": (
            f"/cases/{case}/restrictions",
            {"party_id": family.other.pk, "reason": "Danger."},
        ),
        "lift": (f"/restrictions/{objects['restriction'].pk}/lift", {"reason": "Resolved."}),
        "share": (f"/documents/{objects['document'].pk}/shares", {"party_id": family.child.pk}),
        "tag": (f"/documents/{objects['document'].pk}/substance-use", {"substance_use": True}),
    }


WRITES = ["invitation", "release", "revoke", "restrict", "lift", "share", "tag"]
READS = ["/invitations", "/releases", "/restrictions"]


@pytest.mark.parametrize("name", WRITES)
def test_each_write_works_and_is_audited(
    client: Client, therapist: User, rivers: Family, attorney: Party, objects: Any, name: str
) -> None:
    path, body = routes(rivers, attorney, objects)[name]
    before = writes()

    response = post(client, path, body, therapist)

    assert response.status_code in (200, 201), response.json()
    assert writes() == before + 1


@pytest.mark.parametrize("name", WRITES)
def test_each_write_needs_a_token_hides_other_families_and_refuses_the_supervisor(
    client: Client,
    supervisor: User,
    outsider: User,
    rivers: Family,
    attorney: Party,
    objects: Any,
    name: str,
) -> None:
    path, body = routes(rivers, attorney, objects)[name]
    before = writes()

    assert post(client, path, body, None).status_code == 401
    assert post(client, path, body, outsider).status_code == 404
    assert post(client, path, body, supervisor).status_code == 403
    assert writes() == before


@pytest.mark.parametrize("path", READS)
def test_each_list_works_for_the_team_and_is_404_for_others(
    client: Client,
    therapist: User,
    supervisor: User,
    outsider: User,
    rivers: Family,
    objects: Any,
    path: str,
) -> None:
    address = f"/cases/{rivers.case.pk}{path}"
    assert get(client, address, therapist).status_code == 200
    assert get(client, address, supervisor).status_code == 200
    assert get(client, address, outsider).status_code == 404
    assert get(client, address, None).status_code == 401
    assert Event.objects.filter(action="case.view", actor=therapist).exists()


def test_the_release_list_says_what_covers_what(
    client: Client, therapist: User, rivers: Family, objects: Any
) -> None:
    [release] = get(client, f"/cases/{rivers.case.pk}/releases", therapist).json()
    assert release["categories"] == ["attendance"]
    assert release["in_force"] is True
    assert release["basis"].startswith("release signed by Daniel Rivers")


def test_a_court_order_release_by_its_number(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    court_order_record(
        actor=therapist,
        case=rivers.case,
        court="Superior Court",
        court_case_number="FL-9",
        issued_on=timezone.localdate(),
        terms=[],
    )
    body = {
        "recipient_id": attorney.pk,
        "court_order": 1,
        "categories": ["court_reports", "substance_use"],
        "purpose": "Ordered",
        "expires_on": expires(),
    }
    response = post(client, f"/cases/{rivers.case.pk}/releases", body, therapist)
    assert response.status_code == 201
    assert response.json()["basis"] == "court order 1"


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({"categories": []}, 400, "at least one category"),
        ({"categories": ["gossip"]}, 422, "categories"),
        ({"recipient_id": 999999}, 400, "no recipient 999999"),
        ({"granted_by_id": None}, 400, "Say who signed"),
        ({"court_order": 7}, 400, "no court order 7"),
        ({"expires_on": "2001-01-01"}, 400, "already passed"),
        ({"expires_on": "soon"}, 422, "expires_on"),
    ],
)
def test_a_bad_release_gets_a_clear_error_and_nothing_is_saved(
    client: Client,
    therapist: User,
    rivers: Family,
    attorney: Party,
    change: dict[str, Any],
    status: int,
    words: str,
) -> None:
    body = {
        "recipient_id": attorney.pk,
        "granted_by_id": rivers.estranged.pk,
        "categories": ["attendance"],
        "purpose": "Custody",
        "expires_on": expires(),
        **change,
    }
    before = writes()

    response = post(client, f"/cases/{rivers.case.pk}/releases", body, therapist)

    assert response.status_code == status
    assert words in response.json()["detail"]
    assert not Release.objects.exists()
    assert writes() == before


def test_revoking_takes_effect_and_says_so(client: Client, therapist: User, objects: Any) -> None:
    release = objects["release"]
    response = post(client, f"/releases/{release.pk}/revoke", {"reason": "Withdrawn."}, therapist)
    assert response.json()["in_force"] is False
    assert last_event().action == "release.revoke"
    again = post(client, f"/releases/{release.pk}/revoke", {"reason": "Again."}, therapist)
    assert again.status_code == 400
    assert "already revoked" in again.json()["detail"]


def test_a_restriction_without_a_reason_is_refused(
    client: Client, therapist: User, rivers: Family
) -> None:
    response = post(
        client,
        f"/cases/{rivers.case.pk}/restrictions",
        {"party_id": rivers.other.pk, "reason": ""},
        therapist,
    )
    assert response.status_code == 400
    assert not Restriction.objects.exists()


def test_invitations_hide_a_protected_email_from_the_supervisor(
    client: Client, therapist: User, supervisor: User, rivers: Family
) -> None:
    invite(therapist, rivers.other)
    path = f"/cases/{rivers.case.pk}/invitations"
    assert get(client, path, therapist).json()[0]["email"] == SECRET_EMAIL
    assert get(client, path, supervisor).json()[0]["email"] is None
    assert SECRET_EMAIL not in get(client, path, supervisor).content.decode()


def test_an_invitation_uses_the_persons_email_unless_given(
    client: Client, therapist: User, rivers: Family
) -> None:
    response = post(
        client, f"/cases/{rivers.case.pk}/invitations", {"party_id": rivers.estranged.pk}, therapist
    )
    assert response.status_code == 201
    assert response.json()["state"] == "pending"
    assert Invitation.objects.get().email == "daniel.rivers@example.invalid"
    bad = post(
        client,
        f"/cases/{rivers.case.pk}/invitations",
        {"party_id": rivers.child.pk, "email": "nope"},
        therapist,
    )
    assert bad.status_code == 400
    assert "not an e-mail address" in bad.json()["detail"]
    assert Invitation.objects.count() == 1


def test_the_accounting_of_disclosures(
    client: Client, therapist: User, outsider: User, rivers: Family, attorney: Party, objects: Any
) -> None:
    disclosure_record(
        actor=None,
        recipient=attorney,
        release=objects["release"],
        category=Category.ATTENDANCE,
        channel=Channel.PORTAL_VIEW,
        description="Attendance: sessions held against sessions due",
    )

    [entry] = get(client, f"/parties/{rivers.estranged.pk}/disclosures", therapist).json()
    received = get(client, f"/parties/{attorney.pk}/disclosures", therapist).json()

    assert entry["recipient"] == "Avery Counsel"
    assert entry["release_id"] == objects["release"].pk
    assert entry["covered_by"].startswith("release signed by Daniel Rivers")
    assert entry["purpose"] == objects["release"].purpose
    assert len(received) == 1
    assert get(client, f"/parties/{rivers.other.pk}/disclosures", therapist).json() == []
    assert get(client, f"/parties/{rivers.estranged.pk}/disclosures", outsider).status_code == 404


def test_conversations_are_for_the_treating_therapists_only(
    client: Client, therapist: User, supervisor: User, rivers: Family
) -> None:
    mia = portal_user(therapist, rivers.child)
    message_send_to_therapist(actor=mia, party=rivers.child, body="Slow down, please.")
    path = f"/cases/{rivers.case.pk}/parties/{rivers.child.pk}/messages"

    assert get(client, path, therapist).json()[0]["body"] == "Slow down, please."
    assert get(client, path, supervisor).status_code == 403
    reply = post(client, path, {"body": "Of course."}, therapist)
    assert reply.status_code == 201
    assert post(client, path, {"body": "Me too."}, supervisor).status_code == 403
