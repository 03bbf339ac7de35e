"""Invitations into the portal: single use, expiring, withdrawn by a newer one; accepting one
makes a portal account (named after the person, never their e-mail) and logs it in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from reunify.access import portal_parties
from reunify.accounts.models import Role, User
from reunify.audit.models import Event
from reunify.conftest import PASSWORD, Family
from reunify.portal.models import Invitation
from reunify.portal.services import invitation_accept, invitation_create
from reunify.portal.tests.factories import SECRET_EMAIL, invite, portal_user


def accept_url(token: str) -> str:
    return reverse("portal_invitation", args=[token])


def test_an_invitation_is_mailed_with_a_single_use_link(
    therapist: User, rivers: Family, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        invitation, token = invite(therapist, rivers.estranged)

    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["daniel.rivers@example.invalid"]
    assert f"/portal/invitation/{token}/" in sent.body
    # Only a digest is kept; the e-mail names nobody else in the case.
    assert token not in invitation.token_hash
    assert "Laura" not in sent.body and "Mia" not in sent.body
    event = Event.objects.filter(action="invitation.create").latest("id")
    assert event.case_id == rivers.case.pk


def test_accepting_creates_a_portal_account_named_after_the_person(
    therapist: User, rivers: Family
) -> None:
    _, token = invite(therapist, rivers.other)

    user = invitation_accept(token=token, password=PASSWORD)

    assert user.role == Role.PORTAL
    assert user.username == "laura.rivers"
    assert user.email == SECRET_EMAIL
    assert SECRET_EMAIL not in user.username
    assert list(portal_parties(user)) == [rivers.other]
    assert Event.objects.filter(action="invitation.accept", actor=user).exists()


def test_an_invitation_works_once(therapist: User, rivers: Family) -> None:
    _, token = invite(therapist, rivers.estranged)
    invitation_accept(token=token, password=PASSWORD)

    with pytest.raises(ValidationError, match="already been used"):
        invitation_accept(token=token, password=PASSWORD)


def test_an_invitation_expires(therapist: User, rivers: Family, time_machine: Any) -> None:
    time_machine.move_to(dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC), tick=False)
    _, token = invite(therapist, rivers.estranged)
    hours = settings.REUNIFY_INVITATION_HOURS

    time_machine.move_to(
        dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC) + dt.timedelta(hours=hours, minutes=1)
    )

    with pytest.raises(ValidationError, match="expired"):
        invitation_accept(token=token, password=PASSWORD)
    assert not User.objects.filter(role=Role.PORTAL).exists()


def test_a_new_invitation_withdraws_the_unanswered_one(therapist: User, rivers: Family) -> None:
    _, first = invite(therapist, rivers.estranged)
    _, second = invite(therapist, rivers.estranged)

    with pytest.raises(ValidationError, match="withdrawn"):
        invitation_accept(token=first, password=PASSWORD)
    assert invitation_accept(token=second, password=PASSWORD).role == Role.PORTAL


def test_the_supervisor_and_the_other_family_cannot_invite(
    therapist: User, supervisor: User, outsider: User, rivers: Family
) -> None:
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    for actor, refusal in ((supervisor, PermissionDenied), (outsider, Http404)):
        with pytest.raises(refusal):
            invitation_create(
                actor=actor,
                case=rivers.case,
                party=rivers.estranged,
                email="x@example.invalid",
                portal_url="http://testserver/",
            )
    assert not Invitation.objects.exists()


def test_the_page_sets_the_password_and_logs_in(
    client: Client, therapist: User, rivers: Family
) -> None:
    _, token = invite(therapist, rivers.estranged)
    page = client.get(accept_url(token))
    assert page.status_code == 200
    assert "Welcome to the portal, Daniel" in page.content.decode()

    response = client.post(
        accept_url(token), {"password": PASSWORD, "password_again": PASSWORD}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("portal_home")
    text = response.content.decode()
    assert "daniel.rivers" in text
    assert "Rivers family" in text


def test_a_weak_password_gets_the_validators_messages_and_nothing_is_saved(
    client: Client, therapist: User, rivers: Family
) -> None:
    _, token = invite(therapist, rivers.estranged)

    response = client.post(accept_url(token), {"password": "123", "password_again": "123"})

    assert response.status_code == 400
    text = response.content.decode()
    assert "too short" in text
    assert "entirely numeric" in text
    assert not User.objects.filter(role=Role.PORTAL).exists()


def test_two_different_passwords_are_refused(
    client: Client, therapist: User, rivers: Family
) -> None:
    _, token = invite(therapist, rivers.estranged)

    response = client.post(accept_url(token), {"password": PASSWORD, "password_again": "other"})

    assert response.status_code == 400
    assert "not the same" in response.content.decode()
    assert not User.objects.filter(role=Role.PORTAL).exists()


@pytest.mark.parametrize("state", ["used", "withdrawn", "expired"])
def test_an_unusable_link_explains_itself(
    client: Client, therapist: User, rivers: Family, time_machine: Any, state: str
) -> None:
    start = dt.datetime(2030, 1, 7, 9, 0, tzinfo=dt.UTC)
    time_machine.move_to(start, tick=False)
    _, token = invite(therapist, rivers.estranged)
    if state == "used":
        invitation_accept(token=token, password=PASSWORD)
    elif state == "withdrawn":
        invite(therapist, rivers.estranged)
    else:
        time_machine.move_to(start + dt.timedelta(days=30))

    response = client.get(accept_url(token))

    assert response.status_code == 410
    assert {"used": "log in instead", "withdrawn": "withdrawn", "expired": "expired"}[
        state
    ] in response.content.decode()


def test_an_unknown_link_is_404(client: Client, db: Any) -> None:
    assert client.get(accept_url("not-a-token")).status_code == 404


def test_a_second_case_joins_the_same_account_with_its_password(
    therapist: User, rivers: Family, okafor: Family, outsider: User
) -> None:
    user = portal_user(therapist, rivers.estranged, email="same@example.invalid")
    _, token = invite(outsider, okafor.estranged, email="same@example.invalid")

    with pytest.raises(ValidationError, match="enter its password"):
        invitation_accept(token=token, password="wrong password entirely")
    again = invitation_accept(token=token, password=PASSWORD)

    assert again == user
    assert set(portal_parties(user)) == {rivers.estranged, okafor.estranged}


def test_portal_access_can_be_revoked_at_once(therapist: User, rivers: Family) -> None:
    from reunify.portal.services import portal_access_revoke

    user = portal_user(therapist, rivers.estranged)
    portal_access_revoke(actor=therapist, party=rivers.estranged)

    assert list(portal_parties(user)) == []


def test_guessing_an_accounts_password_on_an_invitation_counts_towards_the_lockout(
    client: Client, therapist: User, rivers: Family, okafor: Family, outsider: User
) -> None:
    from reunify.accounts.models import Lockout, LoginAttempt

    user = portal_user(therapist, rivers.estranged, email="same@example.invalid")
    _, token = invite(outsider, okafor.estranged, email="same@example.invalid")
    for _ in range(settings.REUNIFY_LOGIN_FAILURES_PER_ACCOUNT):
        response = client.post(accept_url(token), {"password": "a guess at it"})
        assert response.status_code == 400

    # Locked now: even the right password is not tried, and the invitation stays unused.
    response = client.post(accept_url(token), {"password": PASSWORD})

    assert response.status_code == 400
    assert "Too many wrong codes or passwords" in response.content.decode()
    assert Lockout.objects.filter(scope="account").exists()
    assert LoginAttempt.objects.filter(username=user.username, succeeded=False).count() == 5
    assert list(portal_parties(user)) == [rivers.estranged]


def test_an_account_with_a_second_factor_joins_a_case_then_logs_in_with_its_code(
    client: Client, therapist: User, rivers: Family, okafor: Family, outsider: User
) -> None:
    from reunify.conftest import enrol_authenticator

    user = portal_user(therapist, rivers.estranged, email="same@example.invalid")
    enrol_authenticator(user)
    _, token = invite(outsider, okafor.estranged, email="same@example.invalid")

    response = client.post(accept_url(token), {"password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert set(portal_parties(user)) == {rivers.estranged, okafor.estranged}
    # Not logged in by the link: the code is still needed.
    assert client.get(reverse("portal_home")).status_code == 302
