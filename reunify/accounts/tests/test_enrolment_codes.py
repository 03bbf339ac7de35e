"""Enrolment codes: a member of staff sets up an authenticator app only with the one-time code
an administrator handed them, never with a password alone."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import sys
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import EnrolmentCode, Lockout, LoginAttempt, Role, SecondFactor, User
from reunify.accounts.services import (
    EnrolmentCodeRefused,
    enrolment_code_accept,
    enrolment_code_issue,
    totp_reset,
)
from reunify.accounts.tests.test_login import (
    LOCKED,
    START,
    enrol_through_the_pages,
    enrolment_code_step,
    events,
    is_logged_in,
    password_step,
    secret_on,
    text,
)
from reunify.conftest import PASSWORD, enrol_authenticator, last_event, make_user

CODE = re.compile(r"Enrolment code for (\w+): ([a-z2-9]{5}-[a-z2-9]{5})\n")
WRONG = "That is not the enrolment code issued for your account"


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


def printed_code(output: str) -> str:
    found = CODE.search(output)
    assert found is not None, output
    return found.group(2)


def assert_refused(response: Any, message: str, reason: str, user: User) -> None:
    """Refused on the code page: no secret shown, nothing set up, counted and audited."""
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "<svg" not in page and secret_on(page) is None
    assert not SecondFactor.objects.filter(user=user).exists()
    attempt = LoginAttempt.objects.latest("pk")
    assert (attempt.username, attempt.stage, attempt.succeeded) == (
        user.username,
        "enrolment",
        False,
    )
    assert (last_event().action, last_event().detail) == (
        "auth.failed",
        {
            "username": user.username,
            "address": "127.0.0.1",
            "stage": "enrolment",
            "reason": reason,
        },
    )


# Issuing ----------------------------------------------------------------------------------------


def test_it_issues_a_code_kept_only_as_a_keyed_hash_and_audited(
    therapist: User, clock: Any
) -> None:
    code = enrolment_code_issue(actor=None, user=therapist)

    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code)
    issued = EnrolmentCode.objects.get(user=therapist)
    assert (issued.issued_at, issued.expires_at, issued.used_at) == (
        START,
        START + dt.timedelta(hours=72),
        None,
    )
    raw = code.replace("-", "")
    for digest in (hashlib.sha256(raw.encode()), hashlib.sha256(f"{therapist.pk}:{raw}".encode())):
        assert issued.code_hash != digest.hexdigest()
    assert raw not in issued.code_hash
    event = last_event()
    assert (event.action, event.detail["user"]) == ("totp.enrolment_code_issue", "therapist")
    assert code not in str(event.detail) and raw not in str(event.detail)


def test_a_new_code_replaces_the_old(therapist: User, clock: Any) -> None:
    old = enrolment_code_issue(actor=None, user=therapist)
    new = enrolment_code_issue(actor=None, user=therapist)

    assert EnrolmentCode.objects.filter(user=therapist).count() == 1
    with pytest.raises(EnrolmentCodeRefused, match="wrong enrolment code"):
        enrolment_code_accept(user=therapist, code=old)
    assert enrolment_code_accept(user=therapist, code=new).user == therapist


def test_codes_are_for_staff_who_have_not_set_up_an_app(
    therapist: User, outsider: User, clock: Any
) -> None:
    enrol_authenticator(outsider)

    with pytest.raises(ValidationError, match="portal user"):
        enrolment_code_issue(actor=None, user=make_user("clemency", Role.PORTAL))
    with pytest.raises(ValidationError, match="already has an authenticator app set up"):
        enrolment_code_issue(actor=None, user=outsider)
    User.objects.filter(pk=therapist.pk).update(is_active=False)
    therapist.refresh_from_db()
    with pytest.raises(ValidationError, match="deactivated"):
        enrolment_code_issue(actor=None, user=therapist)
    assert not EnrolmentCode.objects.exists()


def test_a_code_belongs_to_its_user(therapist: User, outsider: User, clock: Any) -> None:
    enrolment_code_issue(actor=None, user=therapist)
    theirs = enrolment_code_issue(actor=None, user=outsider)

    with pytest.raises(EnrolmentCodeRefused, match="wrong enrolment code"):
        enrolment_code_accept(user=therapist, code=theirs)


def test_capitals_spaces_and_dashes_do_not_matter(therapist: User, clock: Any) -> None:
    code = enrolment_code_issue(actor=None, user=therapist)

    accepted = enrolment_code_accept(user=therapist, code=f"  {code.upper().replace('-', ' ')} ")

    assert accepted.user == therapist
    assert last_event().action == "totp.enrolment_code_accept"
    with pytest.raises(EnrolmentCodeRefused):
        enrolment_code_accept(user=therapist, code=code.upper().replace("-", "") + "X")


def test_a_code_survives_rotating_the_secret_key_with_the_old_one_as_fallback(
    therapist: User, clock: Any, settings: Any
) -> None:
    code = enrolment_code_issue(actor=None, user=therapist)
    old = settings.SECRET_KEY

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old]
    enrolment_code_accept(user=therapist, code=code)

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(EnrolmentCodeRefused, match="wrong enrolment code"):
        enrolment_code_accept(user=therapist, code=code)


# Logging in with it -----------------------------------------------------------------------------


def test_no_secret_is_shown_or_made_without_the_code(
    client: Client, therapist: User, clock: Any
) -> None:
    enrolment_code_issue(actor=None, user=therapist)
    password_step(client)

    page = text(client.get(reverse("login_enrol")))
    # The app's own code posted straight to the page, skipping the enrolment code: no help.
    posted = text(client.post(reverse("login_enrol"), {"code": "123456"}))

    for shown in (page, posted):
        assert "Enter your enrolment code" in shown
        assert "<svg" not in shown and secret_on(shown) is None
    assert not SecondFactor.objects.exists()
    assert not events("totp.enrol_start")
    assert not is_logged_in(client)


def test_the_right_code_leads_to_the_app_and_is_spent_by_it(
    client: Client, therapist: User, clock: Any
) -> None:
    code = enrolment_code_issue(actor=None, user=therapist)

    app = enrol_through_the_pages(client, therapist, code)
    accepted = events("totp.enrolment_code_accept")[-1]
    assert (accepted.actor, accepted.object_id) == (therapist, str(therapist.pk))
    response = client.post(reverse("login_enrol"), {"code": app.now()})

    assert "Your recovery codes" in text(response)
    assert is_logged_in(client)
    assert EnrolmentCode.objects.get(user=therapist).used_at == START
    with pytest.raises(EnrolmentCodeRefused, match="already used") as refused:
        enrolment_code_accept(user=therapist, code=code)
    assert "already been used" in refused.value.message


def test_no_code_issued_is_refused_counted_and_audited(
    client: Client, therapist: User, clock: Any
) -> None:
    password_step(client)

    response = enrolment_code_step(client, "abcde-fghjk")

    assert_refused(response, WRONG, "no enrolment code issued", therapist)


def test_a_wrong_code_is_refused_counted_and_audited(
    client: Client, therapist: User, clock: Any
) -> None:
    enrolment_code_issue(actor=None, user=therapist)
    password_step(client)

    response = enrolment_code_step(client, "abcde-fghjk")

    assert_refused(response, WRONG, "wrong enrolment code", therapist)


def test_an_expired_code_is_refused_counted_and_audited(
    client: Client, therapist: User, clock: Any
) -> None:
    code = enrolment_code_issue(actor=None, user=therapist)
    clock.shift(dt.timedelta(hours=72))
    password_step(client)

    response = enrolment_code_step(client, code)

    assert_refused(response, "That enrolment code has expired", "enrolment code expired", therapist)
    # A fresh one from the administrator works.
    enrol_through_the_pages(Client(), therapist)


def test_the_lifetime_comes_from_the_settings(therapist: User, clock: Any, settings: Any) -> None:
    settings.REUNIFY_ENROLMENT_CODE_HOURS = 2
    code = enrolment_code_issue(actor=None, user=therapist)

    clock.shift(dt.timedelta(hours=2) - dt.timedelta(seconds=1))
    enrolment_code_accept(user=therapist, code=code)
    clock.shift(dt.timedelta(seconds=1))
    with pytest.raises(EnrolmentCodeRefused, match="expired"):
        enrolment_code_accept(user=therapist, code=code)


def test_a_used_code_is_refused_after_a_reset(client: Client, therapist: User, clock: Any) -> None:
    code = enrolment_code_issue(actor=None, user=therapist)
    app = enrol_through_the_pages(client, therapist, code)
    client.post(reverse("login_enrol"), {"code": app.now()})
    totp_reset(actor=None, user=therapist)  # without the command's new code

    again = Client()
    password_step(again)
    response = enrolment_code_step(again, code)

    assert_refused(response, WRONG, "no enrolment code issued", therapist)


def test_wrong_codes_count_towards_the_lockout(client: Client, therapist: User, clock: Any) -> None:
    code = enrolment_code_issue(actor=None, user=therapist)
    password_step(client)
    for _ in range(4):
        assert enrolment_code_step(client, "abcde-fghjk").status_code == 200

    response = enrolment_code_step(client, "abcde-fghjk")

    assert response["Location"] == reverse("login")
    assert LOCKED in text(client.get(reverse("login")))
    assert Lockout.objects.get().key == "therapist"
    # While the lock holds even the right code is refused, unchecked, and the refusal audited.
    password_step(client)  # refused: locked
    assert client.get(reverse("login_enrol"))["Location"] == reverse("login")
    assert last_event().detail["reason"] == "locked out"
    clock.shift(dt.timedelta(minutes=15, seconds=1))
    enrol_through_the_pages(client, therapist, code)


def test_a_code_replaced_during_enrolment_sends_the_user_back_to_the_code_step(
    client: Client, therapist: User, clock: Any
) -> None:
    app = enrol_through_the_pages(client, therapist)

    enrolment_code_issue(actor=None, user=therapist)
    response = client.post(reverse("login_enrol"), {"code": app.now()})

    assert "Enter your enrolment code" in text(response)
    assert SecondFactor.objects.get(user=therapist).confirmed_at is None
    assert not is_logged_in(client)


def test_a_portal_user_is_never_asked_for_one(client: Client, db: Any) -> None:
    make_user("clemency", Role.PORTAL)

    response = password_step(client, username="clemency")

    assert response["Location"] not in (reverse("login_enrol"), reverse("login_code"))
    assert last_event().detail["second_factor"] == "none"


# Commands ---------------------------------------------------------------------------------------


def test_createuser_prints_a_code_that_works(
    client: Client, db: Any, clock: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(PASSWORD + "\n"))
    out = io.StringIO()

    call_command("createuser", "alice", "--role", "admin", "--password-stdin", stdout=out)

    assert out.getvalue().startswith("Created practice administrator alice.\n")
    assert "within 72 hours" in out.getvalue()
    alice = User.objects.get(username="alice")
    enrol_through_the_pages(client, alice, printed_code(out.getvalue()))


def test_createuser_issues_no_code_if_the_account_is_refused(db: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))

    with pytest.raises(CommandError, match="too short"):
        call_command("createuser", "alice", "--password-stdin")

    assert not EnrolmentCode.objects.exists()
    assert not User.objects.filter(username="alice").exists()


def test_the_enrolment_code_command_issues_a_fresh_code(
    client: Client, therapist: User, clock: Any
) -> None:
    old = enrolment_code_issue(actor=None, user=therapist)
    out = io.StringIO()

    call_command("totp", "enrolment-code", "therapist", stdout=out)

    code = printed_code(out.getvalue())
    assert code != old
    assert last_event().source == "cli"
    with pytest.raises(EnrolmentCodeRefused):
        enrolment_code_accept(user=therapist, code=old)
    enrol_through_the_pages(client, therapist, code)


def test_the_enrolment_code_command_refuses_enrolled_and_portal_accounts(
    therapist: User, clock: Any
) -> None:
    enrol_authenticator(therapist)
    make_user("clemency", Role.PORTAL)

    with pytest.raises(CommandError, match="already has an authenticator app set up"):
        call_command("totp", "enrolment-code", "therapist")
    with pytest.raises(CommandError, match="portal user"):
        call_command("totp", "enrolment-code", "clemency")
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("totp", "enrolment-code", "nobody")


def test_resetting_a_portal_users_factor_issues_no_code(db: Any, clock: Any) -> None:
    parent = make_user("clemency", Role.PORTAL)
    enrol_authenticator(parent)
    out = io.StringIO()

    call_command("totp", "reset", "clemency", stdout=out)

    assert "may turn a second factor on again in the portal" in out.getvalue()
    assert CODE.search(out.getvalue()) is None
    assert not EnrolmentCode.objects.exists()


def test_resetting_an_account_with_no_factor_points_to_the_enrolment_code_command(
    therapist: User,
) -> None:
    out = io.StringIO()

    call_command("totp", "reset", "therapist", stdout=out)

    assert "nothing to reset" in out.getvalue()
    assert "reunify totp enrolment-code therapist" in out.getvalue()
    assert not EnrolmentCode.objects.exists()


def test_the_code_stands_beside_the_password_not_instead_of_it(
    client: Client, therapist: User, clock: Any
) -> None:
    code = enrolment_code_issue(actor=None, user=therapist)

    password_step(client, password="not the password at all")
    response = enrolment_code_step(client, code)

    assert response["Location"] == reverse("login")
    assert not events("totp.enrolment_code_accept")
