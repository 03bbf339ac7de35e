"""Logging in: password, then the second factor; lockouts; idle logoff; refusals on record."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pyotp
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from reunify.accounts.models import (
    EnrolmentCode,
    Lockout,
    LoginAttempt,
    RecoveryCode,
    Role,
    SecondFactor,
    User,
)
from reunify.accounts.services import (
    CodeRefused,
    enrolment_code_issue,
    recovery_code_use,
    totp_demo_code,
    totp_enrol_confirm,
    totp_enrol_demo,
    totp_enrol_start,
    totp_provisioning,
    totp_reset,
    totp_verify,
)
from reunify.audit.models import Event
from reunify.conftest import (
    PASSWORD,
    Family,
    bearer,
    enrol_authenticator,
    last_event,
    login,
    make_user,
)

START = dt.datetime(2026, 3, 2, 17, 0, 10, tzinfo=dt.UTC)  # ten seconds into a 30-second step
STEP = dt.timedelta(seconds=30)
LOCKED = "Too many failed attempts"


@pytest.fixture
def clock(time_machine: Any) -> Any:
    time_machine.move_to(START, tick=False)
    return time_machine


def text(response: Any) -> str:
    return response.content.decode()


def password_step(
    client: Client, username: str = "therapist", password: str = PASSWORD, **extra: Any
) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password}, **extra)


def code_step(client: Client, code: str, **extra: Any) -> Any:
    return client.post(reverse("login_code"), {"code": code}, **extra)


def enrolment_code_step(client: Client, code: str, **extra: Any) -> Any:
    return client.post(reverse("login_enrol"), {"enrolment_code": code}, **extra)


def secret_on(page: str) -> str | None:
    """The set-up key an enrolment page shows, if it shows one."""
    found = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page)
    return found.group(1).replace(" ", "") if found else None


def enrol_through_the_pages(client: Client, user: User, code: str | None = None) -> pyotp.TOTP:
    """Password, the enrolment code (a fresh one unless given), then the set-up page's secret."""
    code = code or enrolment_code_issue(actor=None, user=user)
    assert password_step(client, username=user.username)["Location"] == reverse("login_enrol")
    assert enrolment_code_step(client, code)["Location"] == reverse("login_enrol")
    secret = secret_on(text(client.get(reverse("login_enrol"))))
    assert secret is not None
    return pyotp.TOTP(secret)


def is_logged_in(client: Client) -> bool:
    return client.get(reverse("caseload")).status_code == 200


def events(action: str) -> list[Event]:
    return list(Event.objects.filter(action=action).order_by("id"))


# The whole flow ---------------------------------------------------------------------------------


def test_it_logs_in_with_a_password_and_a_code(client: Client, therapist: User, clock: Any) -> None:
    app = enrol_authenticator(therapist)

    response = password_step(client)
    assert response["Location"] == reverse("login_code")
    page = text(client.get(reverse("login_code")))
    assert "Enter your code" in page
    assert "recovery code" in page

    response = code_step(client, app.now())

    assert response.status_code == 302
    assert response["Location"] == reverse("caseload")
    assert is_logged_in(client)
    login_event = events("auth.login")[-1]
    assert login_event.actor == therapist
    assert login_event.detail == {"address": "127.0.0.1", "second_factor": "totp"}
    assert events("totp.verify")[-1].actor == therapist


def test_it_goes_where_the_user_was_going_and_nowhere_else(
    client: Client, therapist: User, family: Family, clock: Any
) -> None:
    app = enrol_authenticator(therapist)
    case_page = reverse("case_detail", args=[family.case.pk])
    client.post(
        reverse("login"), {"username": "therapist", "password": PASSWORD, "next": case_page}
    )
    assert code_step(client, app.now())["Location"] == case_page

    other = Client()
    other.post(
        reverse("login"),
        {"username": "therapist", "password": PASSWORD, "next": "https://evil.example/"},
    )
    clock.shift(STEP)
    assert code_step(other, app.now())["Location"] == reverse("caseload")


def test_a_password_alone_opens_no_page(client: Client, therapist: User, family: Family) -> None:
    enrol_authenticator(therapist)

    password_step(client)

    for page in (reverse("caseload"), reverse("case_detail", args=[family.case.pk])):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert not events("auth.login")


def test_a_session_logged_in_without_the_second_factor_counts_as_logged_out(
    client: Client, therapist: User
) -> None:
    # What a session from before second factors, or any other call of Django's login, looks like.
    client.force_login(therapist)

    assert not is_logged_in(client)


