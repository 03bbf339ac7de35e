"""Sign-in security in the portal: a party turns a second factor on (QR code, a first code, the
recovery codes once), makes new recovery codes, and turns it off with the password and a code.
Wrong codes change nothing and count towards the lockout; staff are refused; the next login asks
for the code, and a code already used is refused."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyotp
import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import Lockout, LoginAttempt, RecoveryCode, SecondFactor, User
from reunify.accounts.services import (
    recovery_code_use,
    recovery_codes_remaining,
    totp_turn_off,
)
from reunify.audit.models import Event
from reunify.conftest import PASSWORD, Family, enrol_authenticator, last_event, login
from reunify.portal.tests.factories import portal_user

START = dt.datetime(2026, 3, 2, 17, 0, 10, tzinfo=dt.UTC)  # ten seconds into a 30-second step
STEP = dt.timedelta(seconds=30)
SECURITY = reverse("portal_security")
TURN_ON = reverse("portal_security_turn_on")
ENROL = reverse("portal_security_enrol")
TURN_OFF = reverse("portal_security_turn_off")
NEW_CODES = reverse("portal_security_recovery_codes")
ON = {"password": PASSWORD}
CODES = re.compile(r"<li><code>([a-z2-9-]{19})</code></li>")


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


@pytest.fixture
def daniel(client: Client, therapist: User, rivers: Family) -> User:
    """The estranged father, invited and logged in to the portal (password alone, as today)."""
    user = portal_user(therapist, rivers.estranged)
    login(client, user)
    return user


def text(response: Any) -> str:
    return response.content.decode()


def actions(user: User) -> list[str]:
    return list(Event.objects.filter(actor=user).order_by("id").values_list("action", flat=True))


def wrong(app: pyotp.TOTP) -> str:
    return f"{(int(app.now()) + 1) % 1_000_000:06d}"


def is_on(user: User) -> bool:
    return SecondFactor.objects.filter(user=user, confirmed_at__isnull=False).exists()


def turn_on(client: Client) -> tuple[pyotp.TOTP, list[str]]:
    """Through the pages: start, read the key off the page, confirm with the app's code."""
    assert client.post(TURN_ON, ON)["Location"] == ENROL
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', text(client.get(ENROL)))
    assert secret is not None
    app = pyotp.TOTP(secret.group(1).replace(" ", ""))
    response = client.post(ENROL, {"code": app.now()})
    assert response.status_code == 200
    return app, CODES.findall(text(response))


# Turning it on ----------------------------------------------------------------------------------


def test_the_portal_home_links_to_the_page_which_says_it_is_off(
    client: Client, daniel: User
) -> None:
    assert SECURITY in text(client.get(reverse("portal_home")))

    response = client.get(SECURITY)

    assert response.status_code == 200
    page = text(response)
    assert "<h1>Sign-in security</h1>" in page
    assert "Second factor: off" in page
    assert f'action="{TURN_ON}"' in page


def test_it_turns_on_with_a_first_code_and_shows_the_recovery_codes_once(
    client: Client, daniel: User, clock: Any
) -> None:
    assert client.post(TURN_ON, ON)["Location"] == ENROL
    page = text(client.get(ENROL))
    assert "<svg" in page and "<img" not in page
    assert '<label for="id_code">' in page
    assert not is_on(daniel)

    app, codes = turn_on(client)

    assert len(codes) == 10 == len(set(codes))
    assert is_on(daniel)
    stored = [row.code_hash for row in RecoveryCode.objects.filter(user=daniel)]
    assert not any(code in value for code in codes for value in stored)
    assert actions(daniel)[-3:] == ["totp.enrol_start", "totp.enrol", "auth.sessions_end"]
    page = text(client.get(SECURITY))
    assert "Second factor: on" in page
    assert "10 of 10" in page
    # The set-up key is never shown again.
    assert client.get(ENROL)["Location"] == SECURITY
    assert app.secret not in text(client.get(SECURITY))


def test_the_key_being_set_up_survives_a_reload_and_a_second_start(
    client: Client, daniel: User, clock: Any
) -> None:
    client.post(TURN_ON, ON)
    first = re.search(r'<code class="secret">[^<]+</code>', text(client.get(ENROL)))
    assert first is not None

    client.post(TURN_ON, ON)

    assert first.group(0) in text(client.get(ENROL))
    assert actions(daniel).count("totp.enrol_start") == 1


