"""The portal API answers a family member's or legal party's token with exactly what the
portal page shows, by the same rules, with the same disclosures logged; every staff endpoint
answers such a token 404."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from reunify.accounts.models import User
from reunify.api import api
from reunify.cases.models import Party
from reunify.clinical.services import appointment_schedule
from reunify.conftest import Family, bearer
from reunify.disclosure.models import REDISCLOSURE_NOTICE, Category, Channel, Disclosure
from reunify.disclosure.services import document_share, release_revoke, restriction_set
from reunify.messaging.models import Message
from reunify.messaging.services import message_send_to_therapist
from reunify.portal.tests.factories import SECRETS, grant, portal_user, upload

API = "/api/v1"


def get(client: Client, path: str, user: User | None) -> Any:
    return client.get(API + path, headers=bearer(user) if user else {})


def post(client: Client, path: str, body: Any, user: User) -> Any:
    return client.post(API + path, body, content_type="application/json", headers=bearer(user))


def test_a_party_lists_and_reads_their_own_parties(
    client: Client, therapist: User, rivers: Family
) -> None:
    daniel = portal_user(therapist, rivers.estranged)
    appointment_schedule(
        actor=therapist,
        case=rivers.case,
        kind="individual",
        starts_at=timezone.now() + dt.timedelta(days=2),
        participants=[rivers.estranged],
        location="Room 3",
    )

    listed = get(client, "/portal/parties", daniel)
    detail = get(client, f"/portal/parties/{rivers.estranged.pk}", daniel)

    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [rivers.estranged.pk]
    assert detail.status_code == 200
    body = detail.json()
    assert body["profile"]["email"] == "daniel.rivers@example.invalid"
    assert body["upcoming"][0]["location"] == "Room 3"
    assert body["released"] is None


def test_it_needs_a_token_and_refuses_staff(
    client: Client, therapist: User, rivers: Family
) -> None:
    assert get(client, "/portal/parties", None).status_code == 401
    assert get(client, "/portal/parties", therapist).status_code == 403


@pytest.mark.parametrize("whose", ["other", "child", "other_family"])
def test_another_partys_anything_is_404(
    client: Client, therapist: User, rivers: Family, okafor: Family, whose: str
) -> None:
    daniel = portal_user(therapist, rivers.estranged)
    target = {"other": rivers.other, "child": rivers.child, "other_family": okafor.estranged}[whose]
    document = upload(therapist, rivers)
    document_share(actor=therapist, document=document, party=rivers.other)

    assert get(client, f"/portal/parties/{target.pk}", daniel).status_code == 404
    assert get(client, f"/portal/parties/{target.pk}/messages", daniel).status_code == 404
    assert (
        post(client, f"/portal/parties/{target.pk}/messages", {"body": "x"}, daniel).status_code
        == 404
    )
    assert get(client, f"/portal/documents/{document.pk}/download", daniel).status_code == 404


def _paths() -> list[tuple[str, str]]:
    schema = api.get_openapi_schema()
    found = []
    for path, operations in schema["paths"].items():
        for method in operations:
            if "/portal/" not in path and method in ("get", "post"):
                found.append((method, path.removeprefix(API)))
    return found


def test_every_staff_endpoint_answers_a_portal_token_404(
    client: Client, therapist: User, rivers: Family
) -> None:
    daniel = portal_user(therapist, rivers.estranged)
    document = upload(therapist, rivers)
    token = bearer(daniel)
    checked = 0
    for method, path in _paths():
        if "{" not in path:
            continue
        address = API + re.sub(r"\{[^}]+\}", str(rivers.case.pk), path)
        if method == "get":
            response = client.get(address, headers=token)
        else:
            response = client.post(address, {}, content_type="application/json", headers=token)
        # Every case route is 404; a route to a library (modules, questionnaires), which
        # holds no case data, may simply refuse a portal user (403).
        allowed = (404, 422) if path.startswith("/cases/") else (403, 404, 422)
        assert response.status_code in allowed, (method, path, response.status_code)
        for name in ("Rivers", "Daniel", "Laura", "Mia"):
            assert name not in response.content.decode(), (method, path)
        checked += 1
    assert checked > 20
    for path in ("/cases", f"/documents/{document.pk}/download"):
        response = client.get(API + path, headers=token)
        assert response.status_code in (200, 403, 404)
        assert "Rivers" not in response.content.decode()
        if response.status_code == 200:
            assert response.json() == []


def test_reunify_token_create_works_for_a_portal_user(
    client: Client, therapist: User, rivers: Family
) -> None:
    daniel = portal_user(therapist, rivers.estranged)
    out = io.StringIO()
    call_command("token", "create", daniel.username, stdout=out)
    token = out.getvalue().strip()

    response = client.get(API + "/portal/parties", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json()[0]["id"] == rivers.estranged.pk


# Legal parties ------------------------------------------------------------------------------------


def test_a_legal_token_gets_only_what_a_release_covers_and_each_read_is_logged(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    avery = portal_user(therapist, attorney)
    upload(therapist, rivers, "Minute order")
    upload(therapist, rivers, "Treatment summary", substance_use=True)

    nothing = get(client, f"/portal/parties/{attorney.pk}", avery).json()["released"]
    assert nothing["attendance"] is None and nothing["documents"] is None
    assert not Disclosure.objects.exists()

    release = grant(therapist, rivers, attorney, [Category.DOCUMENTS, Category.PROGRESS])
    released = get(client, f"/portal/parties/{attorney.pk}", avery).json()["released"]

    assert [d["title"] for d in released["documents"]] == ["Minute order"]
    assert released["documents_covered_by"]["release_id"] == release.pk
    assert released["progress"]["phase"] == "assessment"
    assert released["attendance"] is None
    assert set(Disclosure.objects.values_list("category", flat=True)) == {
        Category.DOCUMENTS,
        Category.PROGRESS,
    }
    assert set(Disclosure.objects.values_list("release", flat=True)) == {release.pk}


def test_substance_use_documents_come_with_the_notice_under_a_release_naming_them(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    avery = portal_user(therapist, attorney)
    tagged = upload(therapist, rivers, "Treatment summary", substance_use=True)
    grant(therapist, rivers, attorney, [Category.DOCUMENTS, Category.SUBSTANCE_USE])

    released = get(client, f"/portal/parties/{attorney.pk}", avery).json()["released"]
    download = get(client, f"/portal/documents/{tagged.pk}/download", avery)

    assert released["documents"][0]["redisclosure_notice"] == REDISCLOSURE_NOTICE
    assert download.status_code == 200
    assert download["Redisclosure-Notice"] == REDISCLOSURE_NOTICE
    logged = Disclosure.objects.get(channel=Channel.DOWNLOAD)
    assert logged.carries_substance_use


def test_revocation_takes_effect_at_the_next_api_request(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    avery = portal_user(therapist, attorney)
    document = upload(therapist, rivers, "Minute order")
    release = grant(therapist, rivers, attorney, [Category.DOCUMENTS])
    assert get(client, f"/portal/documents/{document.pk}/download", avery).status_code == 200

    release_revoke(actor=therapist, release=release, reason="Withdrawn by Daniel.")

    assert get(client, f"/portal/documents/{document.pk}/download", avery).status_code == 404
    assert (
        get(client, f"/portal/parties/{attorney.pk}", avery).json()["released"]["documents"] is None
    )


# Protected details, restriction, the child's channel -------------------------------------------


def test_no_api_response_to_another_party_carries_the_protected_details(
    client: Client, therapist: User, rivers: Family, attorney: Party
) -> None:
    grant(therapist, rivers, attorney, list(Category.values))
    upload(therapist, rivers, "Minute order")
    appointment_schedule(
        actor=therapist,
        case=rivers.case,
        kind="family",
        starts_at=timezone.now() + dt.timedelta(days=1),
        participants=[rivers.estranged, rivers.other, rivers.child],
    )
    for party in (rivers.estranged, rivers.child, attorney):
        user = portal_user(therapist, party)
        for path in ("/portal/parties", f"/portal/parties/{party.pk}"):
            response = get(client, path, user)
            assert response.status_code == 200
            for secret in SECRETS:
                assert secret not in response.content.decode(), (party, path, secret)
    laura = portal_user(therapist, rivers.other)
    own = get(client, f"/portal/parties/{rivers.other.pk}", laura).json()
    assert own["profile"]["address"] == "17 Quiet Lane, Hidden Town"


def test_a_restriction_takes_effect_at_once_in_the_api(
    client: Client, therapist: User, rivers: Family
) -> None:
    daniel = portal_user(therapist, rivers.estranged)
    document = upload(therapist, rivers)
    document_share(actor=therapist, document=document, party=rivers.estranged)
    assert get(client, f"/portal/parties/{rivers.estranged.pk}", daniel).json()["shared_documents"]

    restriction_set(actor=therapist, case=rivers.case, party=rivers.estranged, reason="Danger.")

    body = get(client, f"/portal/parties/{rivers.estranged.pk}", daniel).json()
    assert body["restricted"] is True
    assert body["shared_documents"] == [] and body["modules"] == [] and body["messages"] == []
    assert get(client, f"/portal/documents/{document.pk}/download", daniel).status_code == 404
    assert get(client, f"/portal/parties/{rivers.estranged.pk}/messages", daniel).status_code == 404


def test_the_childs_messages_never_reach_a_parent(
    client: Client, therapist: User, rivers: Family
) -> None:
    mia = portal_user(therapist, rivers.child)
    daniel = portal_user(therapist, rivers.estranged)
    laura = portal_user(therapist, rivers.other)
    secret = "I do not want to see Dad on Saturday, please slow down."
    sent = post(client, f"/portal/parties/{rivers.child.pk}/messages", {"body": secret}, mia)
    assert sent.status_code == 201

    for parent, party in ((daniel, rivers.estranged), (laura, rivers.other)):
        for path in (
            f"/portal/parties/{party.pk}",
            f"/portal/parties/{party.pk}/messages",
            "/portal/parties",
        ):
            assert secret not in get(client, path, parent).content.decode()
        assert get(client, f"/portal/parties/{rivers.child.pk}/messages", parent).status_code == 404
    own = get(client, f"/portal/parties/{rivers.child.pk}/messages", mia).json()
    assert [m["body"] for m in own] == [secret]


def test_a_bad_message_is_refused_and_nothing_is_saved(
    client: Client, therapist: User, rivers: Family
) -> None:
    mia = portal_user(therapist, rivers.child)
    response = post(client, f"/portal/parties/{rivers.child.pk}/messages", {"body": "   "}, mia)
    assert response.status_code == 400
    assert "Write a message" in response.json()["detail"]
    assert post(client, f"/portal/parties/{rivers.child.pk}/messages", {}, mia).status_code == 422
    assert not Message.objects.exists()
    message_send_to_therapist(actor=mia, party=rivers.child, body="ok")
    assert json.loads(get(client, f"/portal/parties/{rivers.child.pk}/messages", mia).content)