def test_the_code_page_needs_the_password_first(client: Client, therapist: User) -> None:
    enrol_authenticator(therapist)

    response = code_step(client, "123456")

    assert response["Location"] == reverse("login")
    assert not LoginAttempt.objects.exists()


def test_a_wrong_password_does_not_say_whether_the_account_exists(
    client: Client, therapist: User
) -> None:
    wrong = text(password_step(client, password="not the password at all"))
    unknown = text(password_step(client, username="nobody-here", password="whatever it is"))

    def same(page: str, name: str) -> str:
        return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', "", page).replace(name, "X")

    assert "correct username and password" in wrong
    assert same(wrong, "therapist") == same(unknown, "nobody-here")


def test_it_logs_out_and_the_logout_is_audited(client: Client, therapist: User) -> None:
    login(client, therapist)

    response = client.post(reverse("logout"))

    assert response["Location"] == reverse("login")
    assert not is_logged_in(client)
    assert (last_event().action, last_event().actor, last_event().detail) == (
        "auth.logout",
        therapist,
        {"reason": "asked"},
    )


def test_logging_out_needs_a_post(client: Client, therapist: User) -> None:
    login(client, therapist)

    assert client.get(reverse("logout")).status_code == 405
    assert is_logged_in(client)


# Enrolment --------------------------------------------------------------------------------------


def test_the_first_login_enrols_an_authenticator_and_shows_recovery_codes_once(
    client: Client, therapist: User, clock: Any
) -> None:
    enrolment_code = enrolment_code_issue(actor=None, user=therapist)
    response = password_step(client)
    assert response["Location"] == reverse("login_enrol")
    page = text(client.get(reverse("login_enrol")))
    assert "Enter your enrolment code" in page
    assert "<svg" not in page and secret_on(page) is None

    assert enrolment_code_step(client, enrolment_code)["Location"] == reverse("login_enrol")

    page = text(client.get(reverse("login_enrol")))
    assert "<svg" in page and "<img" not in page
    secret = secret_on(page)
    assert secret is not None
    app = pyotp.TOTP(secret)
    # Reloading shows the same secret, so a code already scanned still works.
    assert secret_on(text(client.get(reverse("login_enrol")))) == secret

    response = client.post(reverse("login_enrol"), {"code": app.now()})

    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9-]{19})</code></li>", text(response))
    assert len(codes) == 10 == len(set(codes))
    assert is_logged_in(client)
    factor = SecondFactor.objects.get(user=therapist)
    assert factor.confirmed_at is not None
    assert app.secret not in factor.secret_sealed
    stored = [row.code_hash for row in RecoveryCode.objects.filter(user=therapist)]
    assert not any(code in value for code in codes for value in stored)
    assert [e.action for e in Event.objects.filter(actor=therapist).order_by("id")][-4:] == [
        "totp.enrolment_code_accept",
        "totp.enrol_start",
        "totp.enrol",
        "auth.login",
    ]
    assert last_event().detail["second_factor"] == "totp_enrolment"
    assert EnrolmentCode.objects.get(user=therapist).used_at == START

    # The next login asks for a code; the set-up page is gone for good.
    client.post(reverse("logout"))
    assert password_step(client)["Location"] == reverse("login_code")
    assert client.get(reverse("login_enrol"))["Location"] == reverse("login_code")


def test_enrolment_is_required_before_any_case_page(
    client: Client, therapist: User, family: Family
) -> None:
    password_step(client)
    client.get(reverse("login_enrol"))

    response = client.get(reverse("case_detail", args=[family.case.pk]))

    assert response["Location"].startswith(reverse("login"))
    assert password_step(client)["Location"] == reverse("login_enrol")


def test_the_secret_being_enrolled_survives_logging_in_again(
    client: Client, therapist: User, clock: Any
) -> None:
    enrolment_code = enrolment_code_issue(actor=None, user=therapist)
    first = enrol_through_the_pages(client, therapist, enrolment_code).secret
    clock.shift(dt.timedelta(minutes=11))  # the password step has timed out meanwhile
    assert client.get(reverse("login_enrol"))["Location"] == reverse("login")

    again = Client()
    # The enrolment code is spent only by a confirmed app: it lets the user back to the same key.
    assert enrol_through_the_pages(again, therapist, enrolment_code).secret == first
    clock.shift(dt.timedelta(days=1, seconds=1))
    assert enrol_through_the_pages(again, therapist, enrolment_code).secret != first