def test_the_set_up_page_needs_a_start(client: Client, daniel: User) -> None:
    assert client.get(ENROL)["Location"] == SECURITY
    assert client.post(ENROL, {"code": "123456"})["Location"] == SECURITY
    assert not SecondFactor.objects.exists()


def test_a_wrong_first_code_changes_nothing_and_is_counted(
    client: Client, daniel: User, clock: Any
) -> None:
    client.post(TURN_ON, ON)

    response = client.post(ENROL, {"code": "000000"})

    assert response.status_code == 400
    assert "That code did not work" in text(response)
    assert "Your second factor is not on yet" in text(response)
    assert not is_on(daniel)
    assert not RecoveryCode.objects.exists()
    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.stage, attempt.succeeded) == (daniel.username, "code", False)
    assert last_event().action == "auth.failed"
    assert last_event().detail["reason"] == "wrong code while enrolling"


def test_an_empty_code_is_refused_with_a_clear_error(
    client: Client, daniel: User, clock: Any
) -> None:
    client.post(TURN_ON, ON)

    response = client.post(ENROL, {"code": ""})

    assert response.status_code == 400
    assert "Code from your authenticator app: This field is required." in text(response)
    assert not is_on(daniel)


def test_wrong_codes_lock_the_account_as_at_the_login(
    client: Client, daniel: User, clock: Any
) -> None:
    client.post(TURN_ON, ON)
    for _ in range(4):
        assert "Too many wrong" not in text(client.post(ENROL, {"code": "000000"}))

    response = client.post(ENROL, {"code": "000000"})

    assert "Too many wrong codes or passwords" in text(response)
    assert Lockout.objects.get().scope == "account"
    # While locked, even the right code is not tried.
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', text(client.get(ENROL)))
    assert secret is not None
    app = pyotp.TOTP(secret.group(1).replace(" ", ""))
    response = client.post(ENROL, {"code": app.now()})
    assert "Too many wrong codes or passwords" in text(response)
    assert not is_on(daniel)
    assert last_event().detail["reason"] == "locked out"


def test_turning_on_needs_the_password_and_a_wrong_one_is_counted(
    client: Client, daniel: User, clock: Any
) -> None:
    response = client.post(TURN_ON, {"password": "someone else's guess"})

    assert response.status_code == 400
    assert "That is not your password. Nothing was changed." in text(response)
    assert not SecondFactor.objects.exists()
    attempt = LoginAttempt.objects.get()
    assert (attempt.stage, attempt.succeeded) == ("password", False)
    assert client.get(ENROL)["Location"] == SECURITY


def test_the_set_up_page_opens_only_for_the_session_that_gave_the_password(
    client: Client, daniel: User, clock: Any
) -> None:
    client.post(TURN_ON, ON)
    unattended = login(Client(), daniel)  # the same account, open on another device

    assert unattended.get(ENROL)["Location"] == SECURITY
    assert unattended.post(ENROL, {"code": "123456"})["Location"] == SECURITY
    assert client.get(ENROL).status_code == 200


def test_turning_on_logs_the_account_out_everywhere_else(
    client: Client, daniel: User, clock: Any
) -> None:
    elsewhere = login(Client(), daniel)
    assert elsewhere.get(SECURITY).status_code == 200

    turn_on(client)

    assert elsewhere.get(SECURITY).status_code == 302
    assert client.get(SECURITY).status_code == 200
    assert "auth.sessions_end" in actions(daniel)


def test_turning_on_twice_starts_nothing_new(client: Client, daniel: User, clock: Any) -> None:
    turn_on(client)
    before = actions(daniel)

    response = client.post(TURN_ON, ON, follow=True)

    assert "Your second factor is already on" in text(response)
    assert actions(daniel) == before


# The next login ---------------------------------------------------------------------------------