def test_the_second_step_must_follow_the_password_within_ten_minutes(
    client: Client, therapist: User, clock: Any
) -> None:
    app = enrol_authenticator(therapist)
    password_step(client)
    clock.shift(dt.timedelta(minutes=10, seconds=1))

    response = code_step(client, app.now())

    assert response["Location"] == reverse("login")
    assert not is_logged_in(client)


def test_a_wrong_app_code_while_enrolling_keeps_the_factor_unconfirmed(
    client: Client, therapist: User, clock: Any
) -> None:
    enrol_through_the_pages(client, therapist)

    response = client.post(reverse("login_enrol"), {"code": "000000"})

    assert "That code did not work" in text(response)
    assert SecondFactor.objects.get(user=therapist).confirmed_at is None
    assert not is_logged_in(client)
    assert last_event().action == "auth.failed"
    assert last_event().detail["stage"] == "code"


def test_the_secret_is_shown_only_while_enrolling(therapist: User, clock: Any) -> None:
    factor = totp_enrol_start(user=therapist)
    app = pyotp.TOTP(totp_provisioning(factor).secret)
    assert totp_provisioning(factor).uri.startswith("otpauth://totp/Reunify:therapist?secret=")

    totp_enrol_confirm(user=therapist, factor=factor, code=app.now())

    with pytest.raises(ValidationError, match="never shown again"):
        totp_provisioning(SecondFactor.objects.get(user=therapist))
    with pytest.raises(ValidationError, match="already has a second factor"):
        totp_enrol_start(user=therapist)


# Codes: wrong, replayed, recovery -------------------------------------------------------------


def test_a_wrong_code_is_refused_and_counted(client: Client, therapist: User, clock: Any) -> None:
    app = enrol_authenticator(therapist)
    password_step(client)
    wrong = f"{(int(app.now()) + 1) % 1_000_000:06d}"

    response = code_step(client, wrong)

    assert response.status_code == 200
    assert "That code did not work" in text(response)
    assert not is_logged_in(client)
    attempt = LoginAttempt.objects.get()
    assert (attempt.username, attempt.stage, attempt.succeeded) == ("therapist", "code", False)
    assert last_event().action == "auth.failed"
    assert last_event().detail == {
        "username": "therapist",
        "address": "127.0.0.1",
        "stage": "code",
        "reason": "wrong code",
    }


def test_a_replayed_code_is_refused(client: Client, therapist: User, clock: Any) -> None:
    app = enrol_authenticator(therapist)
    password_step(client)
    code_step(client, app.now())
    client.post(reverse("logout"))

    password_step(client)
    response = code_step(client, app.now())

    assert "That code did not work" in text(response)
    assert not is_logged_in(client)
    assert last_event().detail["reason"] == "code already used"
    # The next step's code works.
    clock.shift(STEP)
    assert code_step(client, app.now())["Location"] == reverse("caseload")


def test_an_older_code_is_refused_after_a_newer_one(therapist: User, clock: Any) -> None:
    app = enrol_authenticator(therapist)
    totp_verify(user=therapist, code=app.at(START + STEP))

    with pytest.raises(CodeRefused, match="already used"):
        totp_verify(user=therapist, code=app.now())


def test_a_code_from_long_ago_is_refused(therapist: User, clock: Any) -> None:
    app = enrol_authenticator(therapist)

    with pytest.raises(CodeRefused, match="wrong code"):
        totp_verify(user=therapist, code=app.at(START - 3 * STEP))


def test_a_recovery_code_works_once(client: Client, therapist: User, clock: Any) -> None:
    app = enrol_through_the_pages(client, therapist)
    codes = re.findall(
        r"<li><code>([a-z2-9-]{19})</code></li>",
        text(client.post(reverse("login_enrol"), {"code": app.now()})),
    )
    client.post(reverse("logout"))

    password_step(client)
    response = code_step(client, codes[3].upper().replace("-", " "))

    assert response["Location"] == reverse("caseload")
    assert is_logged_in(client)
    assert last_event().detail["second_factor"] == "recovery_code"
    assert events("totp.recovery_code_use")[-1].detail == {"remaining": 9}
    client.post(reverse("logout"))

    password_step(client)
    response = code_step(client, codes[3])
    assert "That code did not work" in text(response)
    assert last_event().detail["reason"] == "wrong recovery code"


def test_recovery_codes_belong_to_their_user(therapist: User, outsider: User, clock: Any) -> None:
    factor = totp_enrol_start(user=therapist)
    app = pyotp.TOTP(totp_provisioning(factor).secret)
    codes = totp_enrol_confirm(user=therapist, factor=factor, code=app.now())
    enrol_authenticator(outsider)

    with pytest.raises(CodeRefused):
        recovery_code_use(user=outsider, code=codes[0])
    assert recovery_code_use(user=therapist, code=codes[0]) == 9


# Lockouts ---------------------------------------------------------------------------------------


def test_five_failures_lock_the_account_for_fifteen_minutes(
    client: Client, therapist: User, clock: Any
) -> None:
    app = enrol_authenticator(therapist)
    for _ in range(4):
        assert LOCKED not in text(password_step(client, password="wrong password 1"))

    fifth = text(password_step(client, password="wrong password 1"))

    assert LOCKED in fifth
    lock = Lockout.objects.get()
    assert (lock.scope, lock.key) == ("account", "therapist")
    locked = events("auth.locked")[-1]
    assert locked.detail["scope"] == "account"
    assert locked.detail["username"] == "therapist"
    assert locked.detail["failures"] == 5
    assert len(events("auth.failed")) == 5

    # The right password is refused too while the lock holds, and the refusal is audited.
    clock.shift(dt.timedelta(minutes=14))
    assert LOCKED in text(password_step(client))
    assert last_event().detail["reason"] == "locked out"
    # Another account from the same address is not affected.
    make_user("nora")
    assert password_step(Client(), username="nora").status_code == 302

    clock.shift(dt.timedelta(minutes=1, seconds=1))
    assert password_step(client)["Location"] == reverse("login_code")
    assert code_step(client, app.now())["Location"] == reverse("caseload")


def test_an_unknown_username_locks_the_same_way(client: Client, db: Any, clock: Any) -> None:
    for _ in range(5):
        page = text(password_step(client, username="ghost", password="wrong password 1"))

    assert LOCKED in page
    assert events("auth.locked")[-1].detail["username"] == "ghost"


def test_failures_spread_over_more_than_the_window_do_not_lock(
    client: Client, therapist: User, clock: Any
) -> None:
    for _ in range(8):
        password_step(client, password="wrong password 1")
        clock.shift(dt.timedelta(minutes=4))

    assert not Lockout.objects.exists()


def test_a_good_login_clears_the_account_failures(
    client: Client, therapist: User, clock: Any
) -> None:
    app = enrol_authenticator(therapist)
    for _ in range(4):
        password_step(client, password="wrong password 1")
    password_step(client)
    code_step(client, app.now())
    client.post(reverse("logout"))

    for _ in range(4):
        password_step(client, password="wrong password 1")

    assert not Lockout.objects.exists()


def test_wrong_codes_count_towards_the_lockout(client: Client, therapist: User, clock: Any) -> None:
    enrol_authenticator(therapist)
    password_step(client)
    for _ in range(4):
        assert code_step(client, "000000").status_code == 200

    response = code_step(client, "000000")

    assert response["Location"] == reverse("login")
    assert LOCKED in text(client.get(reverse("login")))
    assert Lockout.objects.get().scope == "account"
    assert code_step(client, "000000")["Location"] == reverse("login")


def test_twenty_failures_from_one_address_lock_that_address(db: Any, clock: Any) -> None:
    make_user("nora")
    attacker, colleague = Client(REMOTE_ADDR="203.0.113.9"), Client(REMOTE_ADDR="198.51.100.4")
    for number in range(19):
        # A different name each time: no account reaches its own limit.
        assert LOCKED not in text(password_step(attacker, username=f"guess{number}", password="x1"))

    assert LOCKED in text(password_step(attacker, username="guess19", password="x1"))

    lock = Lockout.objects.get()
    assert (lock.scope, lock.key) == ("address", "203.0.113.9")
    assert events("auth.locked")[-1].detail["address"] == "203.0.113.9"
    assert LOCKED in text(password_step(attacker, username="nora"))
    assert password_step(colleague, username="nora")["Location"] == reverse("login_enrol")
    clock.shift(dt.timedelta(minutes=15, seconds=1))
    assert password_step(attacker, username="nora")["Location"] == reverse("login_enrol")