def test_the_next_login_asks_for_the_code_and_refuses_one_already_used(
    client: Client, daniel: User, clock: Any
) -> None:
    app, _ = turn_on(client)
    client.post(reverse("logout"))

    response = client.post(reverse("login"), {"username": daniel.username, "password": PASSWORD})

    assert response["Location"] == reverse("login_code")
    assert client.get(reverse("portal_home")).status_code == 302
    # The code that turned it on was spent then.
    replayed = client.post(reverse("login_code"), {"code": app.now()})
    assert "That code did not work" in text(replayed)
    assert last_event().detail["reason"] == "code already used"
    clock.shift(STEP)
    response = client.post(reverse("login_code"), {"code": app.now()}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal_home")
    login_event = Event.objects.filter(action="auth.login").latest("id")
    assert login_event.actor == daniel
    assert login_event.detail["second_factor"] == "totp"


def test_a_recovery_code_logs_in_and_is_spent(client: Client, daniel: User, clock: Any) -> None:
    _, codes = turn_on(client)
    client.post(reverse("logout"))

    client.post(reverse("login"), {"username": daniel.username, "password": PASSWORD})
    response = client.post(reverse("login_code"), {"code": codes[0]})

    assert response.status_code == 302
    assert client.get(SECURITY).status_code == 200
    assert "9 of 10" in text(client.get(SECURITY))


# New recovery codes -----------------------------------------------------------------------------


def test_new_recovery_codes_replace_the_old_ones(client: Client, daniel: User, clock: Any) -> None:
    app = enrol_authenticator(daniel)
    old = RecoveryCode.objects.filter(user=daniel).values_list("code_hash", flat=True)
    old_hashes = set(old)

    response = client.post(NEW_CODES, {"code": app.now()})

    assert response.status_code == 200
    codes = CODES.findall(text(response))
    assert len(codes) == 10
    assert "The old ones no longer work" in text(response)
    assert not old_hashes & set(RecoveryCode.objects.values_list("code_hash", flat=True))
    assert recovery_codes_remaining(daniel) == 10
    assert actions(daniel)[-2:] == ["totp.verify", "totp.recovery_codes_renew"]
    assert last_event().detail == {"recovery_codes": 10}


def test_the_page_warns_when_few_recovery_codes_are_left(
    client: Client, daniel: User, clock: Any
) -> None:
    _, codes = turn_on(client)
    assert "Make new ones while you still have your phone" not in text(client.get(SECURITY))

    for code in codes[:8]:
        recovery_code_use(user=daniel, code=code)

    page = text(client.get(SECURITY))
    assert "2 of 10" in page
    assert "Only 2 recovery codes left. Make new ones while you still have your phone." in page


def test_new_recovery_codes_need_a_code_from_the_app(
    client: Client, daniel: User, clock: Any
) -> None:
    app = enrol_authenticator(daniel)
    before = set(RecoveryCode.objects.values_list("code_hash", flat=True))

    for code in (wrong(app), "abcd-efgh-jkmn-pqrs"):
        response = client.post(NEW_CODES, {"code": code})
        assert response.status_code == 400
        assert "No new recovery codes were made" in text(response)

    assert set(RecoveryCode.objects.values_list("code_hash", flat=True)) == before
    assert "totp.recovery_codes_renew" not in actions(daniel)
    assert last_event().action == "auth.failed"


# Turning it off ---------------------------------------------------------------------------------


def test_turning_off_needs_the_password_and_a_code(
    client: Client, daniel: User, clock: Any
) -> None:
    app = enrol_authenticator(daniel)
    assert "Second factor: on" in text(client.get(SECURITY))
    assert client.get(TURN_OFF).status_code == 200

    for password, code in (
        ("not my password", app.now()),
        (PASSWORD, wrong(app)),
        ("", app.now()),
        (PASSWORD, ""),
    ):
        response = client.post(TURN_OFF, {"password": password, "code": code})
        assert response.status_code == 400
        assert "Your second factor is still on" in text(response)
        assert is_on(daniel)
    assert RecoveryCode.objects.filter(user=daniel).count() == 10
    failures = LoginAttempt.objects.filter(username=daniel.username).order_by("at", "pk")
    assert [a.stage for a in failures] == ["password", "code"]

    # A wrong password spent no code: the current one still works.
    response = client.post(TURN_OFF, {"password": PASSWORD, "code": app.now()})

    assert response["Location"] == SECURITY
    assert not SecondFactor.objects.filter(user=daniel).exists()
    assert not RecoveryCode.objects.filter(user=daniel).exists()
    event = last_event()
    assert (event.action, event.actor, event.detail) == (
        "totp.turn_off",
        daniel,
        {"proved_with": "totp"},
    )
    assert "Second factor: off" in text(client.get(SECURITY))
    # And the next login asks for the password alone.
    client.post(reverse("logout"))
    response = client.post(reverse("login"), {"username": daniel.username, "password": PASSWORD})
    assert response["Location"] not in (reverse("login_code"), reverse("login_enrol"))
    assert last_event().detail["second_factor"] == "none"


def test_a_recovery_code_turns_it_off_too(client: Client, daniel: User, clock: Any) -> None:
    _, codes = turn_on(client)

    response = client.post(TURN_OFF, {"password": PASSWORD, "code": codes[3]})

    assert response["Location"] == SECURITY
    assert not is_on(daniel)
    assert actions(daniel)[-2:] == ["totp.recovery_code_use", "totp.turn_off"]


def test_turning_off_refuses_a_code_already_used(client: Client, daniel: User, clock: Any) -> None:
    app, _ = turn_on(client)

    response = client.post(TURN_OFF, {"password": PASSWORD, "code": app.now()})

    assert response.status_code == 400
    assert is_on(daniel)
    assert last_event().detail["reason"] == "code already used"


def test_nothing_to_turn_off_goes_back(client: Client, daniel: User) -> None:
    assert client.get(TURN_OFF)["Location"] == SECURITY
    assert client.get(NEW_CODES)["Location"] == SECURITY


def test_staff_may_never_turn_theirs_off(therapist: User, clock: Any) -> None:
    app = enrol_authenticator(therapist)

    with pytest.raises(PermissionDenied):
        totp_turn_off(user=therapist, password=PASSWORD, code=app.now())

    assert is_on(therapist)


# Who may open the pages -------------------------------------------------------------------------

PAGES = (SECURITY, TURN_ON, ENROL, TURN_OFF, NEW_CODES)


def test_the_pages_need_a_login(client: Client, db: Any) -> None:
    for path in PAGES:
        for response in (client.get(path), client.post(path, {"code": "123456"})):
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
    assert not SecondFactor.objects.exists()


def test_staff_are_refused(client: Client, therapist: User, clock: Any) -> None:
    app = enrol_authenticator(therapist)
    login(client, therapist)

    for path in (SECURITY, ENROL, TURN_OFF, NEW_CODES):
        assert client.get(path).status_code == 403
    for path in (TURN_ON, ENROL, TURN_OFF, NEW_CODES):
        response = client.post(path, {"password": PASSWORD, "code": app.now()})
        assert response.status_code == 403
    assert is_on(therapist)
    assert not SecondFactor.objects.exclude(user=therapist).exists()
    event = last_event()
    assert (event.action, event.actor) == ("access.denied", therapist)
    assert event.detail["view"] == "portal_security_recovery_codes"


def test_every_post_needs_the_csrf_token(daniel: User, clock: Any) -> None:
    app = enrol_authenticator(daniel)
    client = login(Client(enforce_csrf_checks=True), daniel)

    for path in (TURN_ON, TURN_OFF, NEW_CODES):
        response = client.post(path, {"password": PASSWORD, "code": app.now()})
        assert response.status_code == 403
    assert is_on(daniel)


def test_the_pages_are_never_cached(client: Client, daniel: User) -> None:
    assert "no-store" in client.get(SECURITY)["Cache-Control"]


def test_a_party_whose_factor_is_reset_mid_login_is_not_stuck_at_staff_enrolment(
    client: Client, therapist: User, rivers: Family, clock: Any
) -> None:
    from reunify.accounts.services import totp_reset

    user = portal_user(therapist, rivers.estranged)
    enrol_authenticator(user)
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response["Location"] == reverse("login_code")
    totp_reset(actor=None, user=user)

    assert client.get(reverse("login_code"))["Location"] == reverse("login_enrol")
    response = client.get(reverse("login_enrol"))

    assert response.status_code == 302
    assert client.get(reverse("portal_home")).status_code == 200