def test_the_limits_come_from_the_settings(
    client: Client, therapist: User, clock: Any, settings: Any
) -> None:
    settings.REUNIFY_LOGIN_FAILURES_PER_ACCOUNT = 2
    settings.REUNIFY_LOCKOUT_MINUTES = 1
    password_step(client, password="wrong password 1")

    assert LOCKED in text(password_step(client, password="wrong password 1"))
    assert Lockout.objects.get().until == START + dt.timedelta(minutes=1)


def test_behind_a_proxy_the_forwarded_address_is_the_one_locked(
    db: Any, clock: Any, settings: Any
) -> None:
    settings.REUNIFY_PROXY_COUNT = 1
    settings.REUNIFY_LOGIN_FAILURES_PER_ADDRESS = 2
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    client = Client()
    for name in ("a", "b"):
        password_step(
            client, username=name, password="x1", HTTP_X_FORWARDED_FOR="203.0.113.9", **proxy
        )

    assert Lockout.objects.get().key == "203.0.113.9"
    assert last_event().source.startswith("203.0.113.9")


# Idle logoff ------------------------------------------------------------------------------------


def test_fifteen_idle_minutes_log_the_user_out(
    client: Client, therapist: User, clock: Any, settings: Any
) -> None:
    settings.REUNIFY_IDLE_MINUTES = 15
    login(client, therapist)
    for _ in range(3):
        clock.shift(dt.timedelta(minutes=14))
        assert is_logged_in(client)

    clock.shift(dt.timedelta(minutes=15, seconds=1))
    response = client.get(reverse("caseload"), follow=True)

    assert response.redirect_chain[0][0].startswith(reverse("login"))
    assert "You were logged out after 15 minutes without activity" in text(response)
    assert not is_logged_in(client)
    logout = events("auth.logout")[-1]
    assert (logout.actor, logout.detail) == (therapist, {"reason": "idle"})


def test_the_idle_limit_comes_from_the_settings(
    client: Client, therapist: User, clock: Any, settings: Any
) -> None:
    settings.REUNIFY_IDLE_MINUTES = 5
    login(client, therapist)
    clock.shift(dt.timedelta(minutes=5, seconds=1))

    response = client.get(reverse("caseload"), follow=True)

    assert "You were logged out after 5 minutes without activity" in text(response)


# Portal users -----------------------------------------------------------------------------------


def test_a_portal_user_without_a_second_factor_logs_in_with_the_password(
    client: Client, db: Any
) -> None:
    make_user("clemency", Role.PORTAL)

    response = password_step(client, username="clemency")

    assert response.status_code == 302
    assert response["Location"] not in (reverse("login_code"), reverse("login_enrol"))
    assert last_event().detail["second_factor"] == "none"


def test_a_portal_user_who_turned_on_a_second_factor_is_asked_for_it(
    client: Client, db: Any, clock: Any
) -> None:
    parent = make_user("clemency", Role.PORTAL)
    enrol_authenticator(parent)

    assert password_step(client, username="clemency")["Location"] == reverse("login_code")


# Refusals are audited ---------------------------------------------------------------------------


def test_a_page_refusal_is_audited_with_what_was_refused(
    client: Client, therapist: User, other_family: Family
) -> None:
    login(client, therapist)
    path = reverse("case_detail", args=[other_family.case.pk])

    assert client.get(path).status_code == 404

    event = last_event()
    assert (event.action, event.actor) == ("access.denied", therapist)
    assert event.detail == {
        "path": path,
        "method": "GET",
        "status": 404,
        "refused": "No such case.",
        "view": "case_detail",
        "arguments": {"case_id": other_family.case.pk},
    }
    assert "Okafor" not in str(event.detail)


def test_a_forbidden_write_is_audited_although_its_transaction_rolled_back(
    client: Client, supervisor: User, family: Family
) -> None:
    login(client, supervisor)

    response = client.post(reverse("case_pause", args=[family.case.pk]), {"reason": "x"})

    assert response.status_code == 403
    event = last_event()
    assert (event.action, event.actor) == ("access.denied", supervisor)
    assert event.detail["status"] == 403
    assert event.detail["method"] == "POST"
    assert event.detail["refused"] == "You may not edit this case."


def test_api_refusals_are_audited(
    client: Client, therapist: User, supervisor: User, family: Family, other_family: Family
) -> None:
    path = f"/api/v1/cases/{other_family.case.pk}"
    assert client.get(path, headers=bearer(therapist)).status_code == 404
    event = last_event()
    assert (event.action, event.actor) == ("access.denied", therapist)
    assert (event.detail["path"], event.detail["status"]) == (path, 404)

    pause = f"/api/v1/cases/{family.case.pk}/pause"
    response = client.post(
        pause, {"reason": "x"}, content_type="application/json", headers=bearer(supervisor)
    )
    assert response.status_code == 403
    assert (last_event().action, last_event().actor) == ("access.denied", supervisor)
    assert last_event().detail["status"] == 403


def test_no_refusal_is_recorded_for_someone_not_logged_in(client: Client, family: Family) -> None:
    client.get(reverse("case_detail", args=[family.case.pk]))
    client.get(f"/api/v1/cases/{family.case.pk}")

    assert not events("access.denied")


# Commands ---------------------------------------------------------------------------------------


def test_the_code_command_prints_a_demo_accounts_next_unused_code(
    db: Any, clock: Any, capsys: Any
) -> None:
    demo = make_user("therapist1")
    totp_enrol_demo(user=demo)

    call_command("totp", "code", "therapist1")
    code = capsys.readouterr().out.strip()

    assert re.fullmatch(r"\d{6}", code)
    totp_verify(user=demo, code=code)
    # The same code was used: the command now offers the next one, which is accepted too.
    call_command("totp", "code", "therapist1")
    following = capsys.readouterr().out.strip()
    assert following != code
    totp_verify(user=demo, code=following)
    with pytest.raises(CommandError, match="try again in 30 seconds"):
        call_command("totp", "code", "therapist1")


def test_the_code_command_refuses_every_real_account(therapist: User, clock: Any) -> None:
    enrol_authenticator(therapist)

    with pytest.raises(CommandError, match="not a demo account"):
        call_command("totp", "code", "therapist")
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("totp", "code", "nobody")
    with pytest.raises(ValidationError, match="unenrolled has no second factor set up"):
        totp_demo_code(user=make_user("unenrolled"))


def test_reset_makes_the_user_enrol_again_with_a_new_enrolment_code_and_is_audited(
    client: Client, therapist: User, clock: Any, capsys: Any
) -> None:
    enrol_authenticator(therapist)

    call_command("totp", "reset", "therapist")

    out = capsys.readouterr().out
    assert "sets up an authenticator app at their next login" in out
    assert "every session they had open has ended" in out
    enrolment_code = re.search(r"Enrolment code for therapist: ([a-z2-9]{5}-[a-z2-9]{5})\n", out)
    assert enrolment_code is not None
    assert not SecondFactor.objects.filter(user=therapist).exists()
    assert not RecoveryCode.objects.filter(user=therapist).exists()
    reset, ended, issued = events("totp.reset")[-1], events("auth.sessions_end")[-1], last_event()
    assert (reset.source, reset.detail) == ("cli", {"user": "therapist"})
    assert (ended.source, ended.detail) == ("cli", {"user": "therapist"})
    assert (issued.action, issued.source) == ("totp.enrolment_code_issue", "cli")
    assert issued.detail == {
        "user": "therapist",
        "expires_at": str(START + dt.timedelta(hours=72)),
    }
    assert enrolment_code.group(1) not in str(issued.detail)
    app = enrol_through_the_pages(client, therapist, enrolment_code.group(1))
    assert client.post(reverse("login_enrol"), {"code": app.now()}).status_code == 200
    assert is_logged_in(client)
    assert totp_reset(actor=None, user=therapist) is True
    assert totp_reset(actor=None, user=therapist) is False


def test_rotating_the_secret_key_keeps_factors_working_with_the_old_key_as_fallback(
    therapist: User, clock: Any, settings: Any
) -> None:
    app = enrol_authenticator(therapist)
    old = settings.SECRET_KEY

    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old]
    totp_verify(user=therapist, code=app.now())

    settings.SECRET_KEY_FALLBACKS = []
    clock.shift(STEP)
    with pytest.raises(CodeRefused, match="cannot be read"):
        totp_verify(user=therapist, code=app.now())


def test_the_demo_staff_get_demo_factors_and_real_accounts_never_do(db: Any) -> None:
    from reunify.demo import _staff

    real = make_user("therapist2")  # a real practice that happens to use a demo name
    staff = _staff()
    _staff()

    factors = SecondFactor.objects.filter(is_demo=True, confirmed_at__isnull=False)
    assert set(factors.values_list("user__username", flat=True)) == set(staff) - {"therapist2"}
    assert not SecondFactor.objects.filter(user=real).exists()
    assert re.fullmatch(r"\d{6}", totp_demo_code(user=staff["therapist1"]))
